"""The grid worker's phone client: an installable, offline-first web app served under /m/.
Imports services.web (the shared page helpers); it reads through the API and the socket."""
