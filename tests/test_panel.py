"""The panel over a finished run: made-up county reports, never real ones."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from browser import browser_command, dump_dom, needs_chromium, screenshot

import summarizer
from summarizer.panel.collect import PanelRow
from summarizer.panel.issuers import issuer_key
from summarizer.panel.pairs import is_met
from summarizer.pipeline import summarize_document
from summarizer.settings import Settings

_REPORT = """政府工作报告
（{year}年1月10日在{place}第三届人民代表大会第{n}次会议上）
各位代表：
现在，我代表县人民政府，向大会报告工作，请予审议。
一、{prev}年工作回顾
{prev}年，全县地区生产总值增长{gdp}%，一般公共预算收入增长{rev}%，城镇新增就业{jobs}人。新建公园3个。
二、{year}年工作安排
{year}年经济社会发展的主要预期目标是：地区生产总值增长{gdp_t}%左右，一般公共预算收入增长{rev_t}%以上，城镇登记失业率控制在4.5%以内。
"""


def _write(folder: Path, name: str, place: str, year: int, **v: float) -> Path:
    text = _REPORT.format(place=place, year=year, prev=year - 1, n=year - 2030, **v)
    path = folder / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    # two counties whose names contain one another, a run of years each
    _write(docs, "a_2031", "石县", 2031, gdp=6, rev=5, jobs=900, gdp_t=7, rev_t=6)
    _write(docs, "a_2032", "某市石县", 2032, gdp=7.5, rev=4, jobs=950, gdp_t=6, rev_t=5)
    _write(docs, "b_2032", "大石县", 2032, gdp=5, rev=8, jobs=1200, gdp_t=5.5, rev_t=7)
    _write(docs, "b_2033", "大石县", 2033, gdp=5.1, rev=9, jobs=1300, gdp_t=5, rev_t=7)
    (docs / "index.csv").write_text(
        "file,county,year\na_2031.txt,石县,2031\na_2032.txt,石县,2032\n"
        "b_2032.txt,石县,2032\nb_2033.txt,大石县,2030\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    out.mkdir()
    settings = Settings(backend="rules")
    for path in sorted(docs.glob("*.txt")):
        s = summarize_document(path, settings=settings)
        (out / f"{s.doc_id}.json").write_text(s.model_dump_json(), encoding="utf-8")
    (out / "not_a_summary.json").write_text('{"x": 1}', encoding="utf-8")
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_panel_pairs_targets_with_next_reports_actuals(run_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "panel"
    result = summarizer.panel(run_dir, dest)
    assert result.documents == 4
    pairs = _csv(dest / "targets_vs_actuals.csv")
    got = {(p["issuer"], p["canonical"], p["period"]): p for p in pairs}
    # 石县: target 7% for 2031 set in its 2031 report, actual 7.5% in the 2032 report
    gdp = got[("石县", "gdp", "2031")]
    assert (gdp["target_text"], gdp["actual_text"], gdp["met"]) == ("7%左右", "7.5%", "yes")
    rev = got[("石县", "general_budget_revenue", "2031")]
    assert (rev["target_text"], rev["actual_text"], rev["met"]) == ("6%以上", "4%", "no")
    # 大石县 is never merged with 石县
    assert got[("大石县", "gdp", "2032")]["actual_doc"] == "b_2033"
    assert {p["issuer"] for p in pairs} == {"石县", "大石县"}
    assert all(p["target_doc"] != p["actual_doc"] for p in pairs)


def test_panel_csv_has_one_row_per_tagged_figure(run_dir: Path) -> None:
    summarizer.panel(run_dir)
    rows = _csv(run_dir / "panel.csv")
    assert list(rows[0]) == [
        *("doc_id", "issuer", "report_year", "indicator", "canonical", "measure", "kind"),
        *("period", "value", "unit", "qualifier", "text", "start", "end"),
    ]
    assert not any(r["text"] == "3个" for r in rows)  # parks are no indicator
    jobs = [r for r in rows if r["canonical"] == "new_urban_jobs"]
    assert {r["issuer"] for r in jobs} == {"石县", "大石县"}  # however the header wrote it
    assert all(r["kind"] == "actual" and r["measure"] == "level" for r in jobs)


def test_catalogue_disagreements_are_reported(run_dir: Path) -> None:
    summarizer.panel(run_dir)
    docs = {r["doc_id"]: r for r in _csv(run_dir / "documents.csv")}
    assert docs["a_2031"]["agrees"] == "yes"
    assert docs["b_2032"]["agrees"] == "no" and "大石县" in docs["b_2032"]["note"]
    assert docs["b_2033"]["agrees"] == "no" and "2030" in docs["b_2033"]["note"]
    page = (run_dir / "panel.html").read_text(encoding="utf-8")
    assert "Where the text and the catalogue disagree" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_issuer_keys() -> None:
    assert issuer_key("保定市满城区人民政府") == issuer_key("满城区") == "满城"
    assert issuer_key("清苑县人民政府") == issuer_key("保定市清苑区人民政府")
    assert issuer_key("唐县人民政府") != issuer_key("高唐县人民政府")
    assert issuer_key("易县") != issuer_key("米易县人民政府")


def _row(text: str, value: float, unit: str = "%", qualifier: str = "") -> PanelRow:
    return PanelRow(
        "d",
        "x",
        2030,
        "n",
        "gdp",
        "change",
        "target",
        "2031",
        value,
        unit,
        qualifier,
        text,
        0,
        1,
        "",
        "",
    )


def test_met_respects_the_qualifier() -> None:
    assert is_met(_row("6%以上", 6, qualifier="以上"), _row("6%", 6)) is True
    assert is_met(_row("6%以上", 6, qualifier="以上"), _row("5.9%", 5.9)) is False
    assert is_met(_row("6%左右", 6, qualifier="左右"), _row("5.8%", 5.8)) is True
    assert is_met(_row("6%左右", 6, qualifier="左右"), _row("5.5%", 5.5)) is False
    assert is_met(_row("4.5%以内", 4.5, qualifier="以内"), _row("4.8%", 4.8)) is False
    assert is_met(_row("4.5%以内", 4.5, qualifier="以内"), _row("4.1%", 4.1)) is True
    assert is_met(_row("6%", 6), _row("9亿元", 9e8, unit="亿元")) is None


def test_panel_cli(run_dir: Path, tmp_path: Path) -> None:
    from summarizer.cli import main

    assert main(["-q", "panel", str(run_dir), "-o", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "panel.html").is_file()
    assert main(["-q", "panel", str(tmp_path / "missing")]) == 2


@pytest.mark.slow
@needs_chromium
def test_panel_html_in_headless_chromium(run_dir: Path, tmp_path: Path) -> None:
    summarizer.panel(run_dir)
    page = run_dir / "panel.html"
    base = browser_command(tmp_path)
    dom = dump_dom(base, page)
    assert dom.count("<svg") >= 4  # gdp and revenue changes, one chart per issuer
    assert 'href="#ev-' in dom and 'id="ev-0"' in dom
    shot = Path(os.environ.get("PANEL_SCREENSHOT", str(tmp_path / "panel.png")))
    screenshot(base, page, shot, "1200x1400")
    assert shot.read_bytes().startswith(b"\x89PNG")
