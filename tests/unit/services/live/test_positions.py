"""Worker positions: the newest ping wins; stale positions drop off."""

from services.live.positions import WorkerPosition, WorkerPositions


def test_a_late_older_ping_does_not_move_the_worker_back():
    positions = WorkerPositions()
    assert positions.update(WorkerPosition(7, 30.0, 121.5, "2026-01-01T10:00:05+00:00"))
    assert not positions.update(WorkerPosition(7, 29.0, 121.0, "2026-01-01T10:00:01+00:00"))
    (only,) = positions.fresh()
    assert (only.lat, only.lng) == (30.0, 121.5)


def test_stale_positions_are_left_out():
    positions = WorkerPositions(max_age_s=0.0)
    positions.update(WorkerPosition(7, 30.0, 121.5, "2026-01-01T10:00:05+00:00"))
    assert positions.fresh() == []
