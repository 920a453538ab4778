"""The per-account token bucket."""

from services.auth.ratelimit import TokenBucketLimiter
from tests.unit.services.auth.clocks import Clock


def test_burst_then_refusal_with_the_wait_until_the_next_token():
    clock = Clock()
    limiter = TokenBucketLimiter(rate_per_minute=6, burst=2, clock=clock)
    assert limiter.take("a") == 0.0
    assert limiter.take("a") == 0.0
    wait = limiter.take("a")
    assert 9.9 <= wait <= 10.0  # 6 per minute: one token every 10 s
    clock.now += 10
    assert limiter.take("a") == 0.0


def test_accounts_have_separate_buckets():
    limiter = TokenBucketLimiter(rate_per_minute=1, burst=1, clock=Clock())
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    assert limiter.take("b") == 0.0


def test_the_default_burst_is_a_quarter_of_a_minutes_rate():
    limiter = TokenBucketLimiter(rate_per_minute=120, clock=Clock())
    granted = [limiter.take("a") == 0.0 for _ in range(120)]
    assert granted.count(True) == 30


def test_the_buckets_are_bounded_whatever_keys_arrive():
    clock = Clock()
    limiter = TokenBucketLimiter(rate_per_minute=1, burst=1, clock=clock, max_keys=100)
    assert limiter.take("kept") == 0.0
    for i in range(1000):
        limiter.take(f"made-up-{i}")
        if i % 50 == 0:
            assert limiter.take("kept") > 0  # a key in use stays in the table
    assert len(limiter) == 100
