"""Concurrency and rate limits: same outputs at any concurrency, bounded in-flight requests."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from clocks import FakeClock
from fake_openai import FakeOpenAI, auto_units

from summarizer import Settings, summarize_folder
from summarizer.endpoint.client import LLMClient
from summarizer.endpoint.ratelimit import RateLimiter, TokenBucket
from summarizer.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SEED_DOCS = ROOT / "evals" / "seed" / "docs"


def _items(out: Path) -> dict[str, object]:
    """Per document: the items and removals only (no timings or usage)."""
    found: dict[str, object] = {}
    for p in sorted(out.glob("*.json")):
        d = json.loads(p.read_text(encoding="utf-8"))
        found[p.name] = {
            k: d[k] for k in ("achievements", "shortcomings", "plans", "removed", "title")
        }
    return found


def _doc_ids(out: Path) -> list[str]:
    lines = (out / "summaries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x)["doc_id"] for x in lines]


def test_rules_batch_is_identical_at_any_concurrency(tmp_path: Path) -> None:
    base = Settings(backend="rules", cache=False, cache_dir=tmp_path / "c")
    one = summarize_folder([SEED_DOCS], tmp_path / "one", settings=base.with_(concurrency=1))
    four = summarize_folder([SEED_DOCS], tmp_path / "four", settings=base.with_(concurrency=4))
    assert [o.name for o in one.outcomes] == [o.name for o in four.outcomes]
    assert _items(tmp_path / "one") == _items(tmp_path / "four")
    assert _doc_ids(tmp_path / "one") == _doc_ids(tmp_path / "four")
    assert _doc_ids(tmp_path / "one") == sorted(p.stem for p in SEED_DOCS.glob("*.txt"))


def test_llm_batch_is_identical_and_in_flight_requests_stay_bounded(tmp_path: Path) -> None:
    outs = {}
    for n in (1, 3):
        with FakeOpenAI(default=auto_units(seconds=0.02)) as fake:
            settings = Settings(
                backend="llm", base_url=fake.base_url, model="fake-model", cache=False,
                cache_dir=tmp_path / "c", chunk_units=4, max_retries=0, concurrency=n,
            )  # fmt: skip
            out = tmp_path / f"c{n}"
            result = summarize_folder([SEED_DOCS], out, settings=settings)
            assert not result.failed
            # documents and chunks both run n at a time; the client keeps the total at n
            assert 1 <= fake.max_in_flight <= n
            if n > 1:
                assert fake.max_in_flight > 1, "nothing ran concurrently"
            outs[n] = out
    assert _items(outs[1]) == _items(outs[3])
    assert _doc_ids(outs[1]) == _doc_ids(outs[3])


def test_token_bucket_refills_over_time() -> None:
    clock = FakeClock(1000.0)
    bucket = TokenBucket(60, clock=clock)  # 1 per second, burst 60
    assert all(bucket.reserve() == 0.0 for _ in range(60))
    assert bucket.reserve() == pytest.approx(1.0)
    assert bucket.reserve() == pytest.approx(2.0)  # queued behind the previous one
    clock.now += 10
    assert bucket.level == pytest.approx(8.0)
    assert bucket.reserve(1000) == pytest.approx(52.0)  # clamped to the capacity


def test_rate_limiter_waits_for_both_limits() -> None:
    clock = FakeClock(1000.0)
    limiter = RateLimiter(requests_per_minute=2, tokens_per_minute=600, clock=clock,
                          sleep=clock.sleep)  # fmt: skip
    assert limiter.acquire(100) == 0.0
    assert limiter.acquire(100) == 0.0
    assert limiter.acquire(100) == pytest.approx(30.0)  # third request: half a minute later
    assert clock.slept == [pytest.approx(30.0)]
    assert limiter.acquire(600) == pytest.approx(30.0)  # requests bind; tokens had refilled
    tokens = RateLimiter(tokens_per_minute=600, clock=clock, sleep=clock.sleep)
    assert tokens.acquire(500) == 0.0
    assert tokens.acquire(400) == pytest.approx(30.0)  # 300 short at 10 tokens/s
    off = RateLimiter()
    assert not off.enabled and off.acquire(10**6) == 0.0
    with pytest.raises(ValueError):
        RateLimiter(requests_per_minute=-1)


def test_rate_limiter_is_thread_safe() -> None:
    clock = FakeClock(1000.0)
    lock = threading.Lock()
    waits: list[float] = []
    limiter = RateLimiter(requests_per_minute=10, clock=clock, sleep=lambda s: None)

    def take() -> None:
        w = limiter.acquire()
        with lock:
            waits.append(w)

    threads = [threading.Thread(target=take) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 10 free, then one every 6 s: every reservation got its own slot
    assert sorted(waits) == pytest.approx([0.0] * 10 + [6.0 * k for k in range(1, 31)])


def test_client_applies_the_rate_limit_before_each_attempt(tmp_path: Path) -> None:
    from pydantic import BaseModel

    class Ids(BaseModel):
        ids: list[str]

    slept: list[float] = []
    with FakeOpenAI() as fake:
        from fake_openai import answer

        fake.enqueue(*[answer({"ids": ["u1"]}) for _ in range(3)])
        settings = Settings(backend="llm", base_url=fake.base_url, model="m", cache=False,
                            cache_dir=tmp_path / "c", requests_per_minute=2,
                            tokens_per_minute=100_000)  # fmt: skip
        with LLMClient(settings, sleep=slept.append) as client:
            for _ in range(3):
                client.structured([{"role": "user", "content": "列出编号"}], Ids)
        assert len(fake.chat_requests) == 3
    assert len(slept) == 1 and 25 < slept[0] <= 30  # the third request waits for the bucket


def test_settings_rate_limits_from_env() -> None:
    s = Settings.from_env(
        {"SUMMARIZER_REQUESTS_PER_MINUTE": "30", "SUMMARIZER_TOKENS_PER_MINUTE": "9000"}
    )
    assert (s.requests_per_minute, s.tokens_per_minute) == (30, 9000)
    assert Settings().requests_per_minute == 0 and Settings().tokens_per_minute == 0
    with pytest.raises(ConfigError):
        Settings(tokens_per_minute=-5)


def test_a_provider_concurrency_cap_costs_time_not_fallbacks(tmp_path: Path) -> None:
    """16 documents at once against a server serving 8 (429, Retry-After: 0.05 beyond)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for k in range(48):
        (docs / f"doc_{k:03d}.txt").write_text(
            f"某{k}区2023年法治政府建设情况报告\n一、主要成效\n1.办理政务服务事项{k + 10}件。\n"
            f"2.开展法治宣传活动{k + 3}场。\n二、存在的不足\n执法人员{k % 5 + 2}人不足。\n",
            encoding="utf-8",
        )
    with FakeOpenAI(default=auto_units(seconds=0.3), max_concurrent=8) as fake:
        settings = Settings(
            backend="llm", base_url=fake.base_url, model="fake", cache=False,
            cache_dir=tmp_path / "c", chunk_units=100, reasks=0, concurrency=16,
        )  # fmt: skip
        result = summarize_folder([docs], tmp_path / "out", settings=settings)
        rejected = fake.rejected
    assert rejected > 0, "the server's cap was never hit"
    assert not result.failed
    assert [o.name for o in result.outcomes if o.warnings] == []  # no document fell back
    assert result.usage.calls >= 48 + rejected  # (+ any reset keep-alive connection)
