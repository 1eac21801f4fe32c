"""Evaluation: datasets with gold annotations, metrics, reports, an HTML view.

Modules, one concern each::

    dataset.py   load_dataset(): YAML or docs/+gold/ folder -> validated Dataset
    metrics.py   evaluate(): span matching, item/localisation F1, figure recall,
                 ungrounded figures, metadata, cost -> EvalReport
    report.py    EvalReport (table, Markdown, JSON) and compare() -> Comparison
    html.py      render_html(): one self-contained page per run
    runner.py    run_eval(): what ``summarizer eval`` calls

Typical use::

    dataset = load_dataset("evals/seed.yaml")
    report = evaluate(dataset, {doc_id: summary, ...})
    print(report.to_table())
"""

from __future__ import annotations

from .dataset import Case, Dataset, DatasetConfig, Gold, GoldIndicator, GoldItem, load_dataset
from .html import render_html
from .metrics import evaluate, evaluate_document, match_spans, spans_match
from .report import (
    Comparison,
    Cost,
    DocReport,
    EvalReport,
    FigureScores,
    Match,
    Scores,
    Totals,
    UngroundedFigure,
    compare,
)
from .runner import load_predictions, load_report, run_eval

__all__ = [
    "Case",
    "Comparison",
    "Cost",
    "Dataset",
    "DatasetConfig",
    "DocReport",
    "EvalReport",
    "FigureScores",
    "Gold",
    "GoldIndicator",
    "GoldItem",
    "Match",
    "Scores",
    "Totals",
    "UngroundedFigure",
    "compare",
    "evaluate",
    "evaluate_document",
    "load_dataset",
    "load_predictions",
    "load_report",
    "match_spans",
    "render_html",
    "run_eval",
    "spans_match",
]
