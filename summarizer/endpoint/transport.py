"""Transport retries: which HTTP failures are retried, how long to wait, when to give up.

One request to the endpoint is sent by :func:`send_with_retries`, which retries
408/429/5xx answers, timeouts and connection errors (anything else propagates at
once) until one of these holds:

* **the time budget is spent** — :attr:`RetryPolicy.budget` seconds (default
  120) since the first attempt: a retry whose wait would end past the budget is
  not made;
* **a failing server had its retries** — a failure the server did *not* ask us
  to wait for (500/502/504, timeouts, connection errors, a 503 without
  ``Retry-After``) counts against ``max_retries`` (``settings.max_retries``);
* **the attempt cap** — :attr:`RetryPolicy.max_attempts` (default 100), however
  short the waits;
* ``max_retries == 0`` turns retries off altogether.

A *busy* answer — HTTP 429, or any answer carrying ``Retry-After`` /
``retry-after-ms`` (a 503 during a deploy) — says the server is up and will
serve us later, so it does not use up ``max_retries``: only the time budget and
the attempt cap bound it. That is what keeps a batch whose concurrency exceeds a
provider's concurrency cap (16 requests against 8 slots, each answered 429 with
``Retry-After: 0.05``) from falling back to rules: the wait is in time, not in a
count that a short ``Retry-After`` spends in a quarter of a second.

Waits (:meth:`RetryPolicy.delay`) are exponential with random jitter. With a
``Retry-After`` the wait is never shorter than asked (capped at
:attr:`RetryPolicy.retry_after_cap`) and grows from it on consecutive attempts —
``asked · 2^(n-1)``, at most ×4 and at most :attr:`RetryPolicy.maximum`, plus up
to half of it as jitter — so that many clients refused at once do not come back
in lockstep, yet a slot that frees is taken soon (growing without that cap, a
batch of 16 against a server of 8 slots took 11.7 s instead of 7.7).
Without one it is ``initial · 2^(n-1)`` plus up to ``initial`` of jitter, capped
at ``maximum``.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import openai

from .redaction import scrub

__all__ = [
    "RETRYABLE_STATUS",
    "RetryPolicy",
    "TransportLog",
    "describe",
    "is_busy",
    "is_retryable",
    "retry_after",
    "send_with_retries",
]

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 429})  # plus every 5xx
#: A ``Retry-After`` wait doubles at most this many times (×4): the server said when
#: to come back, and a slot of a provider's concurrency cap frees within it.
BUSY_GROWTH = 2


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long and how often one request is retried (see the module docstring).

    Attributes:
        initial: first backoff in seconds without ``Retry-After``; doubles per
            attempt, plus up to ``initial`` seconds of random jitter.
        maximum: cap of one exponential backoff.
        retry_after_cap: cap on an honoured ``Retry-After``.
        budget: seconds of retrying per request, from its first attempt; no
            retry starts whose wait would end later.
        max_attempts: most attempts per request, however short the waits.
    """

    initial: float = 1.0
    maximum: float = 30.0
    retry_after_cap: float = 60.0
    budget: float = 120.0
    max_attempts: int = 100

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < 0 or self.retry_after_cap < 0 or self.budget < 0:
            raise ValueError("retry waits and the retry budget must be >= 0 seconds")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, exc: BaseException, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based) ended with ``exc``."""
        asked = retry_after(exc)
        if asked is not None:
            asked = min(asked, self.retry_after_cap)
            grown = max(asked, min(self.maximum, asked * 2 ** min(attempt - 1, BUSY_GROWTH)))
            return grown + random.uniform(0, grown / 2)
        expo = self.initial * 2 ** (attempt - 1)
        return min(self.maximum, expo + random.uniform(0, self.initial))


@dataclass
class TransportLog:
    """What one :func:`send_with_retries` call did (filled in as it goes).

    Attributes:
        attempts: HTTP attempts made.
        busy: attempts answered 429 or with ``Retry-After``.
        seconds: from the first attempt to the last outcome.
        gave_up: why retrying stopped, empty while it has not.
    """

    attempts: int = 0
    busy: int = 0
    seconds: float = 0.0
    gave_up: str = ""


#: Called before each retry's wait with (error, seconds to wait, attempts so far, log).
OnRetry = Callable[[BaseException, float, int, TransportLog], None]


def send_with_retries(
    send: Callable[[], T],
    *,
    policy: RetryPolicy,
    max_retries: int,
    log: TransportLog | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_retry: OnRetry | None = None,
) -> T:
    """``send()``, retried on transport failures as :class:`RetryPolicy` says.

    Args:
        send: makes one attempt (one HTTP request) and returns its result.
        policy: waits, time budget and attempt cap.
        max_retries: retries for failures the server did not ask us to wait for;
            0 turns every retry off.
        log: filled with attempts, busy answers, seconds and why it gave up.
        sleep: how to wait between attempts (tests may speed it up).
        clock: monotonic seconds, for the budget.
        on_retry: called before each wait (e.g. to log it).

    Raises:
        Exception: the last attempt's error, once retrying stops (non-retryable
            errors at once).
    """
    log = log if log is not None else TransportLog()
    start = clock()
    failures = 0
    while True:
        log.attempts += 1
        try:
            result = send()
        except Exception as e:
            log.seconds = clock() - start
            if not is_retryable(e):
                raise
            busy = is_busy(e)
            log.busy += busy
            failures += not busy
            wait = policy.delay(e, log.attempts)
            if max_retries <= 0:
                log.gave_up = "retries are off (max_retries=0)"
            elif failures > max_retries:
                log.gave_up = f"gave up after {log.attempts} attempts (max_retries={max_retries})"
            elif log.attempts >= policy.max_attempts:
                log.gave_up = f"gave up after {log.attempts} attempts (the cap)"
            elif log.seconds + wait > policy.budget:
                log.gave_up = (
                    f"gave up after {log.attempts} attempts in {log.seconds:.1f} s "
                    f"(retry budget {policy.budget:g} s)"
                )
            if log.gave_up:
                raise
            if on_retry is not None:
                on_retry(e, wait, log.attempts, log)
            sleep(wait)
            continue
        log.seconds = clock() - start
        return result


def is_retryable(exc: BaseException) -> bool:
    """408/429/5xx answers, timeouts and connection errors."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    return False


def is_busy(exc: BaseException) -> bool:
    """A 429, or an answer asking to come back later (``Retry-After``): the server is up."""
    if isinstance(exc, openai.APIStatusError) and exc.status_code == 429:
        return True
    return retry_after(exc) is not None


def retry_after(exc: BaseException) -> float | None:
    """Seconds asked for by ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def describe(exc: BaseException, secret: str) -> str:
    """A short, key-free description of a transport or API error."""
    if isinstance(exc, openai.APITimeoutError):
        text = "request timed out"
    elif isinstance(exc, openai.APIConnectionError):
        text = f"connection error: {exc.__cause__ or exc}"
    elif isinstance(exc, openai.APIStatusError):
        text = f"HTTP {exc.status_code}: {exc.message}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return scrub(text, secret)
