"""Run an evaluation end to end: load, predict or read predictions, score, write files.

This is what ``summarizer eval`` calls. It does not import the pipeline: the CLI
passes ``summarize`` (a callable from a document path to a DocumentSummary) or a
folder of saved predictions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from ..errors import ConfigError, InputError
from ..schema import DocumentSummary
from .dataset import Dataset, load_dataset
from .html import render_html
from .metrics import evaluate
from .report import Comparison, EvalReport, compare

__all__ = ["load_predictions", "load_report", "run_eval"]

log = logging.getLogger(__name__)

REPORT_JSON = "eval_report.json"
REPORT_MD = "eval_report.md"
REPORT_HTML = "eval_report.html"
COMPARISON_JSON = "comparison.json"
PREDICTIONS_DIR = "predictions"


def load_predictions(dataset: Dataset, predictions_dir: Path) -> dict[str, DocumentSummary]:
    """Read ``<doc_id>.json`` for every case that has one (missing files are left out).

    Raises:
        InputError: the folder is missing or a file is not a valid DocumentSummary.
    """
    if not predictions_dir.is_dir():
        raise InputError(f"{predictions_dir}: predictions folder does not exist")
    out: dict[str, DocumentSummary] = {}
    for case in dataset.cases:
        path = predictions_dir / f"{case.doc_id}.json"
        if not path.is_file():
            continue
        try:
            out[case.doc_id] = DocumentSummary.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as e:
            raise InputError(f"{path}: not a valid DocumentSummary: {e}") from e
    return out


def load_report(path: Path) -> EvalReport:
    """Read a saved ``eval_report.json`` (e.g. a baseline).

    Raises:
        InputError: the file is missing or is not an EvalReport.
    """
    try:
        return EvalReport.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as e:
        raise InputError(f"{path}: not a readable eval report: {e}") from e


def _predict(
    dataset: Dataset, summarize: Callable[[Path], DocumentSummary], saved: Path
) -> tuple[dict[str, DocumentSummary], list[str]]:
    """Call ``summarize`` on every case, saving each output; failures become warnings."""
    saved.mkdir(parents=True, exist_ok=True)
    predictions: dict[str, DocumentSummary] = {}
    failures: list[str] = []
    for i, case in enumerate(dataset.cases, 1):
        log.info("eval %s [%d/%d]", case.doc_id, i, len(dataset.cases))
        try:
            summary = summarize(case.doc_path)
        except Exception as e:  # one failing document must not lose the run
            log.warning("summarize failed for %s: %s", case.doc_id, e)
            failures.append(f"summarize failed for {case.doc_id}: {type(e).__name__}: {e}")
            continue
        predictions[case.doc_id] = summary
        (saved / f"{case.doc_id}.json").write_text(
            summary.model_dump_json(indent=2) + "\n", encoding="utf-8"
        )
    return predictions, failures


def run_eval(
    dataset_path: str | Path,
    *,
    predictions_dir: Path | None,
    out_dir: Path,
    summarize: Callable[[Path], DocumentSummary] | None,
    baseline: Path | None,
    tolerance: float = 0.01,
) -> tuple[EvalReport, Comparison | None]:
    """Evaluate a dataset and write ``eval_report.{json,md,html}`` into ``out_dir``.

    Exactly one source of predictions is used: saved ``<doc_id>.json`` files in
    ``predictions_dir``, or ``summarize(doc_path)`` called for each case (its
    outputs are saved in ``out_dir/predictions/`` so the run can be re-scored
    with ``predictions_dir``). A document whose ``summarize`` call raises is
    scored as an empty prediction and the error is recorded as a warning.

    Args:
        dataset_path: the dataset's YAML or directory.
        predictions_dir: folder of saved predictions, or None.
        out_dir: where the report files go (created if needed).
        summarize: the pipeline, or None.
        baseline: a previous ``eval_report.json`` to compare with, or None; the
            comparison is also written to ``out_dir/comparison.json``.
        tolerance: allowed drop of F1 / figure recall before it is a regression.

    Returns:
        The report and the comparison (None without a baseline). The caller exits
        non-zero when ``comparison.regressions`` is not empty.

    Raises:
        ConfigError: both or neither of ``predictions_dir`` and ``summarize``.
        DatasetError: the dataset is invalid.
        InputError: a prediction file or the baseline cannot be read.
    """
    if predictions_dir is not None and summarize is not None:
        raise ConfigError("give a predictions folder or a summarize function, not both")
    dataset = load_dataset(dataset_path)
    base = load_report(baseline) if baseline is not None else None
    failures: list[str] = []
    if predictions_dir is not None:
        predictions = load_predictions(dataset, predictions_dir)
    elif summarize is not None:
        predictions, failures = _predict(dataset, summarize, out_dir / PREDICTIONS_DIR)
    else:
        raise ConfigError("give a predictions folder (--pred DIR) or a summarize function")
    report = evaluate(dataset, predictions)
    report.warnings[:0] = failures
    out_dir.mkdir(parents=True, exist_ok=True)
    comparison = compare(report, base, tolerance) if base is not None else None

    (out_dir / REPORT_JSON).write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    markdown = report.to_markdown()
    if comparison is not None:
        markdown += "\n" + comparison.to_markdown()
        (out_dir / COMPARISON_JSON).write_text(
            comparison.model_dump_json(indent=2) + "\n", encoding="utf-8"
        )
    (out_dir / REPORT_MD).write_text(markdown, encoding="utf-8")
    (out_dir / REPORT_HTML).write_text(render_html(dataset, predictions, report), encoding="utf-8")
    return report, comparison
