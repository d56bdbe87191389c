"""Slowing down guessed tokens: failed authentications counted per client address and per token prefix.

Counters live in this process's memory, in a fixed-size LRU, so memory stays bounded whatever an attacker sends.
They are deliberately per process rather than in the database: counting in a table would add a query to every
request and a write to every failure, turning a flood of wrong tokens into a flood of database writes. With N API
processes a client gets at most N times the limit per window, which still leaves guessing a 256-bit token hopeless;
the limiter's job is to stop a flood early and cheaply (docs/admin.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from service.errors import TooManyRequests
from service.identity.tokens import token_prefix


def failure_keys(address: str | None, token: str | None) -> list[str]:
    """What a failure counts against: the client address and the token's clear prefix."""
    keys = [f"address:{address or 'unknown'}"]
    if token:
        keys.append(f"prefix:{token_prefix(token)}")
    return keys


class FailureLimiter:
    """Fixed-window failure counters per key; past ``limit`` in a window, a key is refused until it ends."""

    def __init__(
        self, *, limit: int, window_seconds: float, max_keys: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._counters: OrderedDict[str, tuple[float, int]] = OrderedDict()  # key -> (window start, failures)
        self._lock = threading.Lock()  # sync routes run in a thread pool

    def check(self, keys: Iterable[str]) -> None:
        """Refuse (429, with how long to wait) when any key has used up its failures for this window."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                entry = self._counters.get(key)
                if entry is not None and entry[1] >= self.limit and now - entry[0] < self.window:
                    wait = max(wait, entry[0] + self.window - now)
        if wait:
            raise TooManyRequests(
                "too many failed sign-ins from this address or for this token; wait and try again with a valid token",
                retry_after_seconds=max(1, math.ceil(wait)),
            )

    def failed(self, keys: Iterable[str]) -> None:
        """Count one failure against each key."""
        now = self._clock()
        with self._lock:
            for key in keys:
                start, count = self._counters.pop(key, (now, 0))
                if now - start >= self.window:
                    start, count = now, 0
                self._counters[key] = (start, count + 1)  # re-inserted: the most recently used end
            while len(self._counters) > self.max_keys:
                self._counters.popitem(last=False)

    def __len__(self) -> int:
        return len(self._counters)
