"""The Ray engine: same outputs, manifest, report and resume as the local engine.

Ray runs in local mode (one instance for the module: ``ray.init`` takes
seconds). Tests that need Ray skip when it is not installed
(``pip install 'summarizer[ray]'``; the ``dev`` extra includes it).
"""

from __future__ import annotations

import json
import pickle
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from outputs import per_document_outputs

from summarizer import ConfigError, Settings
from summarizer import batch as batch_mod
from summarizer.cli import main
from summarizer.engines import WorkItem, WorkResult, _Secret, ray_runner, summarize_item
from summarizer.pipeline import open_backend

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


def _jsonl(path: Path, drop: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for key in drop:
            row.pop(key, None)
        if "metadata" in row:
            row["metadata"].pop("timings", None)
        rows.append(row)
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
    assert per_document_outputs(ray_out) == per_document_outputs(local)
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
    with open_backend(_rules(tmp_path)) as extractor:
        ok = summarize_item(WorkItem(3, str(doc), "d"), _rules(tmp_path), lambda: extractor)
        bad = summarize_item(
            WorkItem(4, str(tmp_path / "nope.txt"), "n"), _rules(tmp_path), lambda: extractor
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


def test_the_key_never_shows_but_travels() -> None:
    secret = _Secret(FAKE_KEY)
    assert FAKE_KEY not in repr(secret) and FAKE_KEY not in str(secret)
    assert pickle.loads(pickle.dumps(secret)).reveal() == FAKE_KEY


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
