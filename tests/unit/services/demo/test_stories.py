"""The demo history's stories: the same seed gives the same past, another seed another; every
path of the closed loop is drawn; nothing comes after `now`; the day so far has calls; a
merged story repeats an earlier story's problem at its place, a little later."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.demo.stories import NIGHT_CALLS, PATHS, draw_stories

NOW = datetime(2026, 3, 16, 19, 30, tzinfo=UTC)  # 03:30 on the 17th in China
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def stories():
    return draw_stories(7, now=NOW, cells=500, days=90)


def test_the_same_seed_draws_the_same_past(stories):
    assert draw_stories(7, now=NOW, cells=500, days=90) == stories
    assert draw_stories(8, now=NOW, cells=500, days=90) != stories


def test_ninety_days_up_to_now_through_every_path(stories):
    days = {s.received_at.astimezone(ZONE).date() for s in stories}
    today = NOW.astimezone(ZONE).date()
    assert min(days) == today - timedelta(days=89) and max(days) == today
    assert all(s.received_at < NOW for s in stories)
    assert [s.received_at for s in stories] == sorted(s.received_at for s in stories)
    paths = Counter(s.path for s in stories)
    assert set(paths) == {p for p, _ in PATHS}
    assert 750 <= len(stories) <= 1200
    assert {s.channel for s in stories} == {"grid", "hotline"}
    assert all(s.channel == "grid" for s in stories if s.handled_on_spot)
    assert Counter(s.rating for s in stories if s.rating).keys() == {
        "satisfied", "basically_satisfied", "dissatisfied"}  # fmt: skip
    assert {s.pressed for s in stories} == {None, "urge", "supervise"}


def test_the_day_so_far_has_calls(stories):
    midnight = datetime(2026, 3, 17, tzinfo=ZONE)
    tonight = [s for s in stories if s.received_at >= midnight]
    assert len(tonight) >= NIGHT_CALLS
    assert all(s.channel == "hotline" for s in tonight)


def test_a_merged_story_repeats_an_earlier_problem_at_its_place(stories):
    by_n = {s.n: s for s in stories}
    merged = [s for s in stories if s.path == "merged"]
    assert merged
    for story in merged:
        target = by_n[story.duplicate_of]
        assert (story.category_code, story.cell) == (target.category_code, target.cell)
        assert timedelta(minutes=20) <= story.received_at - target.received_at
        assert story.received_at - target.received_at <= timedelta(minutes=90)
        assert target.path not in ("merged", "on_spot")
