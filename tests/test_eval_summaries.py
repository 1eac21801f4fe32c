"""Summary measures of the eval harness (summarizer.evaluation.summaries), on made-up cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.evaluation import Case, Dataset, Gold, GoldItem, compare, evaluate
from summarizer.evaluation.summaries import (
    bigram_f1,
    has_marker,
    has_rhetoric,
    normalise,
    numbers_outside,
    retained_figures,
    rouge_l_f1,
)
from summarizer.schema import Category, DocumentSummary, Item, RunMetadata, Span

TEXT = (
    "一、工作成效\n"
    "1、健全纠纷调解机制。全年受理民间纠纷95宗，调解成功率98%。\n"
    "2、开展普法宣传活动。举办讲座12场，覆盖群众3000多人次。\n"
    "二、存在问题\n"
    "一是执法力量相对薄弱。\n"
)
Q1 = "1、健全纠纷调解机制。全年受理民间纠纷95宗，调解成功率98%。"
Q2 = "2、开展普法宣传活动。举办讲座12场，覆盖群众3000多人次。"
Q3 = "一是执法力量相对薄弱。"


def _span(quote: str) -> tuple[int, int]:
    s = TEXT.index(quote)
    return s, s + len(quote)


def _gold(category: Category, quote: str, summary: str) -> GoldItem:
    s, e = _span(quote)
    return GoldItem(category=category, start=s, end=e, quote=quote, summary=summary)


def _item(id: str, category: Category, quote: str, summary: str) -> Item:
    s, e = _span(quote)
    return Item(
        id=id, category=category, summary=summary, evidence=[Span(start=s, end=e, text=quote)]
    )


def _dataset() -> Dataset:
    gold = Gold(
        doc="d.txt",
        items=[
            _gold("achievement", Q1, "健全纠纷调解机制，受理民间纠纷95宗，调解成功率98%"),
            _gold("achievement", Q2, "开展普法宣传，举办讲座12场"),
            _gold("shortcoming", Q3, "执法力量相对薄弱"),
        ],
    )
    case = Case(doc_id="d", doc_path=Path("d.txt"), gold_path=Path("d.json"), gold=gold, text=TEXT)
    return Dataset(name="t", path=Path("."), cases=[case])


def _summary(summaries: tuple[str, str, str]) -> DocumentSummary:
    a1 = _item("i1", "achievement", Q1, summaries[0])
    a2 = _item("i2", "achievement", Q2, summaries[1])
    s1 = _item("i3", "shortcoming", Q3, summaries[2])
    return DocumentSummary(
        doc_id="d",
        achievements=[a1, a2],
        shortcomings=[s1],
        metadata=RunMetadata(summarizer_version="test", backend="rules"),
    )


def test_normalise_drops_punctuation_and_spaces() -> None:
    assert normalise("受理 纠纷，95宗；“好”!") == "受理纠纷95宗好"


def test_rouge_l_and_bigram_values() -> None:
    assert rouge_l_f1("加强队伍建设", "加强队伍建设") == 1.0
    assert rouge_l_f1("甲乙丙", "丁戊") == 0.0
    # LCS of 加强建设 / 加强队伍建设 is 4: P = 1, R = 4/6, F = 0.8
    assert rouge_l_f1("加强建设", "加强队伍建设") == pytest.approx(0.8)
    # bigrams 加强 强建 建设 vs 加强 强队 队伍 伍建 建设: 2 common, P 2/3, R 2/5
    assert bigram_f1("加强建设", "加强队伍建设") == pytest.approx(2 * (2 / 3) * 0.4 / (2 / 3 + 0.4))
    assert rouge_l_f1("，。", "加强") == 0.0


def test_figure_retention_by_value() -> None:
    assert retained_figures("受理纠纷95宗，成功率98%", "受理民间纠纷95宗，调解成功率98%") == (2, 2)
    assert retained_figures("受理纠纷九十五宗", "受理民间纠纷95宗") == (1, 1)
    assert retained_figures("健全调解机制", "受理民间纠纷95宗，调解成功率98%") == (0, 2)
    assert retained_figures("覆盖1.2万人", "覆盖12000人") == (1, 1)


@pytest.mark.parametrize(
    ("summary", "marked"),
    [
        ("一是执法力量薄弱", True),
        ("（三）加强队伍建设", True),
        ("1、健全机制", True),
        ("第二，完善制度", True),
        ("——经济平稳增长", True),
        ("健全纠纷调解机制", False),
        ("12场讲座", False),
    ],
)
def test_marker(summary: str, marked: bool) -> None:
    assert has_marker(summary) is marked


def test_rhetoric() -> None:
    assert has_rhetoric("坚持以人民为中心为指导，完成任务")
    assert has_rhetoric("深入贯彻全会精神")
    assert has_rhetoric("在县委领导下推进改革")
    assert not has_rhetoric("受理民间纠纷95宗")


def test_numbers_outside_evidence() -> None:
    ev = ["全年受理民间纠纷95宗，调解成功率98%。"]
    assert numbers_outside("受理纠纷95宗，成功率98%", ev) == []
    assert numbers_outside("受理纠纷96宗", ev) == ["96宗"]
    assert numbers_outside("2019年受理纠纷", ev) == ["2019"]  # a year the evidence never states
    assert numbers_outside("PM2.5下降", ev) == []  # an identifier, not a number


def test_scores_per_category_and_overall() -> None:
    ds = _dataset()
    report = evaluate(
        ds,
        [
            _summary(
                (
                    "健全纠纷调解机制，受理民间纠纷95宗，调解成功率98%",  # exact
                    "2、开展普法宣传活动",  # marker, figure missing
                    "执法力量相对薄弱",  # exact
                )
            )
        ],
    )
    s = report.totals.summaries
    assert s is not None
    assert s.overall.pairs == 3 and s.overall.items == 3
    assert s.overall.kept_figures == 2 and s.overall.ref_figures == 3
    assert s.overall.figure_retention == pytest.approx(2 / 3)
    assert s.overall.marker_rate == pytest.approx(1 / 3)
    assert s.overall.outside == 0
    assert s.categories["shortcoming"].rouge_l == 1.0
    assert s.categories["achievement"].rouge_l is not None
    assert s.categories["achievement"].rouge_l < 1.0
    assert "Summaries" in report.to_markdown() and "ROUGE-L" in report.to_table()


def test_baseline_fails_on_summary_drop_marker_rise_and_outside_numbers() -> None:
    ds = _dataset()
    good = evaluate(
        ds,
        [
            _summary(
                (
                    "健全纠纷调解机制，受理民间纠纷95宗，调解成功率98%",
                    "开展普法宣传，举办讲座12场",
                    "执法力量相对薄弱",
                )
            )
        ],
    )
    worse = evaluate(
        ds, [_summary(("健全纠纷调解机制", "1、开展普法宣传活动", "执法力量相对薄弱"))]
    )
    c = compare(worse, good)
    names = {r.split(" dropped")[0].split(" rose")[0] for r in c.regressions}
    assert {"summary ROUGE-L", "summary figure retention", "summary marker rate"} <= names
    assert compare(good, good).ok

    invented = evaluate(
        ds, [_summary(("受理民间纠纷96宗", "开展普法宣传，举办讲座12场", "执法力量相对薄弱"))]
    )
    c2 = compare(invented, invented)
    assert any("not in their evidence" in r and "96宗" in r for r in c2.regressions)


def test_old_baseline_without_summaries_still_compares() -> None:
    ds = _dataset()
    cur = evaluate(ds, [_summary(("健全纠纷调解机制", "开展普法宣传", "执法力量相对薄弱"))])
    old = cur.model_copy(deep=True)
    old.totals.summaries = None
    for d in old.documents:
        d.summaries = None
    c = compare(cur, old)
    assert c.ok
    assert any("summary ROUGE-L is not applicable" in w for w in c.warnings)


def test_html_report_shows_the_summary_table() -> None:
    from summarizer.evaluation import render_html

    ds = _dataset()
    preds = [_summary(("健全纠纷调解机制", "开展普法宣传", "执法力量相对薄弱"))]
    page = render_html(ds, preds, evaluate(ds, preds))
    assert 'id="summary-scores"' in page and "ROUGE-L" in page
    assert page.count('<tr class="summ-cat">') == 2  # achievement, shortcoming
