"""The CI gate: the rules backend on the seed dataset stays above measured thresholds.

Thresholds are set from what was measured (F1 1.000, figure recall 1.000 when
set) with a small margin; raise them as the code improves.
"""

from __future__ import annotations

from pathlib import Path

from summarizer import Settings
from summarizer.evaluation import evaluate, load_dataset
from summarizer.pipeline import summarize_document

ROOT = Path(__file__).resolve().parent.parent
MIN_F1 = 0.95
MIN_CATEGORY_F1 = 0.90
MIN_FIGURE_RECALL = 0.97


def test_rules_backend_meets_thresholds_on_seed_gold() -> None:
    dataset = load_dataset(ROOT / "evals" / "seed.yaml")
    settings = Settings(backend="rules")
    preds = [summarize_document(c.doc_path, settings=settings) for c in dataset.cases]
    report = evaluate(dataset, preds)
    t = report.totals
    assert t.items.f1 is not None and t.items.f1 >= MIN_F1, report.to_table()
    for cat, scores in t.categories.items():
        assert scores.f1 is None or scores.f1 >= MIN_CATEGORY_F1, (cat, report.to_table())
    assert t.figures.recall is not None and t.figures.recall >= MIN_FIGURE_RECALL
    assert t.ungrounded == 0
    assert t.issuer_correct == len(dataset.cases) and t.year_correct == len(dataset.cases)


#: The 政府工作报告 dev set (evals/gov.yaml): the targets of issue 10, below the
#: measured 0.981 / 0.978 (lowest category) / 0.988 with a small margin.
GOV_MIN_F1 = 0.95
GOV_MIN_CATEGORY_F1 = 0.90
GOV_MIN_FIGURE_RECALL = 0.97


def test_rules_backend_meets_thresholds_on_gov_gold() -> None:
    dataset = load_dataset(ROOT / "evals" / "gov.yaml")
    settings = Settings(backend="rules")
    preds = [summarize_document(c.doc_path, settings=settings) for c in dataset.cases]
    report = evaluate(dataset, preds)
    t = report.totals
    assert t.items.f1 is not None and t.items.f1 >= GOV_MIN_F1, report.to_table()
    for cat in ("achievement", "shortcoming", "plan"):
        scores = t.categories[cat]
        assert scores.f1 is not None and scores.f1 >= GOV_MIN_CATEGORY_F1, (cat, report.to_table())
    assert t.figures.recall is not None and t.figures.recall >= GOV_MIN_FIGURE_RECALL
    assert t.ungrounded == 0
    assert t.year_correct == len(dataset.cases)
