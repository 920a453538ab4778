"""What a case allows now: the state table's moves, then the flags that apply."""

import pytest

from services.cases.refusals import available_actions


@pytest.mark.parametrize(
    ("state", "pending", "rated", "actions"),
    [
        ("reported", False, False, ["register", "reject", "merge", "close_on_spot"]),
        ("registered", False, False, ["dispatch"]),
        ("dispatched", False, False, ["dispatch", "acknowledge", "return", "request_extension"]),
        ("dispatched", True, False,
         ["dispatch", "acknowledge", "return", "approve_extension", "reject_extension"]),
        ("acknowledged", False, False, ["return", "resolve", "request_extension"]),
        ("resolved", False, False, ["verify_pass", "verify_fail"]),
        ("returned", False, False, ["dispatch"]),
        ("closed", False, False, ["rate"]),
        ("closed", False, True, []),
        ("rejected", False, False, []),
        ("merged", False, False, []),
    ],
)  # fmt: skip
def test_available_actions(state, pending, rated, actions):
    assert available_actions(state, extension_pending=pending, rated=rated) == actions
