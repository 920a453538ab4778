"""The database store: every SQL statement of the backend, as plain functions over a
Connection run in the caller's transaction (`cases/` is the one case store), the engine and
its direct statements, the outbox, readers' scopes (`scopes`), the live feed's reads
(`live/`) and the migrations. Imports the domain core and the event envelope
(services.envelopes), nothing above."""
