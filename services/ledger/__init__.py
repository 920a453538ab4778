"""Electronic ledgers (电子台账): the monthly register of cases per community, generated from
the case data and exported as XLSX and CSV. Imports stats, calendars, the store, config and
the domain core."""
