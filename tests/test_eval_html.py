"""The HTML view of an eval run: escaping, structure, and a real headless browser."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import browser_command, dump_dom, needs_chromium, screenshot

from summarizer.evaluation import Dataset, EvalReport, evaluate, load_dataset, render_html
from summarizer.schema import Category, DocumentSummary, FigureOut, Item, RunMetadata, Span, Usage

EVIL = "<script>alert(1)</script>"
TEXT = (
    "某镇2020年工作报告\n"
    "一、工作成效\n"
    "1、受理民间纠纷95宗,调解成功率91%。\n"
    f"2、开展普法宣传{EVIL}活动,覆盖2000多人次 & 更多。\n"
    "3、完成“一窗通办”改革。\n"
    "二、存在问题\n"
    "人员力量不足,专业化水平不高。\n"
    "三、下一步工作\n"
    "加强队伍建设,培训干部100人次。\n"
)


def _span(quote: str) -> tuple[int, int]:
    start = TEXT.index(quote)
    return start, start + len(quote)


Q1 = "1、受理民间纠纷95宗,调解成功率91%。"
Q2 = f"2、开展普法宣传{EVIL}活动,覆盖2000多人次 & 更多。"
Q3 = "3、完成“一窗通办”改革。"
Q4 = "人员力量不足,专业化水平不高。"
Q5 = "加强队伍建设,培训干部100人次。"


def _gold(category: str, quote: str, figures: list[str]) -> dict[str, object]:
    s, e = _span(quote)
    return {"category": category, "start": s, "end": e, "quote": quote, "figures": figures}


def _item(id: str, category: Category, quote: str, figures: list[FigureOut], summ: str) -> Item:
    s, e = _span(quote)
    return Item(
        id=id,
        category=category,
        summary=summ,
        evidence=[Span(start=s, end=e, text=quote)],
        figures=figures,
    )


@pytest.fixture
def run(tmp_path: Path) -> tuple[Dataset, dict[str, DocumentSummary], EvalReport]:
    """Gold: 4 items. Predicted: 1 matched, 1 wrong category, 1 false hit; 2 gold missed."""
    root = tmp_path / "ds"
    (root / "docs").mkdir(parents=True)
    (root / "gold").mkdir()
    (root / "docs" / "r1.txt").write_text(TEXT, encoding="utf-8")
    gold = {
        "doc": "r1.txt",
        "title": f"某镇工作报告 {EVIL}",
        "issuer": "某镇",
        "year": 2020,
        "items": [
            _gold("achievement", Q1, ["95宗", "91%"]),
            _gold("achievement", Q2, ["2000多人次"]),
            _gold("shortcoming", Q4, []),
            _gold("plan", Q5, ["100人次"]),
        ],
    }
    (root / "gold" / "r1.json").write_text(json.dumps(gold, ensure_ascii=False), "utf-8")
    dataset = load_dataset(root)
    fig95 = FigureOut(text="95宗", value=95, start=0, end=3)
    fig7 = FigureOut(text="7宗<b>", value=7, start=0, end=3)
    pred = DocumentSummary(
        doc_id="r1",
        issuer="某镇",
        year=2020,
        achievements=[
            _item("a1", "achievement", Q1, [fig95, fig7], f"受理纠纷 {EVIL}"),
            _item("a2", "achievement", Q3, [], "完成改革"),
        ],
        plans=[_item("p1", "plan", Q4, [], "人员不足")],
        metadata=RunMetadata(
            summarizer_version="test",
            backend="rules",
            usage=Usage(prompt_tokens=1200, completion_tokens=300, calls=2, seconds=3.5),
        ),
    )
    predictions = {"r1": pred}
    return dataset, predictions, evaluate(dataset, predictions)


class _Collect(HTMLParser):
    """Tags, their classes, and the text of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, set[str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        self.tags.append((tag, set(cls.split())))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, tag: str, *classes: str) -> int:
        return sum(1 for t, c in self.tags if t == tag and set(classes) <= c)


def _parse(page: str) -> _Collect:
    p = _Collect()
    p.feed(page)
    return p


def _check_structure(page: _Collect) -> None:
    # One label per highlighted span, by side and result.
    assert page.count("span", "tag", "gold", "matched") == 1
    assert page.count("span", "tag", "gold", "missed") == 3
    assert page.count("span", "tag", "pred", "matched") == 1
    assert page.count("span", "tag", "pred", "false") == 2
    assert page.count("mark", "pred", "false", "wrongcat") == 1  # p1: right place, wrong category
    assert page.count("span", "tag", "plan", "gold") == 1
    assert page.count("span", "tag", "plan", "pred") == 1  # p1
    assert page.count("tr", "doc") == 1 and page.count("tr", "total") == 1
    assert page.count("span", "ungrounded") == 1
    assert page.count("script") == 0
    text = "".join(page.text)
    assert EVIL in text  # shown as text, not run
    assert "7宗<b>" in text


def test_render_html_escapes_and_marks_spans(
    run: tuple[Dataset, dict[str, DocumentSummary], EvalReport],
) -> None:
    dataset, predictions, report = run
    page = render_html(dataset, predictions, report)
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&amp; 更多" in page
    assert "7宗&lt;b&gt;" in page
    for external in ("http://", "https://", "<link", "src=", "<script"):
        assert external not in page
    assert page.startswith("<!DOCTYPE html>")
    _check_structure(_parse(page))
    assert report.documents[0].items.matched == 1
    assert (report.documents[0].figures.found, report.documents[0].figures.gold) == (1, 4)


def test_render_html_without_prediction(
    run: tuple[Dataset, dict[str, DocumentSummary], EvalReport],
) -> None:
    dataset, _, _ = run
    report = evaluate(dataset, {})
    page = _parse(render_html(dataset, {}, report))
    assert page.count("span", "tag", "gold", "missed") == 4
    assert page.count("span", "tag", "pred") == 0
    assert "(no prediction)" in "".join(page.text)


def test_render_html_on_the_seed_dataset() -> None:
    seed = load_dataset(Path(__file__).resolve().parent.parent / "evals" / "seed.yaml")
    report = evaluate(seed, {})
    page = _parse(render_html(seed, {}, report))
    n_gold = sum(len(c.gold.items) for c in seed.cases)
    assert page.count("span", "tag", "gold", "missed") == n_gold
    assert page.count("section", "doc") == len(seed.cases)


@pytest.mark.slow
@needs_chromium
def test_html_in_headless_chromium(
    run: tuple[Dataset, dict[str, DocumentSummary], EvalReport], tmp_path: Path
) -> None:
    dataset, predictions, report = run
    page = tmp_path / "report.html"
    page.write_text(render_html(dataset, predictions, report), encoding="utf-8")
    base = browser_command(tmp_path)
    dom = dump_dom(base, page)
    parsed = _parse(dom)
    _check_structure(parsed)
    assert "TOTAL" in "".join(parsed.text)

    shot = tmp_path / "report.png"
    screenshot(base, page, shot, "1200x1600")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
