"""A circuit breaker per endpoint: stop sending to an endpoint that keeps failing.

::

    breaker = CircuitBreaker("fake-model at http://127.0.0.1:8080/v1", failures=5)
    ticket = breaker.before_request()  # raises EndpointDownError while the circuit is open
    ... send ...
    breaker.record_success()        # a usable answer: the run of failures is over
    breaker.record_failure(reason, ticket)  # 5xx, timeout, refused connection, 4xx, bare 429
    breaker.record_failure(reason)  # an unusable answer
    breaker.record_busy(wait, reason, asked=1.0)  # a 429 with Retry-After, about to be waited for
    breaker.sleep(seconds)          # a retry's wait, cut short when the circuit opens

States:

* **closed** — requests go out. ``failures`` consecutive failures (no usable
  answer in between) open it. A failed request counts only if it was sent
  after the last failure that counted (its ``ticket``): requests already in
  flight together fail together — a burst of connection resets when 64
  requests open their connections at once is one failure, not 64 — while a
  request sent knowing the endpoint had failed, and failing again, is new
  evidence. A busy answer that says when to come back
  (``Retry-After``) is not a failure: busy answers with no usable answer in
  between open it only when they would last past ``busy_seconds`` (the server
  is up but never lets us in; a streak that would only end past that window
  opens it at once rather than after a long wait). A bare 429, with no
  ``Retry-After``, says nothing of when: it counts as a failure. A
  ``Retry-After`` of :data:`HOLD_AFTER` seconds or more is taken to be the
  endpoint's, not one request's: every request waits until then (without it,
  each of the threads sharing the endpoint retries on its own schedule and a
  429-only endpoint gets six times the requests); a shorter one is a slot of a
  concurrency cap freeing soon, for the request it answered.
* **open** — :meth:`CircuitBreaker.before_request` raises
  :class:`EndpointDownError` without sending; the caller falls back (the batch
  records the document ``degraded``, to be redone by the next run). After
  ``cooldown`` seconds the next request is let through as a probe.
* **half-open** — one probe is in flight; every other request is refused as
  while open. A usable answer closes the circuit, a failure opens it again for
  another ``cooldown``.

What counts as a failure is the caller's business: the client records every
failed HTTP attempt (transport errors, 5xx, non-retryable 4xx) and every call
that ends without a valid answer; the model backend records an answer that it
could not use even leniently. One breaker is shared by every thread that talks
to the endpoint. The clock is injectable for tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from ..errors import ModelError

__all__ = ["CircuitBreaker", "EndpointDownError", "State"]

logger = logging.getLogger(__name__)

State = Literal["closed", "open", "half-open"]
#: A ``Retry-After`` at least this long (seconds) holds every request to the endpoint.
HOLD_AFTER = 1.0


class EndpointDownError(ModelError):
    """The circuit breaker is open: the request was not sent.

    Attributes:
        reason: why the circuit opened (the last failure, key-free).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class CircuitBreaker:
    """Consecutive-failure breaker with a cool-down and a single probe (thread-safe)."""

    def __init__(
        self,
        endpoint: str,
        *,
        failures: int = 5,
        cooldown: float = 30.0,
        busy_seconds: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Args:
        endpoint: how the endpoint is named in messages (no key).
        failures: consecutive failures that open the circuit (0: never open).
        cooldown: seconds the circuit stays open before a probe is let through.
        busy_seconds: seconds of nothing but busy answers (429) that open it (0: never).
        clock: monotonic seconds.
        """
        if failures < 0 or cooldown < 0 or busy_seconds < 0:
            raise ValueError("breaker thresholds must be >= 0")
        self.endpoint = endpoint
        self.failures = failures
        self.cooldown = cooldown
        self.busy_seconds = busy_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._state: State = "closed"
        self._streak = 0  #: consecutive failures
        self._busy_since: float | None = None  #: first busy answer of the current streak
        self._opened_at = 0.0
        self._hold_until = 0.0  #: no request before this (a long ``Retry-After``)
        self._epoch = 0  #: failures counted so far (a request's ticket is the epoch it saw)
        self._probing = False
        self.reason = ""  #: why it last opened
        self.opened = 0  #: times it opened
        self.refused = 0  #: requests not sent because it was open

    @property
    def state(self) -> State:
        """``closed``, ``open`` or ``half-open``."""
        with self._lock:
            return self._state

    def before_request(self) -> int:
        """Let a request go (its ticket), or raise :class:`EndpointDownError` while open."""
        with self._lock:
            if self._state == "closed" and self._hold_until > self._clock():
                # real seconds: the hold was asked for by the server, in real time
                self._changed.wait_for(
                    lambda: self._state == "open" or self._clock() >= self._hold_until,
                    timeout=max(0.0, self._hold_until - self._clock()),
                )
            if self._state == "closed":
                return self._epoch
            if self._state == "open" and self._clock() - self._opened_at >= self.cooldown:
                self._state, self._probing = "half-open", True
                logger.info("%s: probing after %.0f s cool-down", self.endpoint, self.cooldown)
                return self._epoch
            self.refused += 1
            raise self._error()

    def check(self) -> None:
        """Raise :class:`EndpointDownError` when the circuit is open (a retry about to wait)."""
        with self._lock:
            if self._state == "open":
                raise self._error()

    def record_success(self) -> None:
        """A usable answer arrived: the circuit closes and the streaks restart."""
        with self._lock:
            if self._state != "closed":
                logger.warning("%s: answering again; sending resumes", self.endpoint)
            self._state, self._probing = "closed", False
            self._streak, self._busy_since = 0, None
            self._hold_until = 0.0

    def record_failure(self, reason: str, ticket: int | None = None) -> None:
        """A failed request (its ``ticket``) or an unusable answer (no ticket).

        A request sent before the last counted failure is not counted again (see
        the module docstring). Opens the circuit after ``failures``.
        """
        with self._lock:
            if ticket is not None and ticket < self._epoch and self._state != "half-open":
                return  # in flight with a failure already counted
            self._epoch += 1
            self._streak += 1
            if self._state == "half-open" or (self.failures and self._streak >= self.failures):
                self._open(f"{self._streak} consecutive failures (last: {reason})")

    def record_busy(self, wait: float, reason: str, *, asked: float) -> None:
        """A busy answer that said when to come back (``Retry-After``: ``asked`` seconds),
        whose retry would wait ``wait`` seconds (a bare 429 is a failure, not this).

        An ``asked`` of :data:`HOLD_AFTER` or more holds every request for as long
        as this one waits (``wait``: the asked time, growing on consecutive
        refusals). Opens the circuit when busy answers, with no usable answer in
        between, would last past ``busy_seconds`` once this wait is over.
        """
        with self._lock:
            now = self._clock()
            if self._busy_since is None:
                self._busy_since = now
            if asked >= HOLD_AFTER:  # as long as this request waits
                self._hold_until = max(self._hold_until, now + wait)
            if self._state == "half-open" or (
                self.busy_seconds and now + wait - self._busy_since > self.busy_seconds
            ):
                self._open(f"only busy answers for {now - self._busy_since:.0f} s (last: {reason})")

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the circuit opens meanwhile (a retry's wait)."""
        with self._changed:
            self._changed.wait_for(lambda: self._state == "open", timeout=max(0.0, seconds))

    def _open(self, reason: str) -> None:  # under the lock
        was = self._state
        self._state, self._probing = "open", False
        self._opened_at = self._clock()
        self.reason = reason
        self._changed.notify_all()
        if was != "open":
            self.opened += 1
            logger.warning(
                "%s: %s; not sending for %.0f s (units not sent fall back to rules and "
                "their documents are recorded degraded)",
                self.endpoint, reason, self.cooldown,
            )  # fmt: skip

    def _error(self) -> EndpointDownError:  # under the lock
        return EndpointDownError(
            f"{self.endpoint}: not sent, the endpoint is failing ({self.reason})",
            reason=self.reason,
        )
