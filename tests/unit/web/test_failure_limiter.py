"""The brake on guessing tokens: per address, over a sliding window."""

from __future__ import annotations

from securepay.web.auth import FailureLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_is_blocked_after_the_allowed_failures_until_the_oldest_one_ages_out() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, 60, clock)
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") is None
        limiter.failed("10.0.0.1")
        clock.now += 10
    assert limiter.retry_after("10.0.0.1") == 30
    clock.now += 30
    assert limiter.retry_after("10.0.0.1") is None


def test_failures_of_one_address_do_not_block_another() -> None:
    limiter = FailureLimiter(1, 60, Clock())
    limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") is not None
    assert limiter.retry_after("10.0.0.2") is None


def test_memory_stays_bounded_under_a_spray_from_many_addresses() -> None:
    clock = Clock()
    limiter = FailureLimiter(1, 60, clock)
    limiter.MAX_CLIENTS = 10
    for n in range(25):
        clock.now += 1
        limiter.failed(f"10.0.0.{n}")
    assert len(limiter._failures) == 10
    assert limiter.retry_after("10.0.0.24") is not None
