"""The patrol's live messages: what `gridflow patrol` changed today (a PatrolCoverageChanged
event read from patrol-coverage.v1) as messages to rooms. Standard library and rooms only.

    patrol_coverage  {day, code, share, own_share}  to the center rooms of the cell and the
                                                    cell's workers (cell:<code>)
    patrol_track     {day, worker_id}               to the center rooms of the worker's cells
                                                    and to the worker (their cells' rooms):
                                                    the page fetches the track again if shown
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from services.live.rooms import Place, rooms_for_place

Addressed = list[tuple[dict[str, Any], list[str]]]


def _cell_rooms(cells: Iterable[str]) -> list[str]:
    rooms: list[str] = []
    for cell in sorted(set(cells)):
        rooms += [r for r in rooms_for_place(Place(cell_code=cell), departments=False)
                  if r not in rooms]  # fmt: skip
    return rooms


def patrol_messages(
    bodies: list[dict[str, Any]], cells_of: Callable[[list[int]], dict[int, tuple[str, ...]]]
) -> tuple[Addressed, Addressed]:
    """(coverage messages, track messages) of the events read, each with its rooms; malformed
    events are skipped. `cells_of` gives the cells of workers."""
    coverage: Addressed = []
    tracks: list[tuple[str, int]] = []
    for body in bodies:
        payload = body.get("payload") or {}
        day = payload.get("day")
        if body.get("type") != "PatrolCoverageChanged" or not isinstance(day, str):
            continue
        for cell in payload.get("cells") or ():
            try:
                code = str(cell["code"])
                message = {"day": day, "code": code, "share": float(cell["share"]),
                           "own_share": float(cell["own_share"])}  # fmt: skip
            except (KeyError, TypeError, ValueError):
                continue
            if len(code) == 15:
                coverage.append((message, _cell_rooms([code])))
        tracks += [(day, w) for w in payload.get("workers") or () if type(w) is int]
    cells = cells_of(sorted({w for _, w in tracks})) if tracks else {}
    addressed: Addressed = []
    for day, worker in tracks:
        rooms = _cell_rooms(cells.get(worker, ()))
        if rooms:
            addressed.append(({"day": day, "worker_id": worker}, rooms))
    return coverage, addressed
