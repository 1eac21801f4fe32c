"""The CI gate: the rules backend on each dev dataset stays above measured thresholds.

Thresholds are set from what was measured (F1 1.000, figure recall 1.000 when
set) with a small margin; raise them as the code improves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from summarizer import Settings
from summarizer.evaluation import evaluate, load_dataset
from summarizer.pipeline import summarize_document

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Gate:
    """Thresholds one dataset must meet, set below what was measured with a small margin."""

    dataset: str
    min_f1: float
    min_category_f1: float
    min_figure_recall: float


GATES = [
    # seeds: measured F1 1.000, figure recall 1.000
    Gate("seed", 0.95, 0.90, 0.97),
    # the 政府工作报告 dev set (issue 10's targets): measured 0.981 / 0.978 (lowest
    # category) / 0.988
    Gate("gov", 0.95, 0.90, 0.97),
]


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.dataset)
def test_rules_backend_meets_thresholds(gate: Gate) -> None:
    dataset = load_dataset(ROOT / "evals" / f"{gate.dataset}.yaml")
    settings = Settings(backend="rules")
    preds = [summarize_document(c.doc_path, settings=settings) for c in dataset.cases]
    report = evaluate(dataset, preds)
    t = report.totals
    assert t.items.f1 is not None and t.items.f1 >= gate.min_f1, report.to_table()
    for cat in ("achievement", "shortcoming", "plan"):
        scores = t.categories[cat]
        assert scores.f1 is not None and scores.f1 >= gate.min_category_f1, (cat, report.to_table())
    assert t.figures.recall is not None and t.figures.recall >= gate.min_figure_recall
    assert t.ungrounded == 0
    assert t.issuer_correct == len(dataset.cases) and t.year_correct == len(dataset.cases)
