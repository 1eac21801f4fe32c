"""The eval report: scores as data, printed as a table or Markdown, compared with a baseline.

:class:`EvalReport` is a pydantic model, so ``report.model_dump_json()`` saves it and
``EvalReport.model_validate_json(text)`` reads it back (a saved report is the
baseline of the next run). :func:`compare` turns two reports into a
:class:`Comparison` whose ``regressions`` decide the CLI's exit status.

Scores that do not apply are ``None``: precision/recall/F1 of a category with no
gold and no predicted items, figure recall with no gold figures, issuer/year
correctness when the gold leaves them out. Tables print them as ``-``.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from ..schema import CATEGORIES, Category
from .summaries import (
    LOWER_IS_BETTER,
    SummaryReport,
    summary_metrics,
)
from .tables import render, render_comparison

__all__ = [
    "Comparison",
    "Cost",
    "DocReport",
    "EvalReport",
    "FigureScores",
    "IndicatorScores",
    "Match",
    "Scores",
    "Totals",
    "UngroundedFigure",
    "compare",
]

#: Float slack so that a drop of exactly ``tolerance`` is not a regression.
_EPS = 1e-9


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scores(_Model):
    """Counts and precision/recall/F1 of one matching (a category, all items, or spans).

    Precision is 0.0 when nothing was predicted, recall is 0.0 when there is no
    gold, F1 is 0.0 when both are 0; all three are ``None`` (not applicable)
    when there is neither gold nor a prediction.
    """

    matched: int = 0
    predicted: int = 0
    gold: int = 0
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None

    @classmethod
    def of(cls, matched: int, predicted: int, gold: int) -> Scores:
        """Scores from counts of matched, predicted and gold items."""
        if predicted == 0 and gold == 0:
            return cls(matched=0, predicted=0, gold=0)
        p = matched / predicted if predicted else 0.0
        r = matched / gold if gold else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return cls(matched=matched, predicted=predicted, gold=gold, precision=p, recall=r, f1=f1)

    @property
    def applicable(self) -> bool:
        """Whether there is anything to score (some gold or some prediction)."""
        return self.predicted > 0 or self.gold > 0

    def __add__(self, other: Scores) -> Scores:
        return Scores.of(
            self.matched + other.matched, self.predicted + other.predicted, self.gold + other.gold
        )


class FigureScores(_Model):
    """Gold figures found among the figures of the matched predicted item."""

    gold: int = 0
    found: int = 0
    recall: float | None = None

    @classmethod
    def of(cls, found: int, gold: int) -> FigureScores:
        """Figure recall from counts; ``None`` when there are no gold figures."""
        return cls(gold=gold, found=found, recall=found / gold if gold else None)

    def __add__(self, other: FigureScores) -> FigureScores:
        return FigureScores.of(self.found + other.found, self.gold + other.gold)


class IndicatorScores(_Model):
    """Indicator tags against the gold's ``indicators`` (see ``evaluation/indicators.py``).

    ``tags`` matches a tagged figure to a gold entry on overlapping span, same
    ``measure`` and same ``kind``; ``headline`` does the same on the entries whose
    name has a canonical key, requiring the same key; name and period accuracy
    are counted over the ``tags`` matches.
    """

    tags: Scores = Field(default_factory=Scores)
    headline: Scores = Field(default_factory=Scores)
    name_correct: int = 0
    period_correct: int = 0
    name_accuracy: float | None = None
    period_accuracy: float | None = None

    @classmethod
    def of(
        cls, tags: Scores, headline: Scores, name_correct: int, period_correct: int
    ) -> IndicatorScores:
        """Scores with the accuracies computed over ``tags.matched``."""
        n = tags.matched
        return cls(
            tags=tags,
            headline=headline,
            name_correct=name_correct,
            period_correct=period_correct,
            name_accuracy=name_correct / n if n else None,
            period_accuracy=period_correct / n if n else None,
        )

    def __add__(self, other: IndicatorScores) -> IndicatorScores:
        return IndicatorScores.of(
            self.tags + other.tags,
            self.headline + other.headline,
            self.name_correct + other.name_correct,
            self.period_correct + other.period_correct,
        )


class UngroundedFigure(_Model):
    """A predicted figure whose value is not stated in its item's evidence."""

    doc_id: str
    item_id: str
    text: str
    value: float


class Match(_Model):
    """A gold item matched to a predicted item (same category, enough overlap)."""

    gold_index: int
    item_id: str
    category: Category
    overlap: int


class Cost(_Model):
    """Tokens, model calls and seconds, from ``DocumentSummary.metadata.usage``."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    seconds: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            calls=self.calls + other.calls,
            seconds=self.seconds + other.seconds,
        )


class DocReport(_Model):
    """Scores of one document.

    Attributes:
        doc_id: the document's id (gold file stem).
        predicted: False when there was no prediction (scored as empty).
        items: micro-averaged item scores over the three categories.
        categories: per-category scores; categories with neither gold nor
            prediction are left out.
        localisation: the same matching with categories ignored.
        figures: figure recall over all gold figures of the document.
        ungrounded: predicted figures not stated in their evidence.
        issuer_correct: ``None`` when the gold has no issuer.
        year_correct: ``None`` when the gold has no year.
        cost: usage of the run that produced the prediction.
        matches: the category-aware one-to-one matching.
        warnings: what was odd about this document's prediction.
    """

    doc_id: str
    predicted: bool = True
    items: Scores
    categories: dict[Category, Scores] = Field(default_factory=dict)
    localisation: Scores
    figures: FigureScores
    ungrounded: list[UngroundedFigure] = Field(default_factory=list)
    issuer_correct: bool | None = None
    year_correct: bool | None = None
    cost: Cost = Field(default_factory=Cost)
    indicators: IndicatorScores | None = Field(
        default=None, description="Indicator tags vs gold; None when the gold has none."
    )
    matches: list[Match] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    summaries: SummaryReport | None = None  #: summary measures (:mod:`.summaries`)


class Totals(_Model):
    """Scores summed over the documents (micro-averaged)."""

    documents: int = 0
    predicted: int = 0
    items: Scores = Field(default_factory=Scores)
    categories: dict[Category, Scores] = Field(default_factory=dict)
    localisation: Scores = Field(default_factory=Scores)
    figures: FigureScores = Field(default_factory=FigureScores)
    ungrounded: int = 0
    issuer_correct: int = 0
    issuer_total: int = 0
    year_correct: int = 0
    year_total: int = 0
    cost: Cost = Field(default_factory=Cost)
    summaries: SummaryReport | None = None
    indicators: IndicatorScores | None = None

    @classmethod
    def of(cls, docs: Iterable[DocReport]) -> Totals:
        """Sum per-document reports."""
        t = cls()
        cats = {c: Scores() for c in CATEGORIES}
        docs = list(docs)
        t.summaries = SummaryReport.total(d.summaries for d in docs)
        for d in docs:
            t.documents += 1
            t.predicted += d.predicted
            t.items += d.items
            t.localisation += d.localisation
            t.figures += d.figures
            t.ungrounded += len(d.ungrounded)
            t.cost += d.cost
            for c, s in d.categories.items():
                cats[c] += s
            if d.issuer_correct is not None:
                t.issuer_total += 1
                t.issuer_correct += d.issuer_correct
            if d.year_correct is not None:
                t.year_total += 1
                t.year_correct += d.year_correct
            if d.indicators is not None:
                t.indicators = d.indicators + t.indicators if t.indicators else d.indicators
        t.categories = {c: s for c, s in cats.items() if s.applicable}
        return t


class EvalReport(_Model):
    """The result of scoring predictions against a dataset.

    Save with ``model_dump_json()``; load a baseline with ``model_validate_json()``.
    """

    dataset: str
    documents: list[DocReport]
    totals: Totals
    warnings: list[str] = Field(default_factory=list, description="Run-level warnings.")

    def all_warnings(self) -> list[str]:
        """Run-level warnings, then every document's, prefixed with its doc id."""
        return [*self.warnings, *(f"{d.doc_id}: {w}" for d in self.documents for w in d.warnings)]

    def to_table(self) -> str:
        """A plain-text table: one row per document and a total, then per-category totals."""
        return render(self, markdown=False)

    def to_markdown(self) -> str:
        """The same content as :meth:`to_table`, as Markdown."""
        return render(self, markdown=True)


class Comparison(_Model):
    """A report set against a baseline report.

    Attributes:
        current: tracked metric values of the new report.
        baseline: the same metrics of the baseline.
        deltas: ``current - baseline`` (``None`` when either is missing).
        documents: per-document F1 delta.
        regressions: why the run is worse; empty when it is not.
        warnings: differences that make the comparison less meaningful.
    """

    dataset: str
    baseline_dataset: str
    tolerance: float
    current: dict[str, float | None]
    baseline: dict[str, float | None]
    deltas: dict[str, float | None]
    documents: dict[str, float | None] = Field(default_factory=dict)
    regressions: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there are no regressions."""
        return not self.regressions

    def to_table(self) -> str:
        """Plain-text comparison: metric, baseline, current, delta; then regressions."""
        return render_comparison(self, markdown=False)

    def to_markdown(self) -> str:
        """The comparison as Markdown."""
        return render_comparison(self, markdown=True)


def tracked_metrics(report: EvalReport) -> dict[str, float | None]:
    """The totals that :func:`compare` tracks, by name."""
    t = report.totals
    out: dict[str, float | None] = {"F1": t.items.f1}
    for c in CATEGORIES:
        out[f"F1[{c}]"] = t.categories[c].f1 if c in t.categories else None
    out["loc-F1"] = t.localisation.f1
    out["figure recall"] = t.figures.recall
    out["ungrounded"] = float(t.ungrounded)
    out.update(summary_metrics(t.summaries))
    if t.indicators is not None:
        out["indicator F1"] = t.indicators.tags.f1
        out["headline F1"] = t.indicators.headline.f1
    return out


def compare(report: EvalReport, baseline: EvalReport, tolerance: float = 0.01) -> Comparison:
    """Compare a report with a baseline and list regressions.

    A regression is: total item F1, a category's F1, localisation F1 or figure
    recall lower than the baseline's by more than ``tolerance`` (a drop of exactly
    ``tolerance`` passes), or any ungrounded figure in ``report`` (whatever the
    baseline had). Metrics not applicable in either report are not compared.

    Args:
        report: the new report.
        baseline: a previous report of the same dataset.
        tolerance: allowed drop of a score (absolute, 0..1).

    Returns:
        The comparison; ``comparison.regressions`` is empty when nothing got worse.
    """
    cur, base = tracked_metrics(report), tracked_metrics(baseline)
    deltas = {k: _delta(cur[k], base.get(k)) for k in cur}  # a metric new since the baseline: None
    regressions: list[str] = []
    for name, delta in deltas.items():
        if name == "ungrounded" or delta is None:
            continue
        if name in LOWER_IS_BETTER:
            if delta > tolerance + _EPS:
                regressions.append(
                    f"{name} rose by {delta:.3f} ({base[name]:.3f} -> {cur[name]:.3f}), "
                    f"more than the tolerance {tolerance:g}"
                )
            continue
        if delta < -tolerance - _EPS:
            regressions.append(
                f"{name} dropped by {-delta:.3f} ({base[name]:.3f} -> {cur[name]:.3f}), "
                f"more than the tolerance {tolerance:g}"
            )
    if report.totals.ungrounded:
        listed = [u for d in report.documents for u in d.ungrounded]
        sample = ", ".join(f"{u.doc_id}/{u.item_id} {u.text!r}" for u in listed[:5])
        more = f" and {len(listed) - 5} more" if len(listed) > 5 else ""
        regressions.append(f"{report.totals.ungrounded} ungrounded figures: {sample}{more}")
    if report.totals.summaries is not None and report.totals.summaries.overall.outside:
        s = report.totals.summaries
        regressions.append(
            f"{s.overall.outside} summaries state a number not in their evidence: "
            + "; ".join(s.outside_examples[:3])
        )

    warnings: list[str] = []
    if report.dataset != baseline.dataset:
        warnings.append(f"datasets differ: {report.dataset!r} vs baseline {baseline.dataset!r}")
    cur_docs = {d.doc_id: d for d in report.documents}
    base_docs = {d.doc_id: d for d in baseline.documents}
    if set(cur_docs) != set(base_docs):
        only_cur = sorted(set(cur_docs) - set(base_docs))
        only_base = sorted(set(base_docs) - set(cur_docs))
        warnings.append(
            f"documents differ: only in this run {only_cur}, only in the baseline {only_base}"
        )
    for name in cur:
        if name not in base:
            warnings.append(f"{name} is not in the baseline; not compared (regenerate it)")
        elif (cur[name] is None) != (base[name] is None):
            warnings.append(f"{name} is not applicable in one of the reports; not compared")
    documents = {
        doc_id: _delta(d.items.f1, base_docs[doc_id].items.f1)
        for doc_id, d in cur_docs.items()
        if doc_id in base_docs
    }
    return Comparison(
        dataset=report.dataset,
        baseline_dataset=baseline.dataset,
        tolerance=tolerance,
        current=cur,
        baseline=base,
        deltas=deltas,
        documents=documents,
        regressions=regressions,
        warnings=warnings,
    )


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


# ---------------------------------------------------------------- rendering
