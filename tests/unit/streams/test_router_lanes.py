"""How the router shares a batch's categories among units of work applied side by side."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from streams.router import _share, _side_by_side


def taken(*categories: str):
    """(command, event) pairs sorted by category as the router sorts them; each event's
    `offset` is its arrival position."""
    pairs = [
        (SimpleNamespace(category_code=c), SimpleNamespace(offset=i))
        for i, c in enumerate(categories)
    ]
    return sorted(pairs, key=lambda pair: pair[0].category_code)


def shape(groups):
    return [[(c.category_code, e.offset) for c, e in group] for group in groups]


def test_each_category_is_whole_in_one_group_in_arrival_order_and_groups_are_about_even():
    batch = taken("a", "b", "a", "c", "b", "a", "d", "a", "c")
    groups = _share(batch, 2)
    assert len(groups) == 2
    categories = [{c for c, _ in g} for g in shape(groups)]
    assert not categories[0] & categories[1]
    assert sorted(pair for g in shape(groups) for pair in g) == sorted(shape([batch])[0])
    for group in shape(groups):
        assert group == sorted(group)  # by category, then arrival
    assert sorted(len(g) for g in groups) == [4, 5]  # a (4) alone; b, c, d (5) together


def test_one_lane_or_one_category_means_one_group():
    batch = taken("a", "b", "a")
    assert shape(_share(batch, 1)) == shape([batch])
    assert shape(_share(taken("a", "a"), 3)) == [[("a", 0), ("a", 1)]]
    assert _share([], 2) == [[]]


def test_groups_are_applied_in_threads_of_their_own_and_a_failure_is_raised_after_all_ended():
    seen: dict[int, str] = {}

    def apply(group):
        seen[group[0]] = threading.current_thread().name
        if group[0] == 2:
            raise RuntimeError("lane 2 failed")
        return group[0]

    assert _side_by_side(apply, [[0], [1]]) == [0, 1]
    assert len(set(seen.values())) == 2 and seen[0] == threading.current_thread().name
    seen.clear()
    with pytest.raises(RuntimeError, match="lane 2 failed"):
        _side_by_side(apply, [[0], [1], [2]])
    assert set(seen) == {0, 1, 2}
