"""Score predicted summaries against gold annotations.

Matching rule
    A predicted item's span is the union of its evidence spans,
    ``[min start, max end)`` (gaps between evidence spans count as covered).
    A predicted item matches a gold item when their categories agree and the two
    spans overlap by at least half of the *shorter* span (and by at least one
    character). Matching is one-to-one and greedy: the pair with the largest
    overlap first, ties broken by document order (gold start, then predicted
    start). So one predicted item spanning two gold items matches one of them.

Item scores
    Precision, recall and F1 per category and micro-averaged over the three
    categories (see :class:`~summarizer.evaluation.report.Scores` for empty
    cases). Localisation uses the same rule with categories ignored.

Figure recall
    Of all gold figures, those whose value (``numbers.parse_figure``) equals
    (``numbers.values_match``) the value of a figure of the predicted item matched
    to their gold item; each predicted figure counts once. Figures of unmatched
    gold items are missed. A gold figure that cannot be parsed is compared by
    its text.

Ungrounded figures
    Predicted figures whose value is not among the figures
    ``numbers.find_figures`` finds in the document text at the item's evidence
    spans (the document's text at those offsets, not the span's own copy).

A document without a prediction is scored as an empty prediction and warned about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InputError
from ..figures import numbers
from ..schema import CATEGORIES, DocumentSummary, Item
from .dataset import Case, Dataset, GoldItem
from .indicators import evaluate_indicators
from .report import (
    Cost,
    DocReport,
    EvalReport,
    FigureScores,
    Match,
    Scores,
    Totals,
    UngroundedFigure,
)

__all__ = [
    "Pair",
    "evaluate",
    "evaluate_document",
    "index_predictions",
    "item_range",
    "match_spans",
    "overlap",
    "spans_match",
]


@dataclass(frozen=True, slots=True)
class _Unit:
    """A span to match, with its category and its index in its own list."""

    index: int
    start: int
    end: int
    category: str


@dataclass(frozen=True, slots=True)
class Pair:
    """One gold/predicted pair chosen by :func:`match_spans`."""

    gold: int  #: index into the gold list
    pred: int  #: index into the predicted list
    overlap: int  #: characters in common


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters shared by the half-open ranges ``a`` and ``b``."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def spans_match(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether ``a`` and ``b`` overlap by at least half of the shorter one (and at all)."""
    ov = overlap(a, b)
    return ov > 0 and 2 * ov >= min(a[1] - a[0], b[1] - b[0])


def item_range(item: Item) -> tuple[int, int]:
    """The span a predicted item is matched by: ``[min start, max end)`` of its evidence."""
    return min(s.start for s in item.evidence), max(s.end for s in item.evidence)


def match_spans(
    gold: Sequence[tuple[int, int, str]],
    pred: Sequence[tuple[int, int, str]],
    *,
    use_category: bool = True,
) -> list[Pair]:
    """One-to-one greedy matching of ``(start, end, category)`` spans.

    Args:
        gold: gold spans.
        pred: predicted spans.
        use_category: only pair spans of the same category.

    Returns:
        The chosen pairs, largest overlap first (ties in document order).
    """
    g_units = [_Unit(i, s, e, c) for i, (s, e, c) in enumerate(gold)]
    p_units = [_Unit(i, s, e, c) for i, (s, e, c) in enumerate(pred)]
    candidates = [
        (overlap((g.start, g.end), (p.start, p.end)), g, p)
        for g in g_units
        for p in p_units
        if (not use_category or g.category == p.category)
        and spans_match((g.start, g.end), (p.start, p.end))
    ]
    candidates.sort(key=lambda c: (-c[0], c[1].start, c[2].start, c[1].index, c[2].index))
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for ov, g, p in candidates:
        if g.index in used_g or p.index in used_p:
            continue
        used_g.add(g.index)
        used_p.add(p.index)
        pairs.append(Pair(g.index, p.index, ov))
    return pairs


def evaluate_document(case: Case, summary: DocumentSummary | None) -> DocReport:
    """Score one document's prediction (``None``: no prediction, scored as empty).

    Args:
        case: the document and its gold.
        summary: the predicted summary, or ``None``.

    Returns:
        The document's scores, matches, ungrounded figures, cost and warnings.
    """
    gold = case.gold.items
    warnings: list[str] = []
    if summary is None:
        warnings.append("no prediction; scored as empty (every gold item missed)")
        pred: list[Item] = []
    else:
        pred = summary.items()
        warnings += _evidence_warnings(case.text, pred)
    g_spans = [(g.start, g.end, g.category) for g in gold]
    p_spans = [(*item_range(p), p.category) for p in pred]
    pairs = match_spans(g_spans, p_spans)
    loc_pairs = match_spans(g_spans, p_spans, use_category=False)

    categories = {}
    for c in CATEGORIES:
        s = Scores.of(
            sum(1 for pr in pairs if gold[pr.gold].category == c),
            sum(1 for p in pred if p.category == c),
            sum(1 for g in gold if g.category == c),
        )
        if s.applicable:
            categories[c] = s

    found, n_figures, unparsed = _figure_recall(gold, pred, pairs)
    warnings += [f"gold figure {t!r} could not be parsed; compared by text" for t in unparsed]

    issuer_correct = year_correct = None
    if case.gold.issuer and case.gold.issuer.strip():
        got = summary.issuer if summary is not None else None
        issuer_correct = (got or "").strip() == case.gold.issuer.strip()
    if case.gold.year is not None:
        year_correct = summary is not None and summary.year == case.gold.year

    cost = Cost()
    if summary is not None:
        u = summary.metadata.usage
        cost = Cost(
            prompt_tokens=u.prompt_tokens,
            completion_tokens=u.completion_tokens,
            calls=u.calls,
            seconds=u.seconds,
        )
    return DocReport(
        doc_id=case.doc_id,
        predicted=summary is not None,
        items=Scores.of(len(pairs), len(pred), len(gold)),
        categories=categories,
        localisation=Scores.of(len(loc_pairs), len(pred), len(gold)),
        figures=FigureScores.of(found, n_figures),
        ungrounded=_ungrounded(case.doc_id, case.text, pred),
        issuer_correct=issuer_correct,
        year_correct=year_correct,
        cost=cost,
        indicators=evaluate_indicators(gold, pred),
        matches=[
            Match(
                gold_index=pr.gold,
                item_id=pred[pr.pred].id,
                category=gold[pr.gold].category,
                overlap=pr.overlap,
            )
            for pr in sorted(pairs, key=lambda pr: pr.gold)
        ],
        warnings=warnings,
    )


def evaluate(
    dataset: Dataset,
    predictions: Mapping[str, DocumentSummary] | Sequence[DocumentSummary],
) -> EvalReport:
    """Score predictions against every case of a dataset.

    Args:
        dataset: the loaded dataset.
        predictions: summaries keyed by doc id (the gold file stem), or a sequence
            of summaries keyed by their ``doc_id``.

    Returns:
        Per-document rows and micro-averaged totals.

    Raises:
        InputError: a sequence holds two summaries with the same ``doc_id``.
    """
    by_id = index_predictions(predictions)
    docs = [evaluate_document(c, by_id.get(c.doc_id)) for c in dataset.cases]
    unknown = sorted(set(by_id) - set(dataset.doc_ids))
    warnings = [
        f"prediction for {d!r}, which is not in dataset {dataset.name!r}; ignored" for d in unknown
    ]
    return EvalReport(
        dataset=dataset.name, documents=docs, totals=Totals.of(docs), warnings=warnings
    )


def index_predictions(
    predictions: Mapping[str, DocumentSummary] | Sequence[DocumentSummary],
) -> dict[str, DocumentSummary]:
    """Predictions keyed by doc id: a mapping as is, a sequence by each summary's ``doc_id``.

    Raises:
        InputError: a sequence holds two summaries with the same ``doc_id``.
    """
    if isinstance(predictions, Mapping):
        return dict(predictions)
    by_id: dict[str, DocumentSummary] = {}
    for s in predictions:
        if s.doc_id in by_id:
            raise InputError(f"two predictions for document {s.doc_id!r}")
        by_id[s.doc_id] = s
    return by_id


def _figure_recall(
    gold: Sequence[GoldItem], pred: Sequence[Item], pairs: list[Pair]
) -> tuple[int, int, list[str]]:
    """(found, total gold figures, unparseable gold figure texts)."""
    matched = {pr.gold: pred[pr.pred] for pr in pairs}
    found = total = 0
    unparsed: list[str] = []
    for gi, g in enumerate(gold):
        total += len(g.figures)
        item = matched.get(gi)
        if item is None:
            continue
        unused = list(item.figures)
        for text in g.figures:
            parsed = numbers.parse_figure(text)
            if parsed is None:
                unparsed.append(text)
                hit = next((f for f in unused if f.text.strip() == text.strip()), None)
            else:
                hit = next((f for f in unused if numbers.values_match(parsed.value, f.value)), None)
            if hit is not None:
                unused.remove(hit)
                found += 1
    return found, total, unparsed


def _ungrounded(doc_id: str, text: str, pred: Sequence[Item]) -> list[UngroundedFigure]:
    out = []
    for item in pred:
        if not item.figures:
            continue
        stated = [
            f.value
            for s in item.evidence
            if s.start < min(s.end, len(text))
            for f in numbers.find_figures(text, s.start, min(s.end, len(text)))
        ]
        for fig in item.figures:
            if not any(numbers.values_match(fig.value, v) for v in stated):
                out.append(
                    UngroundedFigure(doc_id=doc_id, item_id=item.id, text=fig.text, value=fig.value)
                )
    return out


def _evidence_warnings(text: str, pred: Sequence[Item]) -> list[str]:
    bad = [
        item.id
        for item in pred
        for s in item.evidence
        if s.end > len(text) or s.start > s.end or text[s.start : s.end] != s.text
    ]
    if not bad:
        return []
    ids = ", ".join(dict.fromkeys(bad))
    return [
        f"{len(bad)} evidence spans whose text differs from the document at their "
        f"offsets (items {ids})"
    ]
