"""What the live feed (services.live) reads from the database: case events with their case as
it is now, the messages PostgreSQL encodes for them, the snapshot's open cases and cell load,
today's figures, one case's detail and the names and bounds of a scope.

- `cases`: the case columns every live message shows, events by id, names, bounds, cells;
- `messages`: event messages as JSON text, by envelope id, by id range, the latest in a scope;
- `snapshot`: a scope's open cases in columns and its cells' load;
- `kpis`: today's counts, hourly chart, department table and the tiles' population;
- `details`: one case with its timeline and photos.

Plain functions over an Engine or a Connection taking plain values (a `services.store.scopes.
Scope`, codes, ids). Imports the domain core and the rest of `services.store`, nothing above.
"""
