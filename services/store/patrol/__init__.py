"""The patrol's tables: raw points by day (`points`), worker-day figures and tracks (`days`),
coverage of cells by day (`coverage`), and the reads the API and live map make (`reads`)."""
