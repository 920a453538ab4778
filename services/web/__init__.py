"""The command-center and department pages (templates and static files, no build step).
Imports services.http; the pages read through the API and the live socket."""
