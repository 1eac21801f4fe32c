"""Client-side rate limits: thread-safe token buckets for requests and tokens per minute.

::

    limiter = RateLimiter(requests_per_minute=60, tokens_per_minute=90_000)
    limiter.acquire(tokens=1200)   # blocks until both buckets allow the request

A :class:`TokenBucket` holds at most ``capacity`` units (one minute's worth) and
refills continuously at ``per_minute / 60`` units per second. :meth:`TokenBucket.reserve`
takes what a request needs at once, letting the level go negative, and returns
how long the caller must wait before sending; waiting happens outside the lock, so
concurrent callers queue up in order of arrival without holding each other up.
A request larger than the whole bucket is clamped to the capacity (it waits for a
full bucket instead of forever). The clock and the sleep are injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter", "TokenBucket"]

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class TokenBucket:
    """A refilling budget of ``per_minute`` units, safe to share between threads."""

    def __init__(self, per_minute: float, *, clock: Clock = time.monotonic) -> None:
        """Args:
        per_minute: units allowed per minute (> 0); also the burst capacity.
        clock: monotonic seconds (injectable for tests).
        """
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.capacity = float(per_minute)
        self.rate = self.capacity / 60.0  # units per second
        self._clock = clock
        self._level = self.capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def reserve(self, amount: float = 1.0) -> float:
        """Take ``amount`` units now and return the seconds to wait before using them."""
        amount = min(max(float(amount), 0.0), self.capacity)
        with self._lock:
            now = self._clock()
            self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
            self._stamp = now
            self._level -= amount
            return 0.0 if self._level >= 0 else -self._level / self.rate

    @property
    def level(self) -> float:
        """Units available now (negative while reservations are outstanding)."""
        with self._lock:
            now = self._clock()
            return min(self.capacity, self._level + (now - self._stamp) * self.rate)


class RateLimiter:
    """Requests-per-minute and tokens-per-minute limits together (0 turns one off)."""

    def __init__(
        self,
        requests_per_minute: float = 0,
        tokens_per_minute: float = 0,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        """Args:
        requests_per_minute: HTTP requests allowed per minute; 0 = unlimited.
        tokens_per_minute: (estimated) prompt tokens allowed per minute; 0 = unlimited.
        clock: monotonic seconds (injectable for tests).
        sleep: how to wait (injectable for tests).
        """
        if requests_per_minute < 0 or tokens_per_minute < 0:
            raise ValueError("rate limits must be >= 0 (0 = off)")
        self.requests: TokenBucket | None = None
        self.tokens: TokenBucket | None = None
        if requests_per_minute:
            self.requests = TokenBucket(requests_per_minute, clock=clock)
        if tokens_per_minute:
            self.tokens = TokenBucket(tokens_per_minute, clock=clock)
        self._sleep = sleep

    @property
    def enabled(self) -> bool:
        """Whether any limit is set."""
        return self.requests is not None or self.tokens is not None

    def acquire(self, tokens: int = 0) -> float:
        """Block until one request of ``tokens`` prompt tokens may be sent.

        Returns:
            The seconds waited (0.0 when no limit applied).
        """
        wait = 0.0
        if self.requests is not None:
            wait = max(wait, self.requests.reserve(1))
        if self.tokens is not None and tokens > 0:
            wait = max(wait, self.tokens.reserve(tokens))
        if wait > 0:
            self._sleep(wait)
        return wait
