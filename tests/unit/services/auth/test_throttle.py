"""Failed sign-ins: an exponential delay per (username, address), never a lock."""

from services.auth.throttle import LoginThrottle
from tests.unit.services.auth.clocks import Clock


def test_failures_past_the_free_ones_double_the_wait():
    clock = Clock()
    throttle = LoginThrottle(free=3, clock=clock)
    for _ in range(3):
        assert throttle.wait("Zhang", "a") == 0.0
        throttle.failed("zhang", "a")
    assert throttle.wait("zhang", "a") == 1.0
    clock.now += 1
    throttle.failed("zhang", "a")
    assert throttle.wait("zhang", "a") == 2.0
    assert throttle.wait("zhang", "b") == 0.0  # the same user elsewhere is not slowed down


def test_a_success_clears_and_old_failures_are_forgotten():
    clock = Clock()
    throttle = LoginThrottle(free=1, forget_s=60, clock=clock)
    throttle.failed("li", "a")
    throttle.succeeded("li", "a")
    assert throttle.wait("li", "a") == 0.0
    throttle.failed("wang", "a")
    throttle.failed("wang", "a")
    assert throttle.wait("wang", "a") > 0
    clock.now += 61
    assert throttle.wait("wang", "a") == 0.0


def test_one_address_trying_many_names_is_slowed_down():
    throttle = LoginThrottle(free=5, address_free=10, clock=Clock())
    for i in range(10):
        throttle.failed(f"name-{i}", "a")
    assert throttle.wait("someone-else", "a") > 0
    assert throttle.wait("someone-else", "b") == 0.0


def test_the_table_is_bounded():
    throttle = LoginThrottle(clock=Clock(), max_keys=50)
    for i in range(1000):
        throttle.failed(f"made-up-{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(throttle) == 50
