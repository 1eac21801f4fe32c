"""An endpoint that is down, refuses, or talks nonsense: a handful of requests, then stop.

The five seed documents run through ``summarizer run --backend llm`` (a
subprocess, as a user runs it) against loopback servers answering every request
with HTTP 500, HTTP 429 or unparseable content. Each batch must end quickly and
cheaply, record every document ``degraded`` (not done), exit non-zero with no
traceback and never show the key; the same command against a healthy endpoint
then redoes exactly those documents and records them ``ok``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, Reply, answer, auto_units, malformed, status

from summarizer import Settings, summarize_folder

ROOT = Path(__file__).resolve().parent.parent
SEED_DOCS = ROOT / "evals" / "seed" / "docs"
KEY = "sk-test-BREAKER-5f1e2d3c4b5a69788796a5b4"

BAD: dict[str, Reply] = {
    "always-500": status(500, message="internal error"),
    "always-429": status(429, message="rate limited"),
    "always-429-retry-after-1s": status(429, retry_after=1, message="rate limited"),
    "always-garbage": malformed("Sure! The report describes many achievements."),
}


def _run(fake: FakeOpenAI, out: Path, tmp: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = dict(
        os.environ, OPENAI_API_KEY=KEY, XDG_CACHE_HOME=str(tmp / "cache"), PYTHONPATH=str(ROOT)
    )
    for var in ("SUMMARIZER_BASE_URL", "OPENAI_BASE_URL", "SUMMARIZER_MODEL"):
        env.pop(var, None)
    cmd = [
        sys.executable, "-m", "summarizer.cli", "run", str(SEED_DOCS), "-o", str(out),
        "--backend", "llm", "--base-url", fake.base_url, "--model", "fake-model", "--no-cache",
    ]  # fmt: skip
    t0 = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=tmp)
    return proc, time.monotonic() - t0


def _statuses(out: Path) -> dict[str, str]:
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text("utf-8").splitlines()]
    return {r["name"]: r["status"] for r in rows}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_endpoint_costs_a_handful_of_requests_and_leaves_documents_degraded(
    kind: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with FakeOpenAI(default=BAD[kind]) as fake:
        proc, seconds = _run(fake, out, tmp_path)
        requests = len(fake.chat_requests)
    assert seconds <= 30, f"{kind}: {seconds:.1f} s"
    assert 1 <= requests <= 20, f"{kind}: {requests} requests"
    statuses = _statuses(out)
    assert len(statuses) == 5 and set(statuses.values()) == {"degraded"}, statuses
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text("utf-8").splitlines()]
    assert all(r["degraded"] > 0 and r["degraded_reason"] for r in rows)
    assert proc.returncode == 3
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("5 of 5 documents degraded") and "run the same command again" in last
    assert "Traceback" not in proc.stderr + proc.stdout
    written = "".join(p.read_text("utf-8", errors="replace") for p in out.rglob("*") if p.is_file())
    assert KEY not in proc.stderr + proc.stdout + written
    report = (out / "report.md").read_text("utf-8")
    assert "degraded: 5" in report and "## Degraded" in report

    with FakeOpenAI(default=auto_units()) as healthy:  # the endpoint is back
        again, _ = _run(healthy, out, tmp_path)
        assert healthy.chat_requests, "nothing was redone"
    assert again.returncode == 0, again.stderr[-2000:]
    assert set(_statuses(out).values()) == {"ok"}
    assert "reused 0 of 5" in again.stderr and "redone: 5 degraded" in again.stderr
    # quiet by default: no library's log lines below WARNING (e.g. httpx2 per request)
    assert "HTTP Request" not in again.stderr and "httpx" not in again.stderr
    assert not [ln for ln in again.stderr.splitlines() if ln.startswith("INFO ") and
                not ln.startswith("INFO summarizer")]  # fmt: skip
    for p in out.glob("*.json"):
        meta = json.loads(p.read_text("utf-8"))["metadata"]
        assert meta["degraded_units"] == 0 and meta["run_identity"]


def test_an_invented_figure_is_repaired_not_degraded(tmp_path: Path) -> None:
    """A fallback chosen by validation is the model's answer, repaired: the document is done."""
    text = (
        "某县2023年法治政府建设情况报告\n"
        "一、主要成效\n"
        "一是加强执法监督。全年开展执法检查12次，整改问题30个。\n"
    )
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(text, encoding="utf-8")
    invented = {"u1": {"category": "achievement", "summary": "执法检查增长999%", "figures": []}}
    with FakeOpenAI(default=answer(invented)) as fake:
        settings = Settings(
            backend="llm", base_url=fake.base_url, model="fake-model", cache=False,
            cache_dir=tmp_path / "cache", chunk_units=8, max_retries=0,
        )  # fmt: skip
        result = summarize_folder([src], tmp_path / "out", settings=settings)
        assert fake.chat_requests
    assert [o.status for o in result.outcomes] == ["ok"], result.outcomes
    summary = json.loads((tmp_path / "out" / "a.json").read_text("utf-8"))
    items = summary["achievements"]
    assert items and all("999" not in it["summary"] for it in items)
    assert summary["metadata"]["degraded_units"] == 0


def test_accept_degraded_keeps_them_and_an_unchanged_rerun_redoes_them(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for k in range(3):
        (src / f"d{k}.txt").write_text(
            f"某县2023年法治政府建设情况报告\n一、主要成效\n一是加强执法监督，检查{k + 2}次。\n",
            encoding="utf-8",
        )
    out = tmp_path / "out"

    def settings(fake: FakeOpenAI) -> Settings:
        return Settings(
            backend="llm", base_url=fake.base_url, model="fake-model", cache=False,
            cache_dir=tmp_path / "cache", chunk_units=8, max_retries=1,
        )  # fmt: skip

    with FakeOpenAI(default=status(500)) as fake:  # one endpoint (one URL): down, then back
        first = summarize_folder([src], out, settings=settings(fake))
        assert [o.status for o in first.outcomes] == ["degraded"] * 3
        assert len(first.degraded) == 3
        # degraded documents have outputs: in summaries.jsonl and the exports, not failed
        lines = (out / "summaries.jsonl").read_text("utf-8").splitlines()
        assert [json.loads(x)["doc_id"] for x in lines] == ["d0", "d1", "d2"]
        exported = (out / "items.csv").read_text("utf-8")
        assert all(f"d{k}" in exported for k in range(3))
        report = (out / "report.md").read_text("utf-8")
        assert "failed: 0, degraded: 3" in report and "FAILED" not in report
        assert all(f"| d{k} | degraded |" in report for k in range(3))
        fake.default = auto_units()
        sent = len(fake.chat_requests)
        kept = summarize_folder([src], out, settings=settings(fake), accept_degraded=True)
        assert len(fake.chat_requests) == sent, "an accepted degraded document was sent again"
        assert len(kept.accepted_degraded) == 3 and kept.degraded == () and not kept.failed
        assert all(o.label == "skipped (degraded, accepted)" for o in kept.outcomes)
        assert len((out / "summaries.jsonl").read_text("utf-8").splitlines()) == 3
        report = (out / "report.md").read_text("utf-8")
        assert "failed: 0, degraded: 0, skipped (done): 3" in report and "FAILED" not in report
        assert report.count("| skipped (degraded, accepted) |") == 3
        redone = summarize_folder([src], out, settings=settings(fake))
        assert len(fake.chat_requests) == sent + 3
    assert [o.status for o in redone.outcomes] == ["ok"] * 3
    assert redone.redo_reasons() == {"degraded": 3}
