"""The schema's history (Alembic): each version as it was written, never edited afterwards;
`services.store.migrate` applies them. A migration imports the store alone."""
