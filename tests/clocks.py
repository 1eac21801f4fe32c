"""A fake clock for code that takes ``clock`` and ``sleep`` callables (retries, rate limits)."""

from __future__ import annotations


class FakeClock:
    """A clock that only moves when its fake :meth:`sleep` is called."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.slept: list[float] = []  #: every sleep asked for, in order

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
