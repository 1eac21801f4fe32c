"""The report a person reads (summarizer.batch.readable): report.md and report.html."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import browser_command, dump_dom, needs_chromium, screenshot

from summarizer.batch.folder import summarize_folder
from summarizer.batch.readable import write_readable_reports
from summarizer.schema import DocumentSummary
from summarizer.settings import Settings

EVIL = "<script>alert(1)</script>"
REPORT = (
    "青山县2025年政府工作报告\n"
    "青山县人民政府\n"
    "一、2024年工作回顾\n"
    "（一）经济运行稳中有进。全县地区生产总值达到128.6亿元，增长6.2%。\n"
    "（二）民生保障持续加强。新建幼儿园4所，新增城镇就业3200人。\n"
    f"（三）营商环境不断优化。办理审批事项1520件{EVIL}，群众满意率达到99.2%。\n"
    "二、存在的问题\n"
    "一是产业结构不够合理，工业支撑能力偏弱。\n"
    "二是财政收支矛盾突出，民生领域欠账较多。\n"
    "三、2025年工作安排\n"
    "（一）全力稳增长。地区生产总值增长6%左右，固定资产投资增长8%。\n"
    "（二）持续办好民生实事。改造老旧小区12个，新增停车位800个。\n"
)


def _write_docs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    a = folder / "a_qingshan.txt"
    a.write_text(REPORT, encoding="utf-8")
    b = folder / "b_other.txt"
    b.write_text(REPORT.replace("青山", "绿水"), encoding="utf-8")
    return [a, b]


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    docs = _write_docs(tmp_path / "in")
    out = tmp_path / "out"
    result = summarize_folder(docs, out, settings=Settings(backend="rules"))
    assert not result.failed
    return out


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.tags
            if t == tag and all(v in (a.get(k) or "").split() for k, v in attrs.items())
        ]


def _parse(page: str) -> _Collect:
    p = _Collect()
    p.feed(page)
    return p


def test_markdown_lists_every_document_and_category(batch: Path) -> None:
    md = (batch / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# Summarizer run report")  # the counts table stays first
    assert "| a_qingshan | ok |" in md
    for title in ("青山县2025年政府工作报告", "绿水县2025年政府工作报告"):
        assert f"## {title}" in md
    assert md.count("### 成效 Achievements (3)") == 2
    assert md.count("### 问题 Shortcomings (2)") == 2
    assert md.count("### 计划 Plans (2)") == 2
    first = DocumentSummary.model_validate_json((batch / "a_qingshan.json").read_text("utf-8"))
    assert first.issuer and "青山县" in first.issuer and first.year is not None
    assert f"Issuer 发布: {first.issuer} · Year 年份: {first.year}" in md
    # summaries with their figures
    line = next(x for x in md.splitlines() if "128.6亿元" in x and x.startswith("- "))
    assert "6.2%" in line
    assert "产业结构不够合理" in md
    assert md.index("青山县2025年") < md.index("绿水县2025年")  # input order


def test_html_is_self_contained_escaped_and_links_each_summary(batch: Path) -> None:
    page = (batch / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for external in ("http://", "https://", "<link", "src="):
        assert external not in page
    assert EVIL not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    parsed = _parse(page)
    docs = parsed.find("section", **{"class": "doc"})
    assert len(docs) == 2
    for cat in ("achievement", "shortcoming", "plan"):
        assert len(parsed.find("div", **{"class": cat})) == 2
    links = parsed.find("a", **{"class": "summ"})
    assert len(links) == 2 * 7
    anchors = {a["id"] for a in parsed.find("span", **{"class": "anchor"})}
    for link in links:
        href = link["href"]
        assert href is not None and href[1:] in anchors  # every summary opens its evidence
    assert len(parsed.find("mark")) >= 14


def test_written_one_document_at_a_time(batch: Path) -> None:
    """Each document's section is on disk before the next name is asked for."""
    out = batch
    seen: list[str] = []

    def names() -> Iterator[str]:
        for name in ("a_qingshan", "b_other"):
            if seen:  # the previous document must already be in the temporary report
                tmp = next(out.glob(".report.md.*.tmp"))
                assert "青山县2025年政府工作报告" in tmp.read_text(encoding="utf-8")
            seen.append(name)
            yield name

    write_readable_reports(out, names(), "# header\n")
    assert seen == ["a_qingshan", "b_other"]
    assert not list(out.glob(".report.*.tmp"))
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# header")


def test_unreadable_output_is_reported_not_fatal(batch: Path) -> None:
    (batch / "b_other.json").write_text("{not json", encoding="utf-8")
    write_readable_reports(batch, ["a_qingshan", "b_other"], "# h\n")
    md = (batch / "report.md").read_text(encoding="utf-8")
    assert "## b_other" in md and "could not be read" in md
    assert "青山县2025年政府工作报告" in md


def click_harness(page: Path, item_href: str) -> Path:
    """A copy of the page that clicks the summary linking to ``item_href`` once loaded."""
    html = page.read_text(encoding="utf-8")
    click = (
        "<script>window.addEventListener('load', function () {"
        f"document.querySelector('a.summ[href=\"{item_href}\"]').click();"
        "});</script>"
    )
    harness = page.with_name("clicked.html")
    harness.write_text(html.replace("</body>", click + "</body>"), encoding="utf-8")
    return harness


def artifact_dir(tmp_path: Path) -> Path:
    """Where screenshots are kept: ``artifacts/`` (git-ignored) beside the tests."""
    folder = Path(__file__).resolve().parent.parent / "artifacts"
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        return tmp_path
    return folder


@pytest.mark.slow
@needs_chromium
def test_clicking_a_summary_highlights_its_evidence_in_chromium(
    batch: Path, tmp_path: Path
) -> None:
    page = batch / "report.html"
    summary = DocumentSummary.model_validate_json((batch / "a_qingshan.json").read_text("utf-8"))
    item = summary.shortcomings[0]
    href = f"#ev-d0-{item.id}"
    harness = click_harness(page, href)
    base = browser_command(tmp_path, "--virtual-time-budget=3000")
    dom = dump_dom(base, harness)
    parsed = _parse(dom)
    active = parsed.find("mark", **{"class": "active"})
    assert active, "no evidence highlighted after the click"
    assert all(item.id in (m.get("data-items") or "").split() for m in active)
    highlighted = re.findall(r'<mark class="[^"]*active[^"]*"[^>]*>(.*?)</mark>', dom)
    assert "".join(highlighted) in item.evidence[0].text
    assert "产业结构不够合理" in "".join(highlighted)
    current = parsed.find("a", **{"class": "current"})
    assert len(current) == 1 and current[0]["href"] == href
    # nothing else highlighted before a click
    assert not _parse(page.read_text("utf-8")).find("mark", **{"class": "active"})

    shot = artifact_dir(tmp_path) / "readable_report_clicked.png"
    screenshot(base, harness, shot, "1400x1000")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
