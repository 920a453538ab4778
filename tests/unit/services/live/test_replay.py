"""The replay log's bookkeeping and a replay's packets, over reads given by the test (the log
reading PostgreSQL is tested with the live server: tests/integration/services/live)."""

from __future__ import annotations

import pytest

from services.live import replay
from services.live.replay import ReplayLog, packets


@pytest.fixture()
def events(monkeypatch):
    """A database of `events[0]` case events 1..n, event i in room f"cell:{i % 3}"."""
    held = [0]

    def between(_engine, after, upto):
        return [(i, (f"cell:{i % 3}",), f"m{i}") for i in range(after + 1, upto + 1)]

    monkeypatch.setattr(replay, "last_event_id", lambda _engine: held[0])
    monkeypatch.setattr(replay, "messages_between", between)
    return held


def test_a_replay_is_every_event_of_the_rooms_above_the_cursor_oldest_first(events):
    events[0] = 30
    log = ReplayLog(engine=None, keep=100)
    got, cut = log.since(["cell:1", "cell:2"], 10)
    assert got == [f"m{i}" for i in range(11, 31) if i % 3 in (1, 2)]
    assert cut is False


def test_a_cursor_older_than_the_log_holds_gets_what_is_held_marked_cut(events):
    events[0] = 500
    log = ReplayLog(engine=None, keep=100)
    got, cut = log.since(["cell:0"], 10)
    assert cut is True
    assert got == [f"m{i}" for i in range(401, 501) if i % 3 == 0]
    events[0] = 510
    again, cut = log.since(["cell:0"], 450)
    assert cut is False and again == [f"m{i}" for i in range(451, 511) if i % 3 == 0]


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
