"""Batches that survive: a re-run skips finished documents, a killed run resumes cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, auto_units
from outputs import per_document_outputs

from summarizer import Settings, Summarizer, summarize_folder
from summarizer.batch import folder as batch_mod
from summarizer.pipeline import rules_extract

ROOT = Path(__file__).resolve().parent.parent
SEED_DOCS = ROOT / "evals" / "seed" / "docs"

TEXT = (
    "某镇关于2023年法治政府建设情况的报告\n"
    "2023年，我镇深入推进法治政府建设，取得明显成效。现将有关情况报告如下：\n"
    "一、主要举措和成效\n"
    "一是强化组织领导。全年召开专题会议{n}次，受理群众信访举报11宗，办结率91%。\n"
    "二是加强法治宣传。开展普法活动8场，发放宣传资料2000多份。\n"
    "二、存在的不足\n"
    "执法人员素质参差不齐，依法行政能力有待提升。\n"
    "三、下一步工作计划\n"
    "继续加强执法队伍建设，提升依法行政水平。\n"
)


def _rules(tmp_path: Path) -> Settings:
    return Settings(backend="rules", cache=False, cache_dir=tmp_path / "cache")


class _Spy:
    """The rules backend, recording every document it is called for (injected via a session)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, document: Any, outline: Any) -> Any:
        self.seen.append(document.doc_id)
        return rules_extract(document, outline)


def _run(paths: list[Path], out: Path, settings: Settings, spy: _Spy) -> batch_mod.BatchResult:
    with Summarizer(settings, extractor=spy) as session:
        return session.summarize_folder(list(paths), out)


def test_second_run_skips_everything_and_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    spy = _Spy()
    seen = spy.seen
    first = _run([SEED_DOCS], out, _rules(tmp_path), spy)
    assert len(seen) == 5 and not first.failed and not first.skipped
    before = per_document_outputs(out)
    jsonl = (out / "summaries.jsonl").read_text(encoding="utf-8")
    manifest = (out / "manifest.jsonl").read_text(encoding="utf-8")

    with Summarizer(_rules(tmp_path)) as session:  # its own backend: was it opened?
        second = session.summarize_folder([SEED_DOCS], out)
        assert not session.opened, "the backend was opened although nothing was left to do"
    again = _run([SEED_DOCS], out, _rules(tmp_path), spy)
    assert all(o.skipped for o in again.outcomes)
    assert len(seen) == 5, "a finished document was summarised again"
    assert all(o.skipped and o.status == "ok" for o in second.outcomes)
    assert [o.name for o in second.outcomes] == [o.name for o in first.outcomes]
    assert [o.counts for o in second.outcomes] == [o.counts for o in first.outcomes]
    assert per_document_outputs(out) == before
    assert (out / "summaries.jsonl").read_text(encoding="utf-8") == jsonl
    assert (out / "manifest.jsonl").read_text(encoding="utf-8") == manifest
    assert "skipped (done)" in (out / "report.md").read_text(encoding="utf-8")


def test_changed_failed_and_missing_documents_are_redone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for k in range(4):
        (src / f"d{k}.txt").write_text(TEXT.format(n=k + 1), encoding="utf-8")
    (src / "d4.txt").write_text("", encoding="utf-8")  # fails
    spy = _Spy()
    seen = spy.seen
    first = _run([src], out, _rules(tmp_path), spy)
    assert [o.name for o in first.failed] == ["d4"] and len(seen) == 4

    (src / "d0.txt").write_text(TEXT.format(n=9), encoding="utf-8")  # changed input
    (out / "d1.json").unlink()  # output lost
    (src / "d4.txt").write_text(TEXT.format(n=5), encoding="utf-8")  # fixed
    (out / ".d2.json.abc.tmp").write_text("{half", encoding="utf-8")  # left by a kill
    seen.clear()
    second = _run([src], out, _rules(tmp_path), spy)
    assert sorted(seen) == ["d0", "d1", "d4"]
    assert [o.skipped for o in second.outcomes] == [False, False, True, True, False]
    assert not second.failed and not list(out.glob("*.tmp"))
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert [r["name"] for r in rows] == ["d0", "d1", "d2", "d3", "d4"]
    assert all(r["status"] == "ok" and len(r["sha256"]) == 64 for r in rows)
    lines = (out / "summaries.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["doc_id"] for x in lines] == ["d0", "d1", "d2", "d3", "d4"]
    assert "9次" in lines[0]

    # another backend or model is not "done" (the fingerprint differs)
    assert batch_mod.settings_fingerprint(_rules(tmp_path)) == "rules"
    llm = Settings(backend="llm", model="m", cache_dir=tmp_path / "cache")
    assert batch_mod.settings_fingerprint(llm) == "llm:m:judgement"  # embedded: auto scope
    assert batch_mod.settings_fingerprint(llm.with_(model_scope="all")) == "llm:m:all"
    assert batch_mod.settings_fingerprint(llm.with_(base_url="http://h/v1")) == "llm:m:all"
    monkeypatch.setattr(batch_mod, "settings_fingerprint", lambda s: "llm:other")
    seen.clear()
    third = _run([src], out, _rules(tmp_path), spy)
    assert not any(o.skipped for o in third.outcomes) and len(seen) == 5


def test_a_killed_run_resumes_without_duplicates_or_resent_requests(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    n_docs = 5
    for k in range(n_docs):
        (src / f"d{k}.txt").write_text(TEXT.format(n=k + 1), encoding="utf-8")
    env = dict(
        os.environ,
        SUMMARIZER_CHUNK_UNITS="8",  # one request per document
        SUMMARIZER_CONCURRENCY="1",
        SUMMARIZER_MAX_RETRIES="0",
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PYTHONPATH=str(ROOT),
    )

    def command(fake: FakeOpenAI) -> list[str]:
        return [
            sys.executable, "-m", "summarizer.cli", "-q", "run", str(src), "-o", str(out),
            "--backend", "llm", "--base-url", fake.base_url, "--model", "fake-model",
            "--no-cache",
        ]  # fmt: skip

    with FakeOpenAI(default=auto_units(seconds=0.4)) as fake:
        proc = subprocess.Popen(command(fake), env=env, cwd=tmp_path)
        deadline = time.monotonic() + 60
        manifest = out / "manifest.jsonl"
        while time.monotonic() < deadline and proc.poll() is None:
            if manifest.is_file() and '"ok"' in manifest.read_text(encoding="utf-8"):
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

        done = {
            json.loads(x)["name"]
            for x in manifest.read_text(encoding="utf-8").splitlines()
            if x.strip().endswith("}") and json.loads(x)["status"] == "ok"
        }
        assert 1 <= len(done) < n_docs
        first_requests = len(fake.chat_requests)

        second = subprocess.run(command(fake), env=env, cwd=tmp_path, timeout=120)
        assert second.returncode == 0
        resent = fake.chat_requests[first_requests:]
        assert len(resent) == n_docs - len(done)
        for name in done:  # a finished document is never sent again
            marker = TEXT.format(n=int(name[1:]) + 1).splitlines()[3]
            assert not any(marker in r.text() for r in resent)

    assert not list(out.glob("*.tmp")) and not list(out.glob(".*"))
    lines = (out / "summaries.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["doc_id"] for x in lines] == [f"d{k}" for k in range(n_docs)]
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert [r["name"] for r in rows] == [f"d{k}" for k in range(n_docs)]
    assert all(r["status"] == "ok" for r in rows)
    for p in out.glob("*.json"):
        data = json.loads(p.read_text(encoding="utf-8"))
        assert data["achievements"], p.name
        calls = data["metadata"]["calls"]
        assert calls and all(c["status"] != "fallback" for c in calls), p.name  # model answers


def test_seed_names_are_stable(tmp_path: Path) -> None:
    src = tmp_path / "in"
    shutil.copytree(SEED_DOCS, src)
    a = summarize_folder([src], tmp_path / "a", settings=_rules(tmp_path))
    b = summarize_folder([src], tmp_path / "b", settings=_rules(tmp_path))
    assert [o.name for o in a.outcomes] == [o.name for o in b.outcomes]


def test_a_manifest_line_cut_by_a_kill_is_ignored(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for k in range(2):
        (src / f"d{k}.txt").write_text(TEXT.format(n=k + 1), encoding="utf-8")
    summarize_folder([src], out, settings=_rules(tmp_path))
    manifest = out / "manifest.jsonl"
    rows = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_text(rows[0] + "\n" + rows[1][:30], encoding="utf-8")  # d1's row cut short
    result = summarize_folder([src], out, settings=_rules(tmp_path))
    assert [o.skipped for o in result.outcomes] == [True, False]
    names = [json.loads(x)["name"] for x in manifest.read_text(encoding="utf-8").splitlines()]
    assert names == ["d0", "d1"]
