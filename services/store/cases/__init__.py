"""The case store: the one repository of `case_file` and what hangs off it (history, outbox
rows of case events, extension requests, ratings, verification tasks), and the queries the
screens read cases with.

- `rows`: the `Case` row, loaded by key (one or many, optionally locked), inserted set-wise,
  changed with `save_case`; the one writer of `case_file`.
- `history`: case events and their outbox rows, written set-wise; a case's timeline.
- `intake`: what registration reads (reports, claimed events, duplicate candidates).
- `handling`: extension requests, ratings, verification tasks, report moderation.
- `groups`: SQL for the domain's state groups and the overdue predicate, generated from
  `services.domain.states`; nothing else in the code base states them in SQL.
- `facts`: SQL keeping each case's KPI facts (`case_fact`) as its events are written,
  generated from `services.domain.kpi.FACT_RULES`.
- `views`: pages and single cases as the department and operator screens show them.

Plain functions over a Connection, run in the caller's transaction; they commit nothing.
Imports the domain core and the rest of `services.store`, nothing above.
"""
