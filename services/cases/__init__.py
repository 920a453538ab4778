"""The case's home: its commands, one handler per command (dispatching, department,
operator, field, sweep), the unit of work that records events with the outbox, the
registration decision (`registration.register`, for the router's batches and the operator
alike), the reference data it reads, and the SLA arithmetic. The HTTP views, the scheduler
and the stream processors build a command and call its handler; the SQL is in
services.store.cases. Imports capture (photos), calendars, the store and the domain core."""
