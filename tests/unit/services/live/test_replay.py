"""The replay log's bookkeeping and a replay's packets, over reads given by the test (the log
reading PostgreSQL is tested with the live server: tests/integration/services/live)."""

from __future__ import annotations

import pytest

from services.live import replay
from services.live.replay import REPLAY_REACH_S, ReplayLog, packets


class Database:
    """Case events 1..`last`, event i in room f"cell:{i % 3}", written at `at[i]` (i minutes
    unless given); ids in `pending` are handed out but not committed yet."""

    def __init__(self) -> None:
        self.last = 0
        self.pending: set[int] = set()
        self.at: dict[int, float] = {}

    def rows(self, ids) -> list:
        return [
            (i, self.at.get(i, i * 60.0), (f"cell:{i % 3}",), f"m{i}")
            for i in sorted(ids)
            if i not in self.pending
        ]


@pytest.fixture()
def events(monkeypatch):
    db = Database()

    def between(_engine, after, upto, also=None):
        return db.rows(set(range(after + 1, upto + 1)) | set(also or ()))

    monkeypatch.setattr(replay, "last_event_id", lambda _engine: db.last)
    monkeypatch.setattr(replay, "messages_between", between)
    return db


def test_a_replay_is_every_event_of_the_rooms_above_the_cursor_oldest_first(events):
    events.last = 30
    log = ReplayLog(engine=None, keep=100)
    got, cut = log.since(["cell:1", "cell:2"], 10)
    assert got == [f"m{i}" for i in range(11, 31) if i % 3 in (1, 2)]
    assert cut is False


def test_a_cursor_older_than_the_log_holds_gets_what_is_held_marked_cut(events):
    events.last = 500
    log = ReplayLog(engine=None, keep=100)
    got, cut = log.since(["cell:0"], 10)
    assert cut is True
    assert got == [f"m{i}" for i in range(401, 501) if i % 3 == 0]
    events.last = 510
    again, cut = log.since(["cell:0"], 450)
    assert cut is False and again == [f"m{i}" for i in range(451, 511) if i % 3 == 0]


def test_an_event_committed_after_a_read_passed_its_id_is_read_later_and_replayed(events):
    """A router's batch holds ids 200..300 while later ids commit: the log reads past them,
    keeps them as gaps, and the next read finds them; a client whose cursor is above them gets
    them (they were written within the reach of its cursor's event)."""
    events.last = 400
    events.pending = set(range(200, 301))
    events.at = {i: 1000.0 + i / 100 if i >= 200 else i for i in range(1, 401)}
    log = ReplayLog(engine=None, keep=1000)
    first, _ = log.since(["cell:0", "cell:1", "cell:2"], 150, reach=False)
    assert "m250" not in first and "m399" in first
    events.pending = set()
    events.last = 410
    got, cut = log.since(["cell:1"], 399)
    assert [f"m{i}" for i in range(200, 411) if i % 3 == 1 and i != 399] == got
    assert cut is False


def test_below_the_cursor_only_what_was_written_within_the_reach_of_its_event(events):
    events.last = 100
    events.at = {i: 5000.0 + i for i in range(1, 101)}
    events.at[40] = 5000.0 + 100 - REPLAY_REACH_S + 1  # written late, id handed out early
    log = ReplayLog(engine=None, keep=1000)
    got, _ = log.since(["cell:1"], 100)
    expected = {i for i in range(1, 100) if i % 3 == 1 and events.at[i] >= 5100 - REPLAY_REACH_S}
    assert {int(g[1:]) for g in got} == expected and 40 in expected and 10 not in expected
    first, _ = log.since(["cell:1"], 100, reach=False)
    assert first == [], "a first connect starts at its snapshot"


def test_an_id_never_committed_stops_being_asked_for(events, monkeypatch):
    asked: list[list[int]] = []

    def between(_engine, after, upto, also=None):
        asked.append(list(also or ()))
        return events.rows(set(range(after + 1, upto + 1)) | set(also or ()))

    monkeypatch.setattr(replay, "messages_between", between)
    events.last, events.pending = 20, {7}
    log = ReplayLog(engine=None, keep=1000)
    log.since(["cell:1"], 0, reach=False)
    log.since(["cell:1"], 0, reach=False)
    assert asked[-1] == [7], "missing: asked for again"
    monkeypatch.setattr(replay, "GAP_TTL_S", 0.0)
    log.since(["cell:1"], 0, reach=False)
    log.since(["cell:1"], 0, reach=False)
    assert asked[-1] == [], "missing for longer than GAP_TTL_S: rolled back"


def test_a_long_replay_goes_out_in_packets_the_last_without_more():
    sent = packets(list(range(2500)), after=7, cut=False, size=1000)
    assert [len(p["events"]) for p in sent] == [1000, 1000, 500]
    assert [p["more"] for p in sent] == [True, True, False]
    assert [e for p in sent for e in p["events"]] == list(range(2500))
    assert all(p["after"] == 7 and p["cut"] is False for p in sent)


def test_nothing_to_replay_is_still_one_packet_saying_so():
    assert packets([], after=3, cut=True, size=1000) == [
        {"after": 3, "events": [], "more": False, "cut": True}
    ]
