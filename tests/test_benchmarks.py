"""Smoke tests of the benchmark scripts (``benchmarks/``): small, fast, no timing claims."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import growth  # noqa: E402
import ideal_bound  # noqa: E402
import scale  # noqa: E402
from fake_openai import FakeOpenAI, auto_units  # noqa: E402

from summarizer.ingest.documents import document_from_text  # noqa: E402
from summarizer.structure.sections import parse_outline  # noqa: E402


def test_synthetic_report_has_one_unit_per_role() -> None:
    outline = parse_outline(document_from_text(ideal_bound.make_report(3)))
    assert [u.role for u in outline.units] == ["achievement", "achievement", "shortcoming", "plan"]
    assert ideal_bound.make_report(3) != ideal_bound.make_report(4)


def test_ideal_bound_small_batch() -> None:
    report = ideal_bound.run(docs=10, latency=0.05, concurrencies=[1, 4], warmup=False)
    assert [r["concurrency"] for r in report["runs"]] == [1, 4]
    for r in report["runs"]:
        assert r["failed"] == 0
        assert r["calls"] == r["answered"] == 10  # one call per document
        assert r["max_in_flight"] <= r["concurrency"]
        assert math.isfinite(r["ratio"]) and r["ratio"] > 0.9  # cannot beat the latency
        assert r["bound_s"] == pytest.approx(10 * 0.05 / r["concurrency"])
    assert "concurrency" in ideal_bound.render(report)


@pytest.mark.parametrize("over_limit", ["429", "queue"])
def test_server_limit_is_enforced(over_limit: str) -> None:
    report = ideal_bound.run(
        docs=6, latency=0.05, concurrencies=[4], server_limit=2, over_limit=over_limit,
        warmup=False,
    )  # fmt: skip
    (r,) = report["runs"]
    assert r["failed"] == 0 and r["answered"] == 6 and r["calls"] == 6 + r["rejected"]
    assert r["max_in_flight"] <= 2
    assert r["fallback_docs"] == 0  # 429s are waited out within the retry time budget
    if over_limit == "queue":
        assert r["rejected"] == 0


def test_fake_server_defaults_unchanged() -> None:
    fake = FakeOpenAI(default=auto_units())
    assert fake.max_concurrent == 0 and fake.rejected == 0 and fake.tcp_nodelay is False
    with pytest.raises(ValueError):
        FakeOpenAI(over_limit="drop")


def test_ideal_bound_cli_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ib.json"
    argv = ["--docs", "3", "--latency", "0.01", "--concurrency", "1,16", "--no-warmup"]
    assert ideal_bound.main([*argv, "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["calls"] for r in data["runs"]] == [3, 3]
    assert [r["workers"] for r in data["runs"]] == [1, 1]  # 3 documents: one process
    shown = capsys.readouterr().out
    assert "ratio at concurrency 16" in shown and "the target <= 1.1" in shown


def test_growth_two_sizes(tmp_path: Path) -> None:
    report = growth.run(sizes=[1, 2], budget=0.01)
    assert [d["size"] for d in report["documents"]] == [1, 2]
    assert report["documents"][1]["units"] > report["documents"][0]["units"]
    for stage in growth.STAGES:
        rows = report["stages"][stage]["rows"]
        assert [r["size"] for r in rows] == [1, 2]
        assert all(r["seconds"] > 0 and r["mb"] >= 0 for r in rows)
        assert math.isfinite(report["stages"][stage]["growth"])
    text = growth.render(report)
    assert all(stage in text for stage in growth.STAGES)
    out = tmp_path / "g.json"
    assert (
        growth.main(["--sizes", "1,2", "--budget", "0.01", "--no-memory", "--out", str(out)]) == 0
    )
    assert json.loads(out.read_text(encoding="utf-8"))["params"]["sizes"] == [1, 2]


def test_scaled_text_keeps_one_title() -> None:
    seed = "标题\n一、工作\n内容。\n"
    assert growth.scaled_text(seed, 3) == "标题\n" + "一、工作\n内容。\n" * 3


def _tiny_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for k in range(2):
        (corpus / f"r{k}.txt").write_text(
            f"某县{2020 + k}年工作报告\n一、主要成效\n1.新建学校{k + 2}所。\n"
            f"二、存在的问题\n人员{k + 3}人不足。\n三、下一步打算\n1.培训{k + 9}人次。\n",
            encoding="utf-8",
        )
    return corpus


def test_scale_shelf_repeats_the_corpus(tmp_path: Path) -> None:
    corpus = _tiny_corpus(tmp_path)
    made = scale.make_shelf(corpus, 5, tmp_path / "shelf")
    assert [p.name for p in made] == [
        "c00000_r0.txt", "c00000_r1.txt", "c00001_r0.txt", "c00001_r1.txt", "c00002_r0.txt",
    ]  # fmt: skip
    assert made[2].read_bytes() == (corpus / "r0.txt").read_bytes()


def test_scale_tiny_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _tiny_corpus(tmp_path)
    out = tmp_path / "scale.json"
    argv = ["--docs", "1,3", "--engines", "local", "--corpus", str(corpus), "--interval", "0.05"]
    argv += ["--driver-docs", "4"]
    assert scale.main([*argv, "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["docs"], r["engine"]) for r in data["runs"]] == [(1, "local"), (3, "local")]
    for r in data["runs"]:
        assert r["exit"] == 0 and r["peak_mb"] > 10 and r["driver_mb"] <= r["peak_mb"]
        assert r["rows"] == r["parquet_rows"] == 3 * r["docs"]  # three items a report
        assert r["xlsx_files"] == 1 and r["parquet_mb"] > 0 and r["parquet_load_s"] >= 0
        assert r["docs_s"] > 0 and r["cpu_s"] > 0
    assert set(data["growth"]) == {"local"}
    assert data["driver"]["docs"] == 4 and data["driver"]["driver_ms_per_doc"] > 0
    assert "peak RSS at the largest size" in capsys.readouterr().out
