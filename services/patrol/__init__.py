"""Patrol: the grid workers' tracks, time on patrol and the coverage of cells, aggregated
from the patrol-pings stream (`aggregate`) and read by scope (`views`)."""
