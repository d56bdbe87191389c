"""The failed sign-in limiter: refuses past the limit until the window ends, and its memory stays bounded."""

from __future__ import annotations

import pytest

from service.errors import TooManyRequests
from service.identity.throttle import FailureLimiter, failure_keys


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refused_past_the_limit_until_the_window_ends() -> None:
    clock = Clock()
    limiter = FailureLimiter(limit=3, window_seconds=60, max_keys=100, clock=clock)
    keys = failure_keys("192.0.2.1", "lif_abcdefgh" + "x" * 30)
    assert keys == ["address:192.0.2.1", "prefix:lif_abcdefgh"]
    for _ in range(3):
        limiter.check(keys)
        limiter.failed(keys)
    clock.now += 20
    with pytest.raises(TooManyRequests) as refused:
        limiter.check(["address:192.0.2.1"])
    assert refused.value.retry_after_seconds == 40
    limiter.check(["address:192.0.2.2"])  # someone else is not affected
    clock.now += 40
    limiter.check(keys)  # a new window
    limiter.failed(keys)
    limiter.check(keys)


def test_memory_is_bounded_by_the_oldest_keys_being_forgotten() -> None:
    limiter = FailureLimiter(limit=1, window_seconds=60, max_keys=100, clock=Clock())
    limiter.failed(["address:hot"])
    for n in range(10_000):
        limiter.failed([f"address:10.0.{n // 256}.{n % 256}"])
        if n % 50 == 0:
            limiter.failed(["address:hot"])  # recently used: kept
    assert len(limiter) == 100
    with pytest.raises(TooManyRequests):
        limiter.check(["address:hot"])
    limiter.check(["address:10.0.0.1"])  # long forgotten
