"""Transport retries bounded by time: endpoint.transport, alone and through the client."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openai
import pytest
from clocks import FakeClock
from fake_openai import FakeOpenAI, answer, status
from pydantic import BaseModel

from summarizer.endpoint.client import LLMClient, ModelCallError
from summarizer.endpoint.transport import RetryPolicy, TransportLog, is_busy, send_with_retries
from summarizer.settings import Settings


class Ids(BaseModel):
    ids: list[str]


MESSAGES = [{"role": "user", "content": "列出编号"}]


def _error(code: int, retry_after: str | None = None) -> openai.APIStatusError:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    # what the SDK reads of an httpx response: status, headers, request
    response: Any = SimpleNamespace(status_code=code, headers=headers, request=None)
    cls = {429: openai.RateLimitError, 400: openai.BadRequestError}.get(code)
    if cls is None:
        cls = openai.InternalServerError
    return cls("scripted", response=response, body=None)


def _failing(errors: list[BaseException], then: object = "ok", cost: float = 0.0,
             clock: FakeClock | None = None):  # fmt: skip
    def send() -> object:
        if clock is not None:
            clock.now += cost
        if errors:
            raise errors.pop(0)
        return then

    return send


def test_busy_answers_are_bounded_by_time_not_by_max_retries() -> None:
    clock = FakeClock()
    policy = RetryPolicy(budget=100.0, maximum=1.0)
    log = TransportLog()
    send = _failing([_error(429, "0.05") for _ in range(30)], cost=0.3, clock=clock)
    assert send_with_retries(send, policy=policy, max_retries=2, log=log, sleep=clock.sleep,
                             clock=clock) == "ok"  # fmt: skip
    assert log.attempts == 31 and log.busy == 30 and not log.gave_up  # far more than 2 retries
    assert all(w >= 0.05 for w in clock.slept)  # never sooner than Retry-After
    assert clock.slept[2] >= 0.2 and max(clock.slept) <= 0.3  # grows from it ×4 at most (+ jitter)


def test_an_always_busy_server_fails_when_the_budget_is_spent() -> None:
    clock = FakeClock()
    policy = RetryPolicy(budget=5.0, maximum=0.5)
    log = TransportLog()
    send = _failing([_error(503, "0.1") for _ in range(1000)], cost=0.01, clock=clock)
    with pytest.raises(openai.InternalServerError):
        send_with_retries(send, policy=policy, max_retries=4, log=log, sleep=clock.sleep,
                          clock=clock)  # fmt: skip
    assert clock.now <= 5.0 + 0.01  # no wait was started that would end past the budget
    assert log.attempts > 5 and "retry budget 5 s" in log.gave_up


def test_failures_without_retry_after_use_up_max_retries() -> None:
    clock = FakeClock()
    log = TransportLog()
    send = _failing([_error(500) for _ in range(10)])
    with pytest.raises(openai.InternalServerError):
        send_with_retries(send, policy=RetryPolicy(initial=0.1), max_retries=2, log=log,
                          sleep=clock.sleep, clock=clock)  # fmt: skip
    assert log.attempts == 3 and "max_retries=2" in log.gave_up
    assert 0.1 <= clock.slept[0] <= 0.2 and 0.2 <= clock.slept[1] <= 0.3  # exponential + jitter


def test_attempt_cap_zero_retries_and_non_retryable_errors() -> None:
    clock = FakeClock()
    log = TransportLog()
    with pytest.raises(openai.RateLimitError):
        send_with_retries(_failing([_error(429, "0") for _ in range(50)]),
                          policy=RetryPolicy(max_attempts=7), max_retries=4, log=log,
                          sleep=clock.sleep, clock=clock)  # fmt: skip
    assert log.attempts == 7 and "cap" in log.gave_up
    log = TransportLog()
    with pytest.raises(openai.RateLimitError):
        send_with_retries(_failing([_error(429, "0")]), policy=RetryPolicy(), max_retries=0,
                          log=log, sleep=clock.sleep, clock=clock)  # fmt: skip
    assert log.attempts == 1 and "off" in log.gave_up
    log = TransportLog()
    with pytest.raises(openai.BadRequestError):
        send_with_retries(_failing([_error(400)]), policy=RetryPolicy(), max_retries=4,
                          log=log, sleep=clock.sleep, clock=clock)  # fmt: skip
    assert log.attempts == 1 and not log.gave_up
    assert is_busy(_error(429)) and is_busy(_error(503, "1")) and not is_busy(_error(503))
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_client_gives_up_on_an_always_503_server_within_its_budget(tmp_path: Path) -> None:
    with FakeOpenAI(default=status(503, retry_after=0.05)) as fake:
        settings = Settings(backend="llm", base_url=fake.base_url, model="m", cache=False,
                            cache_dir=tmp_path, max_retries=2, reasks=0)  # fmt: skip
        policy = RetryPolicy(maximum=0.2, budget=1.5)
        t = time.monotonic()
        with LLMClient(settings, retry=policy) as client, pytest.raises(ModelCallError) as info:
            client.structured(MESSAGES, Ids)
        took = time.monotonic() - t
        err = info.value
        assert err.kind == "transport" and "HTTP 503" in err.reasons[0]
        assert "retry budget 1.5 s" in err.reasons[0]
        assert took < 1.5 + 1.0
        assert len(fake.chat_requests) > settings.max_retries + 1  # time-bounded, not 3 attempts
        assert err.usage.calls == len(fake.chat_requests)


def test_client_waits_out_a_busy_server(tmp_path: Path) -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(*[status(429, retry_after=0.02) for _ in range(8)], answer({"ids": ["u1"]}))
        settings = Settings(backend="llm", base_url=fake.base_url, model="m", cache=False,
                            cache_dir=tmp_path, max_retries=1, reasks=0)  # fmt: skip
        with LLMClient(settings, retry=RetryPolicy(maximum=0.1)) as client:
            obj, usage = client.structured(MESSAGES, Ids)
        assert obj.ids == ["u1"] and usage.calls == 9 and len(fake.chat_requests) == 9
