"""The grid worker's phone client: an installable, offline-first web app served under /m/."""
