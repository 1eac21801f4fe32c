"""The circuit breaker: opens after consecutive failures, refuses, probes after a cool-down."""

from __future__ import annotations

import threading
import time

import pytest
from fake_openai import FakeOpenAI, answer, status
from pydantic import BaseModel

from summarizer import Settings
from summarizer.endpoint.breaker import CircuitBreaker, EndpointDownError
from summarizer.endpoint.client import LLMClient, ModelCallError
from summarizer.errors import ModelError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_refuses_then_probes_once() -> None:
    clock = Clock()
    b = CircuitBreaker("m at http://h/v1", failures=3, cooldown=10, clock=clock)
    for _ in range(2):
        b.before_request()
        b.record_failure("HTTP 500")
    b.record_success()  # a usable answer ends the run of failures
    for _ in range(3):
        b.before_request()
        b.record_failure("HTTP 500")
    assert b.state == "open"
    with pytest.raises(EndpointDownError) as info:
        b.before_request()
    assert isinstance(info.value, ModelError) and "HTTP 500" in str(info.value)
    clock.now += 10
    b.before_request()  # the probe
    assert b.state == "half-open"
    with pytest.raises(EndpointDownError):
        b.before_request()  # only one probe at a time
    b.record_failure("HTTP 500")  # the probe failed: open for another cool-down
    assert b.state == "open"
    with pytest.raises(EndpointDownError):
        b.before_request()
    clock.now += 10
    b.before_request()
    b.record_success()
    assert b.state == "closed" and b.opened == 2 and b.refused == 3
    b.before_request()


def test_busy_answers_open_it_only_by_how_long_they_last() -> None:
    clock = Clock()
    b = CircuitBreaker("m", failures=3, busy_seconds=20, clock=clock)
    for _ in range(150):  # many short Retry-After waits: the server paces us, 15 s in all
        b.record_busy(0.05, "HTTP 429", asked=0.05)
        clock.now += 0.1
    assert b.state == "closed"  # a count would have opened it long ago
    for _ in range(60):
        b.record_busy(0.05, "HTTP 429", asked=0.05)
        clock.now += 0.1
    assert b.state == "open" and "only busy answers" in b.reason


def test_busy_answers_with_successes_between_never_open() -> None:
    clock = Clock()
    b = CircuitBreaker("m", failures=3, busy_seconds=20, clock=clock)
    for _ in range(500):
        b.record_busy(0.05, "HTTP 429", asked=0.05)
        clock.now += 0.1
        if _ % 10 == 0:
            b.record_success()
    assert b.state == "closed"


def test_a_busy_streak_that_would_outlast_the_window_opens_it() -> None:
    clock = Clock()
    b = CircuitBreaker("m", failures=100, busy_seconds=20, clock=clock)
    b.record_busy(5, "HTTP 429", asked=0.05)
    clock.now += 5
    b.record_busy(10, "HTTP 429", asked=0.05)
    assert b.state == "closed"  # ends at 15 s
    clock.now += 10
    b.record_busy(8, "HTTP 429", asked=0.05)  # would end at 23 s
    assert b.state == "open"


def test_requests_in_flight_together_fail_together_as_one() -> None:
    b = CircuitBreaker("m", failures=3)
    burst = [b.before_request() for _ in range(64)]  # 64 sent at once
    for ticket in burst[:20]:  # 20 connection resets of that burst
        b.record_failure("connection reset", ticket)
    assert b.state == "closed"
    for _ in range(2):  # each retry, sent after the failure, fails again: new evidence
        b.record_failure("HTTP 500", b.before_request())
    assert b.state == "open"
    b2 = CircuitBreaker("m", failures=2)
    b2.record_failure("unusable answer")  # answers carry no ticket: each counts
    b2.record_failure("unusable answer")
    assert b2.state == "open"


def test_a_retry_wait_is_cut_short_when_it_opens() -> None:
    b = CircuitBreaker("m", failures=1)
    threading.Timer(0.1, b.record_failure, args=("HTTP 500",)).start()
    t0 = time.monotonic()
    b.sleep(10)
    assert time.monotonic() - t0 < 5


class Verdict(BaseModel):
    ok: bool


def test_the_client_stops_sending_once_open(tmp_path: object) -> None:
    with FakeOpenAI(default=status(500)) as fake:
        settings = Settings(
            backend="llm", base_url=fake.base_url, model="m", cache=False, max_retries=10,
            breaker_failures=3, breaker_cooldown=60,
        )  # fmt: skip
        with LLMClient(settings, sleep=lambda _s: None) as client:
            with pytest.raises(ModelCallError) as first:
                client.structured([{"role": "user", "content": "x"}], Verdict)
            assert first.value.kind == "endpoint_down"  # retries stopped by the breaker
            assert len(fake.chat_requests) == 3
            with pytest.raises(ModelCallError) as second:
                client.structured([{"role": "user", "content": "x"}], Verdict)
            assert second.value.kind == "endpoint_down" and len(fake.chat_requests) == 3
    with FakeOpenAI(default=answer({"ok": True})) as good:
        settings = Settings(backend="llm", base_url=good.base_url, model="m", cache=False)
        with LLMClient(settings) as client:
            for _ in range(3):
                client.structured([{"role": "user", "content": "x"}], Verdict)
            assert client.breaker.state == "closed"


def test_a_long_retry_after_holds_every_request_until_then() -> None:
    b = CircuitBreaker("m", failures=5, busy_seconds=60)
    b.record_busy(0.3, "HTTP 429", asked=1.0)  # the endpoint's: hold all
    t0 = time.monotonic()
    b.before_request()
    assert time.monotonic() - t0 >= 0.25
    b.record_busy(0.3, "HTTP 429", asked=0.05)  # a slot's: this request only
    t0 = time.monotonic()
    b.before_request()
    assert time.monotonic() - t0 < 0.2
