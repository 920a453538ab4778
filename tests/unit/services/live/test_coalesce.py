"""The live server's coalesced lookups: callers that ask while a lookup runs share the next
one, each gets the answer for its own key, and a failure reaches every caller."""

import threading
import uuid

import pytest

from services.auth.principal import Principal
from services.live.coalesce import Coalesced


def principal(user_id: int) -> Principal:
    return Principal(
        user_id=user_id, username=f"u{user_id}", role="grid_worker",
        cell_codes=frozenset({"C1"}), jurisdiction_code=None, department_code=None,
    )  # fmt: skip


class SlowLookup:
    """A lookup that holds its first call until released, recording every batch it is given."""

    def __init__(self, sessions: dict[uuid.UUID, Principal]) -> None:
        self.sessions = sessions
        self.batches: list[list[uuid.UUID]] = []
        self.first_started = threading.Event()
        self.release = threading.Event()

    def __call__(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Principal]:
        self.batches.append(list(ids))
        if len(self.batches) == 1:
            self.first_started.set()
            assert self.release.wait(10)
        return {i: self.sessions[i] for i in ids if i in self.sessions}


def test_checks_made_during_a_lookup_share_the_next_one():
    sessions = {uuid.uuid4(): principal(k) for k in range(10)}
    ids = list(sessions)
    lookup = SlowLookup(sessions)
    lookups = Coalesced(lookup)
    answers: dict[int, Principal | None] = {}

    def ask(k: int, session_id: uuid.UUID) -> None:
        answers[k] = lookups.get(session_id)

    first = threading.Thread(target=ask, args=(0, ids[0]))
    first.start()
    assert lookup.first_started.wait(5)
    others = [threading.Thread(target=ask, args=(k, ids[k])) for k in range(1, 10)]
    # One more: a session that is not open, and one asked twice.
    others.append(threading.Thread(target=ask, args=(10, uuid.uuid4())))
    others.append(threading.Thread(target=ask, args=(11, ids[3])))
    for t in others:
        t.start()
    lookup.release.set()
    for t in [first, *others]:
        t.join(10)
    assert len(lookup.batches) == 2  # the first alone, then every other check in one
    # ids[1..9] and the unknown session; ids[3], asked twice, once.
    assert set(ids[1:]) < set(lookup.batches[1]) and len(lookup.batches[1]) == 10
    assert {k: (a.user_id if a else None) for k, a in answers.items()} == {
        **{k: k for k in range(10)}, 10: None, 11: 3,
    }  # fmt: skip


def test_a_lone_check_is_answered_at_once():
    session_id = uuid.uuid4()
    calls: list[list[uuid.UUID]] = []

    def lookup(ids: list[uuid.UUID]) -> dict[uuid.UUID, Principal]:
        calls.append(ids)
        return {session_id: principal(7)}

    lookups = Coalesced(lookup)
    assert lookups.get(session_id) == principal(7)
    assert lookups.get(session_id) == principal(7)
    assert calls == [[session_id], [session_id]]  # never an answer kept from an earlier batch


def test_a_failed_lookup_reaches_its_callers_and_the_next_batch_runs():
    fail = [True]

    def lookup(ids: list[uuid.UUID]) -> dict[uuid.UUID, Principal]:
        if fail[0]:
            fail[0] = False
            raise OSError("database away")
        return {i: principal(1) for i in ids}

    lookups = Coalesced(lookup)
    session_id = uuid.uuid4()
    with pytest.raises(OSError, match="database away"):
        lookups.get(session_id)
    assert lookups.get(session_id) == principal(1)
