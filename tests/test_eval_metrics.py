"""Metrics, reports and comparison of summarizer.evaluation, on small hand-made cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.errors import ConfigError, InputError
from summarizer.evaluation import (
    Case,
    Dataset,
    EvalReport,
    Gold,
    GoldItem,
    compare,
    evaluate,
    evaluate_document,
    load_dataset,
    run_eval,
    spans_match,
)
from summarizer.figures import numbers
from summarizer.schema import Category, DocumentSummary, FigureOut, Item, RunMetadata, Span, Usage

# ------------------------------------------------------------------ helpers


def make_case(text: str, items: list[GoldItem], doc_id: str = "d1", **meta: object) -> Case:
    gold = Gold(doc=f"{doc_id}.txt", items=items, **meta)  # type: ignore[arg-type]
    return Case(
        doc_id=doc_id,
        doc_path=Path(f"{doc_id}.txt"),
        gold_path=Path(f"{doc_id}.json"),
        gold=gold,
        text=text,
    )


def gi(
    text: str, category: Category, start: int, end: int, figures: tuple[str, ...] = ()
) -> GoldItem:
    return GoldItem(
        category=category,
        start=start,
        end=end,
        quote=text[start:end],
        figures=list(figures),
    )


def fig(text: str, value: float) -> FigureOut:
    return FigureOut(text=text, value=value, start=0, end=len(text))


def pi(
    text: str,
    id: str,
    category: Category,
    *spans: tuple[int, int],
    figures: tuple[FigureOut, ...] = (),
) -> Item:
    return Item(
        id=id,
        category=category,
        summary=f"summary {id}",
        evidence=[Span(start=s, end=e, text=text[s:e]) for s, e in spans],
        figures=list(figures),
    )


def summary(
    doc_id: str,
    items: list[Item],
    *,
    issuer: str | None = None,
    year: int | None = None,
    usage: Usage | None = None,
) -> DocumentSummary:
    by = {c: [i for i in items if i.category == c] for c in ("achievement", "shortcoming", "plan")}
    return DocumentSummary(
        doc_id=doc_id,
        issuer=issuer,
        year=year,
        achievements=by["achievement"],
        shortcomings=by["shortcoming"],
        plans=by["plan"],
        metadata=RunMetadata(summarizer_version="test", backend="rules", usage=usage or Usage()),
    )


TEXT = "天" * 200


# ------------------------------------------------------------------ matching rule


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [
        ((0, 10), (5, 15), True),  # overlap 5 = half of shorter (10): match
        ((0, 10), (6, 16), False),  # overlap 4, one char below: no match
        ((0, 20), (16, 24), True),  # shorter is pred (8); overlap 4 = half
        ((0, 20), (17, 25), False),  # overlap 3 < 4
        ((0, 20), (16, 23), True),  # shorter 7: overlap 4 >= 3.5
        ((0, 20), (17, 24), False),  # overlap 3 < 3.5
        ((0, 10), (10, 20), False),  # touching, no overlap
        ((5, 5), (5, 5), False),  # empty spans never match
    ],
)
def test_spans_match_half_of_shorter(
    gold: tuple[int, int], pred: tuple[int, int], expected: bool
) -> None:
    assert spans_match(gold, pred) is expected
    assert spans_match(pred, gold) is expected


def test_boundary_through_evaluate() -> None:
    case = make_case(TEXT, [gi(TEXT, "achievement", 0, 10)])
    at = evaluate_document(case, summary("d1", [pi(TEXT, "a1", "achievement", (5, 15))]))
    below = evaluate_document(case, summary("d1", [pi(TEXT, "a1", "achievement", (6, 16))]))
    assert (at.items.matched, at.items.f1) == (1, 1.0)
    assert at.matches[0].overlap == 5
    assert (below.items.matched, below.items.precision, below.items.recall) == (0, 0.0, 0.0)
    assert below.items.f1 == 0.0


def test_several_evidence_spans_use_their_union() -> None:
    # Evidence [0,3) and [12,15): union [0,15) overlaps gold [5,15) by 10 chars.
    case = make_case(TEXT, [gi(TEXT, "plan", 5, 15)])
    rep = evaluate_document(case, summary("d1", [pi(TEXT, "p1", "plan", (0, 3), (12, 15))]))
    assert rep.items.matched == 1
    assert rep.matches[0].overlap == 10


def test_one_predicted_spanning_two_gold_matches_only_one() -> None:
    case = make_case(TEXT, [gi(TEXT, "achievement", 0, 10), gi(TEXT, "achievement", 10, 20)])
    rep = evaluate_document(case, summary("d1", [pi(TEXT, "a1", "achievement", (0, 20))]))
    assert (rep.items.matched, rep.items.predicted, rep.items.gold) == (1, 1, 2)
    assert rep.items.precision == 1.0
    assert rep.items.recall == 0.5
    assert rep.items.f1 == pytest.approx(2 / 3)
    # Equal overlaps: document order decides, so the first gold item is taken.
    assert [(m.gold_index, m.item_id) for m in rep.matches] == [(0, "a1")]
    assert rep.localisation.matched == 1


def test_greedy_takes_largest_overlap_first() -> None:
    # Gold A [0,10), B [10,30). X [5,30) overlaps A by 5 and B by 20; Y [0,8) overlaps A by 8.
    # Largest first: X-B (20) then Y-A (8) -> two matches.
    case = make_case(TEXT, [gi(TEXT, "achievement", 0, 10), gi(TEXT, "achievement", 10, 30)])
    pred = [pi(TEXT, "x", "achievement", (5, 30)), pi(TEXT, "y", "achievement", (0, 8))]
    rep = evaluate_document(case, summary("d1", pred))
    assert [(m.gold_index, m.item_id, m.overlap) for m in rep.matches] == [
        (0, "y", 8),
        (1, "x", 20),
    ]
    assert rep.items.f1 == 1.0


def test_category_must_agree_but_localisation_ignores_it() -> None:
    case = make_case(TEXT, [gi(TEXT, "achievement", 0, 10), gi(TEXT, "shortcoming", 20, 30)])
    pred = [pi(TEXT, "p1", "plan", (0, 10)), pi(TEXT, "s1", "shortcoming", (20, 30))]
    rep = evaluate_document(case, summary("d1", pred))
    assert (rep.items.matched, rep.items.f1) == (1, 0.5)
    assert (rep.localisation.matched, rep.localisation.f1) == (2, 1.0)
    cats = rep.categories
    assert set(cats) == {"achievement", "shortcoming", "plan"}
    assert (cats["achievement"].precision, cats["achievement"].recall) == (0.0, 0.0)
    assert (cats["plan"].predicted, cats["plan"].gold, cats["plan"].f1) == (1, 0, 0.0)
    assert cats["shortcoming"].f1 == 1.0


# ------------------------------------------------------------------ empty cases


def test_empty_prediction_scores_zero() -> None:
    case = make_case(TEXT, [gi(TEXT, "achievement", 0, 10), gi(TEXT, "plan", 20, 30)])
    rep = evaluate_document(case, summary("d1", []))
    assert (rep.items.precision, rep.items.recall, rep.items.f1) == (0.0, 0.0, 0.0)
    assert rep.predicted is True
    assert rep.warnings == []
    assert set(rep.categories) == {"achievement", "plan"}


def test_missing_prediction_is_empty_and_warned() -> None:
    case = make_case(TEXT, [gi(TEXT, "achievement", 0, 10, ())], issuer="某镇", year=2020)
    ds = Dataset(name="t", path=Path("."), cases=[case])
    report = evaluate(ds, {})
    doc = report.documents[0]
    assert doc.predicted is False
    assert (doc.items.gold, doc.items.f1) == (1, 0.0)
    assert (doc.issuer_correct, doc.year_correct) == (False, False)
    assert "no prediction" in doc.warnings[0]
    assert report.totals.predicted == 0
    assert any("d1: no prediction" in w for w in report.all_warnings())
    assert "(no prediction)" in report.to_table()


def test_empty_gold() -> None:
    case = make_case(TEXT, [])
    rep = evaluate_document(case, summary("d1", [pi(TEXT, "a1", "achievement", (0, 5))]))
    assert (rep.items.precision, rep.items.recall, rep.items.f1) == (0.0, 0.0, 0.0)
    assert rep.figures.recall is None


def test_both_empty_is_not_applicable() -> None:
    rep = evaluate_document(make_case(TEXT, []), summary("d1", []))
    assert rep.items.precision is None and rep.items.recall is None and rep.items.f1 is None
    assert rep.categories == {}
    ds = Dataset(name="t", path=Path("."), cases=[make_case(TEXT, [])])
    report = evaluate(ds, [summary("d1", [])])
    assert report.totals.items.f1 is None
    assert report.totals.categories == {}
    table = report.to_table()
    assert "achievement" not in table  # not applicable categories are left out
    assert " - " in table


# ------------------------------------------------------------------ figures

FIG_TEXT = "一是受理民间纠纷95宗,调解成功率91%。二是开展培训2000多人次。三是新增就业1.2万人。"
#           0         1         2         3         4
# spans:    item 1 = [0, 21) "一是…91%。", item 2 = [21, 34), item 3 = [34, 46)


def _fig_case() -> Case:
    i1 = FIG_TEXT.index("二是")
    i2 = FIG_TEXT.index("三是")
    return make_case(
        FIG_TEXT,
        [
            gi(FIG_TEXT, "achievement", 0, i1, ("95宗", "91%")),
            gi(FIG_TEXT, "achievement", i1, i2, ("2000多人次",)),
            gi(FIG_TEXT, "achievement", i2, len(FIG_TEXT), ("1.2万人",)),
        ],
    )


def test_figure_recall_uses_the_matched_item() -> None:
    case = _fig_case()
    i1, i2 = FIG_TEXT.index("二是"), FIG_TEXT.index("三是")
    pred = [
        # matched to gold 0: finds 95 but states 90 instead of 91 -> 1 of 2
        pi(FIG_TEXT, "a1", "achievement", (0, i1), figures=(fig("95宗", 95), fig("90%", 90))),
        # matched to gold 1: finds 2000 -> 1 of 1
        pi(FIG_TEXT, "a2", "achievement", (i1, i2), figures=(fig("2000多人次", 2000),)),
        # gold 2 is matched by a plan item only: wrong category, its figure is missed
        pi(FIG_TEXT, "p1", "plan", (i2, len(FIG_TEXT)), figures=(fig("1.2万人", 12000),)),
    ]
    rep = evaluate_document(case, summary("d1", pred))
    assert (rep.figures.found, rep.figures.gold) == (2, 4)
    assert rep.figures.recall == 0.5


def test_figure_recall_counts_each_predicted_figure_once() -> None:
    text = "完成率100%,覆盖率100%。"
    case = make_case(text, [gi(text, "achievement", 0, len(text), ("100%", "100%"))])
    one = pi(text, "a1", "achievement", (0, len(text)), figures=(fig("100%", 100),))
    two = pi(text, "a1", "achievement", (0, len(text)), figures=(fig("100%", 100),) * 2)
    assert evaluate_document(case, summary("d1", [one])).figures.recall == 0.5
    assert evaluate_document(case, summary("d1", [two])).figures.recall == 1.0


def test_unparseable_gold_figure_is_compared_by_text_and_warned() -> None:
    text = "处理若干件。"
    case = make_case(text, [gi(text, "achievement", 0, len(text), ("若干件",))])
    item = pi(text, "a1", "achievement", (0, len(text)), figures=(fig("若干件", 0),))
    rep = evaluate_document(case, summary("d1", [item]))
    assert rep.figures.recall == 1.0
    assert rep.warnings == ["gold figure '若干件' could not be parsed; compared by text"]


def test_ungrounded_figures_are_listed() -> None:
    case = _fig_case()
    i1 = FIG_TEXT.index("二是")
    i2 = FIG_TEXT.index("三是")
    pred = [
        pi(FIG_TEXT, "a1", "achievement", (0, i1), figures=(fig("95宗", 95), fig("96宗", 96))),
        # 2000 is in the document but not in this item's evidence: ungrounded
        pi(FIG_TEXT, "a3", "achievement", (i2, len(FIG_TEXT)), figures=(fig("2000人次", 2000),)),
        # a second evidence span grounds the figure
        pi(FIG_TEXT, "a2", "achievement", (i2, i2 + 2), (i1, i2), figures=(fig("2000人", 2000),)),
    ]
    rep = evaluate_document(case, summary("d1", pred))
    assert [(u.doc_id, u.item_id, u.text, u.value) for u in rep.ungrounded] == [
        ("d1", "a1", "96宗", 96.0),
        ("d1", "a3", "2000人次", 2000.0),
    ]
    ds = Dataset(name="t", path=Path("."), cases=[case])
    report = evaluate(ds, {"d1": summary("d1", pred)})
    assert report.totals.ungrounded == 2
    assert "96宗" in report.to_table() and "96宗" in report.to_markdown()


def test_evidence_text_that_differs_from_document_is_warned() -> None:
    case = make_case(TEXT, [])
    bad = Item(
        id="a1",
        category="achievement",
        summary="s",
        evidence=[Span(start=0, end=3, text="地地地")],
    )
    rep = evaluate_document(case, summary("d1", [bad]))
    assert rep.warnings and "a1" in rep.warnings[0]


# ------------------------------------------------------------------ metadata, cost, totals


def test_metadata_and_cost_and_totals() -> None:
    c1 = make_case(TEXT, [gi(TEXT, "achievement", 0, 10)], doc_id="d1", issuer="东凤镇", year=2019)
    c2 = make_case(TEXT, [gi(TEXT, "plan", 0, 10)], doc_id="d2", issuer="小河镇", year=2024)
    c3 = make_case(TEXT, [], doc_id="d3")  # no issuer/year in gold: not applicable
    ds = Dataset(name="t", path=Path("."), cases=[c1, c2, c3])
    u1 = Usage(prompt_tokens=100, completion_tokens=20, calls=2, seconds=1.5)
    u2 = Usage(prompt_tokens=50, completion_tokens=5, calls=1, seconds=0.25)
    preds = [
        summary(
            "d1",
            [pi(TEXT, "a1", "achievement", (0, 10))],
            issuer=" 东凤镇\u3000",
            year=2019,
            usage=u1,
        ),
        summary(
            "d2",
            [pi(TEXT, "a1", "achievement", (0, 10))],
            issuer="小河镇人民政府",
            year=2024,
            usage=u2,
        ),
        summary("d3", [], issuer="x", year=1999),
        summary("zz", []),
    ]
    report = evaluate(ds, preds)
    d1, d2, d3 = report.documents
    assert (d1.issuer_correct, d1.year_correct) == (True, True)
    assert (d2.issuer_correct, d2.year_correct) == (False, True)
    assert (d3.issuer_correct, d3.year_correct) == (None, None)
    t = report.totals
    assert (t.issuer_correct, t.issuer_total, t.year_correct, t.year_total) == (1, 2, 2, 2)
    assert (d1.cost.prompt_tokens, d1.cost.completion_tokens, d1.cost.calls) == (100, 20, 2)
    assert (t.cost.prompt_tokens, t.cost.completion_tokens, t.cost.calls) == (150, 25, 3)
    assert t.cost.seconds == 1.75
    # totals are micro-averaged: 1 match of 2 predicted and 2 gold
    assert (t.items.matched, t.items.predicted, t.items.gold, t.items.f1) == (1, 2, 2, 0.5)
    assert set(t.categories) == {"achievement", "plan"}
    assert t.categories["plan"].recall == 0.0
    assert (t.localisation.matched, t.localisation.f1) == (2, 1.0)
    assert report.warnings == ["prediction for 'zz', which is not in dataset 't'; ignored"]
    table = report.to_table()
    assert "TOTAL (3 docs)" in table and "1/2" in table and "150" in table
    md = report.to_markdown()
    assert md.startswith("# Eval report: t") and "| d1 |" in md
    assert EvalReport.model_validate_json(report.model_dump_json()) == report


def test_duplicate_predictions_are_refused() -> None:
    ds = Dataset(name="t", path=Path("."), cases=[make_case(TEXT, [])])
    with pytest.raises(InputError, match="two predictions for document 'd1'"):
        evaluate(ds, [summary("d1", []), summary("d1", [])])


# ------------------------------------------------------------------ compare


def _report(f1: tuple[int, int, int], figs: tuple[int, int]) -> EvalReport:
    """A one-document report with item counts (matched, predicted, gold) and figure counts."""
    n = f1[2]
    case = make_case(TEXT, [gi(TEXT, "achievement", 2 * i, 2 * i + 1) for i in range(n)])
    pred = [pi(TEXT, f"a{i}", "achievement", (2 * i, 2 * i + 1)) for i in range(f1[0])]
    pred += [pi(TEXT, f"x{i}", "achievement", (150 + i, 151 + i)) for i in range(f1[1] - f1[0])]
    report = evaluate(Dataset(name="t", path=Path("."), cases=[case]), [summary("d1", pred)])
    report.totals.figures = report.totals.figures.of(figs[0], figs[1])
    return report


def test_compare_flags_drops_beyond_tolerance() -> None:
    base = _report((8, 10, 10), (9, 10))  # F1 0.8, figure recall 0.9
    same = compare(_report((8, 10, 10), (9, 10)), base)
    assert same.ok and same.regressions == []
    assert same.deltas["F1"] == 0.0

    worse = compare(_report((7, 10, 10), (8, 10)), base)  # F1 0.7, recall 0.8
    assert not worse.ok
    assert len(worse.regressions) == 4  # F1, F1[achievement], loc-F1, figure recall
    assert worse.regressions[0].startswith("F1 dropped by 0.100 (0.800 -> 0.700)")
    assert any(r.startswith("figure recall dropped") for r in worse.regressions)
    assert worse.deltas["F1"] == pytest.approx(-0.1)
    assert worse.documents == {"d1": pytest.approx(-0.1)}

    better = compare(base, _report((7, 10, 10), (8, 10)))
    assert better.ok


def test_compare_tolerance_boundary() -> None:
    base = _report((50, 100, 100), (1, 100))  # F1 0.50, recall 0.01
    exactly = compare(_report((49, 100, 100), (0, 100)), base, tolerance=0.01)
    assert exactly.ok, exactly.regressions  # drops of exactly the tolerance are allowed
    beyond = compare(_report((49, 100, 100), (0, 100)), base, tolerance=0.005)
    assert {r.split(" dropped")[0] for r in beyond.regressions} == {
        "F1",
        "F1[achievement]",
        "loc-F1",
        "figure recall",
    }


def test_compare_ungrounded_is_always_a_regression() -> None:
    case = _fig_case()
    ds = Dataset(name="t", path=Path("."), cases=[case])
    i1 = FIG_TEXT.index("二是")
    grounded = pi(FIG_TEXT, "a1", "achievement", (0, i1), figures=(fig("95宗", 95),))
    invented = pi(FIG_TEXT, "a1", "achievement", (0, i1), figures=(fig("95宗", 95), fig("7次", 7)))
    base = evaluate(ds, [summary("d1", [grounded])])
    cur = evaluate(ds, [summary("d1", [invented])])  # same scores, one ungrounded figure
    c = compare(cur, base)
    assert c.regressions == ["1 ungrounded figures: d1/a1 '7次'"]
    assert c.deltas["ungrounded"] == 1.0 and c.deltas["F1"] == 0.0
    assert "REGRESSION" in c.to_table() and "regression" in c.to_markdown()
    assert compare(base, cur).ok  # fewer ungrounded than the baseline and none left


# ------------------------------------------------------------------ run_eval


def _write_pred(folder: Path, s: DocumentSummary) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{s.doc_id}.json").write_text(s.model_dump_json(), encoding="utf-8")


def test_run_eval_on_the_seed_dataset(tmp_path: Path) -> None:
    seed = Path(__file__).resolve().parent.parent / "evals" / "seed.yaml"
    ds = load_dataset(seed)
    # Perfect predictions built from the gold for every document but the last.
    preds = []
    for case in ds.cases[:-1]:
        items = [
            pi(case.text, f"g{i}", g.category, (g.start, g.end))
            for i, g in enumerate(case.gold.items)
        ]
        preds.append(summary(case.doc_id, items, issuer=case.gold.issuer, year=case.gold.year))
    pred_dir = tmp_path / "pred"
    for s in preds:
        _write_pred(pred_dir, s)

    report, comparison = run_eval(
        seed, predictions_dir=pred_dir, out_dir=tmp_path / "out", summarize=None, baseline=None
    )
    assert comparison is None
    assert [d.items.f1 for d in report.documents[:-1]] == [1.0] * (len(ds.cases) - 1)
    assert report.documents[-1].predicted is False
    assert report.totals.issuer_correct == len(ds.cases) - 1
    for name in ("eval_report.json", "eval_report.md", "eval_report.html"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    saved = EvalReport.model_validate_json((tmp_path / "out" / "eval_report.json").read_text())
    assert saved == report

    # Same predictions through summarize(); one document fails; compare with the first run.
    by_path = {str(c.doc_path): s for c, s in zip(ds.cases, preds, strict=False)}

    def summarize(path: Path) -> DocumentSummary:
        if str(path) not in by_path:
            raise RuntimeError("model endpoint down")
        return by_path[str(path)]

    report2, comparison2 = run_eval(
        seed,
        predictions_dir=None,
        out_dir=tmp_path / "out2",
        summarize=summarize,
        baseline=tmp_path / "out" / "eval_report.json",
    )
    assert comparison2 is not None and comparison2.ok
    assert report2.totals.items == report.totals.items
    assert report2.warnings[0].startswith(f"summarize failed for {ds.cases[-1].doc_id}")
    assert (tmp_path / "out2" / "comparison.json").is_file()
    assert len(list((tmp_path / "out2" / "predictions").glob("*.json"))) == len(ds.cases) - 1
    assert "Comparison with baseline" in (tmp_path / "out2" / "eval_report.md").read_text()


def test_gold_as_prediction_scores_perfectly_on_the_seed() -> None:
    """Oracle: gold spans with the figures numbers.find_figures reads in them.

    Checks that the gold figures, parse_figure/values_match and find_figures agree.
    """
    ds = load_dataset(Path(__file__).resolve().parent.parent / "evals" / "seed.yaml")
    preds = []
    for case in ds.cases:
        items = []
        for i, g in enumerate(case.gold.items):
            found = numbers.find_figures(case.text, g.start, g.end)
            figures = tuple(fig(f.text, f.value) for f in found)
            items.append(pi(case.text, f"g{i}", g.category, (g.start, g.end), figures=figures))
        preds.append(summary(case.doc_id, items, issuer=case.gold.issuer, year=case.gold.year))
    t = evaluate(ds, preds).totals
    assert (t.items.f1, t.localisation.f1) == (1.0, 1.0)
    assert t.figures.gold == 210
    assert t.figures.recall == 1.0
    assert t.ungrounded == 0
    assert (t.issuer_correct, t.year_correct) == (5, 5)


def test_run_eval_argument_errors(tmp_path: Path) -> None:
    seed = Path(__file__).resolve().parent.parent / "evals" / "seed.yaml"
    with pytest.raises(ConfigError):
        run_eval(seed, predictions_dir=None, out_dir=tmp_path, summarize=None, baseline=None)
    bad = tmp_path / "pred"
    bad.mkdir()
    (bad / f"{load_dataset(seed).cases[0].doc_id}.json").write_text(json.dumps({"doc_id": 1}))
    with pytest.raises(InputError, match="not a valid DocumentSummary"):
        run_eval(seed, predictions_dir=bad, out_dir=tmp_path / "o", summarize=None, baseline=None)


# --- indicator tags ---------------------------------------------------------------------


def test_indicator_scores_match_span_measure_kind() -> None:
    from summarizer.evaluation.dataset import GoldIndicator, GoldItem
    from summarizer.evaluation.indicators import evaluate_indicators
    from summarizer.schema import FigureOut, Indicator, Item, Span

    text = "生产总值增长6%，粮食产量9万吨，新建学校3所。"
    gold_item = GoldItem(
        category="achievement",
        start=0,
        end=len(text),
        quote=text,
        figures=["6%", "9万吨", "3所"],
        indicators=[
            GoldIndicator(
                text="6%",
                start=6,
                end=8,
                indicator="生产总值",
                measure="change",
                kind="actual",
                period="2030",
            ),
            GoldIndicator(
                text="9万吨",
                start=13,
                end=16,
                indicator="粮食产量",
                measure="level",
                kind="actual",
                period="2030",
            ),
        ],
    )

    def fig(s: int, e: int, ind: Indicator | None) -> FigureOut:
        return FigureOut(text=text[s:e], value=1.0, start=s, end=e, indicator=ind)

    pred = Item(
        id="i1",
        category="achievement",
        summary="x",
        evidence=[Span(start=0, end=len(text), text=text)],
        figures=[
            fig(
                6,
                8,
                Indicator(
                    name="生产总值", canonical="gdp", measure="change", kind="actual", period="2029"
                ),
            ),
            fig(
                13,
                16,
                Indicator(
                    name="粮食", canonical=None, measure="change", kind="actual", period="2030"
                ),
            ),
            fig(
                21,
                23,
                Indicator(
                    name="学校", canonical=None, measure="level", kind="actual", period="2030"
                ),
            ),
        ],
    )
    s = evaluate_indicators([gold_item], [pred])
    assert s is not None
    assert (s.tags.gold, s.tags.predicted, s.tags.matched) == (2, 3, 1)  # 9万吨: wrong measure
    assert s.headline.gold == 2 and s.headline.predicted == 1 and s.headline.matched == 1
    assert s.name_accuracy == 1.0 and s.period_accuracy == 0.0
    assert evaluate_indicators([gold_item.model_copy(update={"indicators": []})], [pred]) is None
