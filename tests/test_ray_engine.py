"""The Ray engine: same outputs, manifest, report and resume as the local engine.

Ray runs in local mode (one instance for the module: ``ray.init`` takes
seconds). The tests of what the engine does when *it* starts or joins Ray (an
unreachable cluster, ``-q``) run the CLI in a fresh process instead. Tests that
need Ray skip when it is not installed (``pip install 'summarizer[ray]'``; the
``dev`` extra includes it).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fake_openai import FakeOpenAI, auto_units
from outputs import per_document_outputs
from test_llm_backend import TEXT, settings_for

from summarizer import ConfigError, Settings, SummarizerError
from summarizer.batch import folder as batch_mod
from summarizer.batch.engines import WorkItem, WorkResult, ray_runner, summarize_item
from summarizer.cli import main
from summarizer.pipeline import rules_extract

ROOT = Path(__file__).resolve().parent.parent
SEED_DOCS = ROOT / "evals" / "seed" / "docs"
FAKE_KEY = "sk-FAKE-ray-engine-0123456789abcdef"

# Ray Data's own deprecation notices about its settings, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray")


@pytest.fixture(scope="module")
def ray_local() -> Iterator[Any]:
    """One local Ray instance for the module (2 CPUs, no dashboard), shut down after."""
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'summarizer[ray]'")
    pytest.importorskip("ray.data", reason="ray[data] is not installed")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def _rules(tmp_path: Path, **changes: Any) -> Settings:
    return Settings(backend="rules", cache=False, cache_dir=tmp_path / "cache", **changes)


def _untimed(data: Any) -> Any:
    """``data`` without the seconds in its ``usage`` records (model call times)."""
    if isinstance(data, dict):
        return {
            k: _untimed({u: v for u, v in value.items() if u != "seconds"})
            if k == "usage" and isinstance(value, dict)
            else _untimed(value)
            for k, value in data.items()
        }
    if isinstance(data, list):
        return [_untimed(value) for value in data]
    return data


def _per_document(out: Path) -> dict[str, Any]:
    """:func:`per_document_outputs` with model call times dropped too."""
    return {
        name: _untimed(json.loads(text)) if name.endswith(".json") else text
        for name, text in per_document_outputs(out).items()
    }


def _jsonl(path: Path, drop: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for key in drop:
            row.pop(key, None)
        if "metadata" in row:
            row["metadata"].pop("timings", None)
        rows.append(_untimed(row))
    return rows


def _report(out: Path) -> list[str]:
    """The report without times (wall time, the seconds column)."""
    lines = []
    for line in (out / "report.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("Documents:"):
            line = line.split(", wall time")[0]
        elif line.startswith("| ") and line.rstrip().endswith("|"):
            line = line.rstrip()[:-1].rsplit("|", 1)[0]
        lines.append(line)
    return lines


def _xlsx(path: Path) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _assert_same_outputs(local: Path, ray_out: Path) -> None:
    assert _per_document(ray_out) == _per_document(local)
    assert _jsonl(ray_out / "summaries.jsonl", ()) == _jsonl(local / "summaries.jsonl", ())
    assert _jsonl(ray_out / "manifest.jsonl", ("seconds",)) == _jsonl(
        local / "manifest.jsonl", ("seconds",)
    )
    assert (ray_out / "items.csv").read_bytes() == (local / "items.csv").read_bytes()
    assert _xlsx(ray_out / "items.xlsx") == _xlsx(local / "items.xlsx")
    assert _report(ray_out) == _report(local)


# --- no Ray needed ---------------------------------------------------------------------------


def test_unknown_engine_and_stray_address_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown engine"):
        batch_mod.summarize_folder(
            [SEED_DOCS], tmp_path / "o", settings=_rules(tmp_path), engine="spark"
        )
    with pytest.raises(ConfigError, match="ray engine"):
        batch_mod.summarize_folder(
            [SEED_DOCS], tmp_path / "o", settings=_rules(tmp_path), ray_address="auto"
        )


def test_work_result_round_trips_through_json(tmp_path: Path) -> None:
    doc = sorted(SEED_DOCS.glob("*.txt"))[0]
    ok = summarize_item(WorkItem(3, str(doc), "d"), _rules(tmp_path), lambda: rules_extract)
    bad = summarize_item(
        WorkItem(4, str(tmp_path / "nope.txt"), "n"), _rules(tmp_path), lambda: rules_extract
    )
    assert ok.summary is not None and ok.error is None and ok.text
    back = WorkResult.from_json(ok.to_json())
    assert back.summary == ok.summary and back.text == ok.text and back.key == 3
    assert bad.summary is None and bad.error and WorkResult.from_json(bad.to_json()) == bad


def test_without_ray_the_engine_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(ConfigError, match=r"summarizer\[ray\]"):
        batch_mod.summarize_folder(
            [SEED_DOCS], tmp_path / "o", settings=_rules(tmp_path), engine="ray"
        )


def test_the_key_never_shows_but_travels(tmp_path: Path) -> None:
    settings = _rules(tmp_path, api_key=FAKE_KEY)
    assert FAKE_KEY not in repr(settings) and FAKE_KEY not in str(settings)
    assert FAKE_KEY not in settings.model_dump_json()
    assert pickle.loads(pickle.dumps(settings)).api_key.get_secret_value() == FAKE_KEY


# --- on Ray (local mode) ---------------------------------------------------------------------


def test_ray_outputs_manifest_and_report_equal_the_local_engine(
    tmp_path: Path, ray_local: Any
) -> None:
    local = batch_mod.summarize_folder([SEED_DOCS], tmp_path / "local", settings=_rules(tmp_path))
    on_ray = batch_mod.summarize_folder(
        [SEED_DOCS], tmp_path / "ray", settings=_rules(tmp_path), engine="ray"
    )
    assert [o.status for o in on_ray.outcomes] == [o.status for o in local.outcomes]
    assert [o.name for o in on_ray.outcomes] == [o.name for o in local.outcomes]
    assert len(on_ray.outcomes) == 5 and not on_ray.failed
    _assert_same_outputs(tmp_path / "local", tmp_path / "ray")


def test_bad_inputs_are_recorded_not_raised(tmp_path: Path, ray_local: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(sorted(SEED_DOCS.glob("*.txt"))[0], docs / "good.txt")
    (docs / "empty.txt").write_text("   \n", encoding="utf-8")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (docs / "broken.docx").write_bytes(b"not a zip")
    local = batch_mod.summarize_folder([docs], tmp_path / "local", settings=_rules(tmp_path))
    on_ray = batch_mod.summarize_folder(
        [docs], tmp_path / "ray", settings=_rules(tmp_path), engine="ray"
    )
    assert {o.name for o in on_ray.failed} == {"broken", "broken-2", "empty"}
    assert all(o.error for o in on_ray.failed)
    assert [(o.name, o.status, o.error) for o in on_ray.outcomes] == [
        (o.name, o.status, o.error) for o in local.outcomes
    ]
    _assert_same_outputs(tmp_path / "local", tmp_path / "ray")


def test_resume_under_ray_dispatches_only_what_is_not_done(tmp_path: Path, ray_local: Any) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(SEED_DOCS, docs)
    out = tmp_path / "out"
    dispatched: list[list[str]] = []
    real = ray_runner()

    def counting(items: Sequence[WorkItem], settings: Settings) -> Iterator[WorkResult]:
        dispatched.append([it.name for it in items])
        yield from real(items, settings)

    first = batch_mod.summarize_folder([docs], out, settings=_rules(tmp_path), runner=counting)
    assert len(dispatched[0]) == 5 and not first.failed
    before = per_document_outputs(out)
    jsonl = (out / "summaries.jsonl").read_text(encoding="utf-8")

    again = batch_mod.summarize_folder([docs], out, settings=_rules(tmp_path), engine="ray")
    assert len(again.skipped) == 5 and not again.failed
    assert per_document_outputs(out) == before
    assert (out / "summaries.jsonl").read_text(encoding="utf-8") == jsonl

    changed = sorted(docs.glob("*.txt"))[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    third = batch_mod.summarize_folder([docs], out, settings=_rules(tmp_path), runner=counting)
    assert dispatched[1:] == [[changed.stem]]  # skip decided on the driver, before dispatch
    assert len(third.skipped) == 4 and not third.failed
    rows = _jsonl(out / "manifest.jsonl", ())
    assert [r["status"] for r in rows] == ["ok"] * 5 and len(rows) == 5


def test_cli_engine_ray_and_the_key_is_nowhere(
    tmp_path: Path,
    ray_local: Any,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    doc = sorted(SEED_DOCS.glob("*.txt"))[0]
    out = tmp_path / "out"
    code = main(["run", str(doc), "-o", str(out), "--backend", "rules", "--engine", "ray", "-v"])
    assert code == 0
    assert json.loads((out / "manifest.jsonl").read_text(encoding="utf-8"))["status"] == "ok"
    captured = capfd.readouterr()
    assert FAKE_KEY not in captured.out + captured.err
    for p in out.rglob("*"):
        if p.is_file():
            assert FAKE_KEY.encode() not in p.read_bytes(), p
    node = ray_local._private.worker._global_node  # Ray's logs of this session
    logs = Path(node.get_logs_dir_path())
    assert logs.is_dir()
    for p in logs.rglob("*"):
        if p.is_file():
            assert FAKE_KEY.encode() not in p.read_bytes(), p


# --- the CLI in a fresh process (Ray started by the engine itself) ---------------------------


def _cli(
    args: list[str], cwd: Path, timeout: float, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m summarizer.cli ARGS`` in a new process (no Ray inherited from the tests)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    environ.update(PYTHONPATH=str(ROOT), SUMMARIZER_CACHE_DIR=str(cwd / "cache"), **env)
    return subprocess.run(
        [sys.executable, "-m", "summarizer.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,  # subprocess.run kills (SIGKILL) the child when it is over
    )


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(90)
def test_an_unreachable_cluster_is_a_one_line_error_not_a_hang(tmp_path: Path) -> None:
    pytest.importorskip("ray.data", reason="ray[data] is not installed")
    doc = tmp_path / "d.txt"
    doc.write_text(TEXT, encoding="utf-8")
    silent = socket.socket()  # accepts connections (the kernel does), never answers
    silent.bind(("0.0.0.0", 0))
    silent.listen(8)
    port = _closed_port()
    cases = [
        (f"127.0.0.1:{port}", "nothing answers"),  # a GCS address
        (f"ray://127.0.0.1:{port}", "nothing answers"),  # a Ray Client address
        (f"127.0.0.1:{silent.getsockname()[1]}", "timed out after 3 s"),  # Ray retries forever
    ]
    try:
        for address, reason in cases:
            t = time.monotonic()
            r = _cli(
                ["-q", "run", str(doc), "-o", "out", "--backend", "rules", "--engine", "ray",
                 "--ray-address", address],
                tmp_path,
                timeout=60,
                SUMMARIZER_RAY_CONNECT_TIMEOUT="3",
            )  # fmt: skip
            took = time.monotonic() - t
            assert r.returncode == 2, (address, r.stderr)
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1, (address, r.stderr)
            assert lines[0].startswith("error: ") and repr(address) in lines[0], lines[0]
            assert reason in lines[0] and "SUMMARIZER_RAY_CONNECT_TIMEOUT" in lines[0]
            assert took < 25, (address, took)
            assert not list((tmp_path / "out").glob("*.json"))  # nothing was run
    finally:
        silent.close()


def test_a_bad_connect_timeout_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray.data", reason="ray[data] is not installed")
    monkeypatch.setenv("SUMMARIZER_RAY_CONNECT_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="SUMMARIZER_RAY_CONNECT_TIMEOUT"):
        Settings.from_env()
    with pytest.raises(ConfigError, match="ray_connect_timeout"):
        Settings(ray_connect_timeout=-1)
    with pytest.raises(ConfigError, match="positive"):
        ray_runner("127.0.0.1:6379", connect_timeout=0)


#: How Ray's own lines start: its Python logs (``2026-11-21 07:49:11,807\tWARNING …``), its C++
#: logs (``[2026-11-21 07:49:18,202 E 18016 18016] core_worker.cc…``) and lines forwarded
#: from its processes (``(raylet) …``, ``(MapWorker(…) pid=123) …``, maybe coloured).
RAY_LINE = re.compile(
    r"^(\x1b\[\d+m)*(\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d|\([\w()]+( pid=\d+)?\))"
)


def test_ray_lines_are_recognised() -> None:
    noise = [
        "2026-11-21 07:49:11,807\tWARNING authentication_token_setup.py:85 -- Token auth…",
        "[2026-11-21 07:49:18,202 E 18016 18016] core_worker.cc:2465: Actor with class name…",
        "\x1b[33m(raylet)\x1b[0m [2026-11-21 07:50:14,380 I 19372 19372] logging.cc:303: …",
        "\x1b[36m(MapWorker(Map(_RaySummarizer)) pid=19706)\x1b[0m Max retries exceeded.",
    ]
    ours = [
        "[1/2] d0: 2 achievements, 1 shortcomings, 1 plans, 4 figures (0.0 s)",
        "done: 2 documents (2 ok, 0 failed), 0+0 tokens, 0 calls, 7.5 s elapsed",
        "outputs in out/ (report: out/report.md, items.csv, items.xlsx)",
    ]
    assert all(RAY_LINE.match(line) for line in noise)
    assert not any(RAY_LINE.match(line) for line in ours)


@pytest.mark.timeout(180)
def test_quiet_means_quiet_on_ray_too(tmp_path: Path) -> None:
    """``-q`` prints nothing at all on a successful run; the default level prints no Ray lines."""
    pytest.importorskip("ray.data", reason="ray[data] is not installed")
    docs = tmp_path / "docs"
    docs.mkdir()
    for k in range(2):
        (docs / f"d{k}.txt").write_text(TEXT.replace("4次", f"{k + 4}次"), encoding="utf-8")
    common = ["run", "docs", "--backend", "rules", "--engine", "ray"]

    quiet = _cli(["-q", *common, "-o", "q"], tmp_path, timeout=150)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "", f"-q printed:\n{quiet.stderr}"
    assert (tmp_path / "q" / "d1.json").is_file()

    default = _cli([*common, "-o", "d"], tmp_path, timeout=150)
    assert default.returncode == 0, default.stderr
    lines = default.stderr.splitlines()
    assert [line for line in lines if RAY_LINE.match(line)] == [], default.stderr
    assert any(line.startswith("[2/2] ") for line in lines), default.stderr  # our progress
    assert "dashboard" not in default.stderr.lower()


# --- the model backend on Ray ----------------------------------------------------------------


def test_llm_backend_on_ray_equals_the_local_engine(tmp_path: Path, ray_local: Any) -> None:
    """Every document's model calls happen in the workers, with the settings and key sent there."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for doc in sorted(SEED_DOCS.glob("*.txt"))[:3]:
        shutil.copy(doc, docs / doc.name)
    (docs / "small.txt").write_text(TEXT, encoding="utf-8")
    with FakeOpenAI(default=auto_units()) as fake:
        settings = settings_for(fake, tmp_path, api_key=FAKE_KEY, concurrency=2)
        local = batch_mod.summarize_folder([docs], tmp_path / "local", settings=settings)
        local_requests = len(fake.chat_requests)
        on_ray = batch_mod.summarize_folder(
            [docs], tmp_path / "ray", settings=settings, engine="ray"
        )
        ray_requests = fake.chat_requests[local_requests:]
    assert not local.failed and not on_ray.failed
    assert local_requests > 0 and len(ray_requests) == local_requests
    assert on_ray.usage.calls == len(ray_requests) == local.usage.calls
    assert all(r.headers.get("authorization") == f"Bearer {FAKE_KEY}" for r in ray_requests)
    # the same calls per document (their records, answers, usage), no fallback to rules
    _assert_same_outputs(tmp_path / "local", tmp_path / "ray")
    calls = [
        c
        for p in (tmp_path / "ray").glob("*.json")
        for c in json.loads(p.read_text("utf-8"))["metadata"]["calls"]
    ]
    assert calls and all(c["status"] != "fallback" for c in calls)


def test_a_failed_ray_job_is_a_summarizer_error(
    tmp_path: Path, ray_local: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class LostNode:
        def map(self, *args: Any, **kwargs: Any) -> LostNode:
            return self

        def iter_rows(self) -> Iterator[dict[str, Any]]:
            raise ray_local.exceptions.RayError("node 10.0.0.7 was lost\nmore lines")

    monkeypatch.setattr(ray_local.data, "from_items", lambda *a, **k: LostNode())
    with pytest.raises(SummarizerError, match=r"the Ray job failed: node 10\.0\.0\.7 .*resume"):
        batch_mod.summarize_folder(
            [SEED_DOCS], tmp_path / "o", settings=_rules(tmp_path), engine="ray"
        )
