"""The batch runner and the CLI, end to end with the rules backend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer import DocumentSummary, summarize, summarize_folder
from summarizer.cli import app, main
from summarizer.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SEED_DOCS = ROOT / "evals" / "seed" / "docs"


def test_summarize_text_and_path_agree() -> None:
    path = SEED_DOCS / "000_1da8540b38c41ad1.txt"
    a = summarize(path, backend="rules")
    b = summarize(path.read_text(encoding="utf-8"), backend="rules", doc_id=a.doc_id)
    assert [it.evidence for it in a.items()] == [it.evidence for it in b.items()]
    assert a.title == "东凤镇关于2019年法治政府建设的工作情况报告" and a.year == 2019
    assert a.achievements and a.shortcomings and a.plans


def test_every_output_offset_and_figure_is_grounded() -> None:
    path = SEED_DOCS / "004_4416c96a57e07bad.txt"
    text = path.read_text(encoding="utf-8")
    s = summarize(path, backend="rules")
    for it in s.items():
        for span in it.evidence:
            assert text[span.start : span.end] == span.text
        for f in it.figures:
            assert text[f.start : f.end] == f.text
            assert any(e.start <= f.start and f.end <= e.end for e in it.evidence)


def test_empty_text_is_a_clear_error() -> None:
    with pytest.raises(InputError):
        summarize("   \n", backend="rules")


def test_batch_records_a_bad_document_and_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEED_DOCS / "003_47d54a3cabac6803.txt", src / "good.txt")
    (src / "empty.txt").write_text("", encoding="utf-8")
    (src / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    out = tmp_path / "out"
    result = summarize_folder([src], out, backend="rules")
    status = {o.name: o.status for o in result.outcomes}
    assert status == {"binary": "failed", "empty": "failed", "good": "ok"}
    good = DocumentSummary.model_validate_json((out / "good.json").read_text(encoding="utf-8"))
    text = (out / "good.text.txt").read_text(encoding="utf-8")
    assert good.metadata.text_path == "good.text.txt"
    assert all(text[e.start : e.end] == e.text for it in good.items() for e in it.evidence)
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert {r["name"]: r["status"] for r in rows} == status
    assert all(r["error"] for r in rows if r["status"] == "failed")
    lines = (out / "summaries.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["doc_id"] for x in lines] == ["good"]
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| good | ok |" in report and "FAILED" in report


def test_cli_run_writes_outputs_and_exit_status(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["run", str(SEED_DOCS), "-o", str(out), "--backend", "rules", "-q"])
    assert code == 0
    assert len(list(out.glob("*.json"))) == 5
    (tmp_path / "bad.txt").write_text("", encoding="utf-8")
    code = main(["run", str(tmp_path / "bad.txt"), "-o", str(out), "--backend", "rules", "-q"])
    assert code == 1


def test_cli_user_mistakes_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", str(tmp_path / "missing"), "-o", str(tmp_path / "o"), "--backend", "rules"])
    err = capsys.readouterr().err
    assert code == 2 and "no such file" in err and "Traceback" not in err
    assert main(["run", "x", "--backend", "nope"]) == 2


def test_cli_help_explains_commands() -> None:
    r = CliRunner().invoke(app, ["--help"])
    assert r.exit_code == 0 and "run" in r.output and "eval" in r.output
    r = CliRunner().invoke(app, ["run", "--help"])
    assert "--backend" in r.output and "report.md" in r.output


def test_cli_eval_prints_table_and_gates_on_baseline(tmp_path: Path) -> None:
    out = tmp_path / "ev"
    r = CliRunner().invoke(
        app, ["-q", "eval", str(ROOT / "evals" / "seed.yaml"), "--backend", "rules", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "TOTAL" in r.output and (out / "eval_report.html").is_file()
    # a baseline that claims more than we reach must fail the gate
    base = json.loads((out / "eval_report.json").read_text(encoding="utf-8"))
    base["totals"]["items"]["f1"] = 1.5
    (tmp_path / "base.json").write_text(json.dumps(base), encoding="utf-8")
    r = CliRunner().invoke(
        app,
        [
            "-q",
            "eval",
            str(ROOT / "evals" / "seed.yaml"),
            "--pred",
            str(out / "predictions"),
            "-o",
            str(tmp_path / "ev2"),
            "--baseline",
            str(tmp_path / "base.json"),
        ],
    )
    assert r.exit_code == 1, r.output


def test_top_level_summarize_folder_takes_the_engine(tmp_path: Path) -> None:
    import summarizer

    with pytest.raises(summarizer.ConfigError, match="unknown engine"):
        summarizer.summarize_folder(tmp_path, tmp_path / "out", backend="rules", engine="nope")
    with pytest.raises(summarizer.ConfigError, match="ray engine"):
        summarizer.summarize_folder(tmp_path, tmp_path / "out", backend="rules", ray_address="auto")
