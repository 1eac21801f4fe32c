"""The eval report printed: plain-text and Markdown tables of an :class:`EvalReport`.

Rendering only; the scores and their comparison are in :mod:`.report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .summaries import SUMMARY_HEAD, summary_rows

if TYPE_CHECKING:
    from .report import (
        Comparison,
        Cost,
        EvalReport,
        FigureScores,
        IndicatorScores,
        Scores,
    )

__all__ = ["render", "render_comparison"]


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _yn(x: bool | None) -> str:
    return "-" if x is None else ("y" if x else "n")


_DOC_HEAD = [
    *("doc", "P", "R", "F1", "loc-F1", "fig-R", "ungr"),
    *("issuer", "year", "prompt", "compl", "calls", "sec"),
]
_CAT_HEAD = ["category", "gold", "pred", "match", "P", "R", "F1"]


def _doc_row(
    name: str,
    items: Scores,
    loc: Scores,
    figs: FigureScores,
    ungr: int,
    meta: tuple[str, str],
    cost: Cost,
) -> list[str]:
    scores = [items.precision, items.recall, items.f1, loc.f1, figs.recall]
    counts = [ungr, *meta, cost.prompt_tokens, cost.completion_tokens, cost.calls]
    return [name, *map(_f, scores), *map(str, counts), f"{cost.seconds:.1f}"]


def _cat_row(name: str, s: Scores) -> list[str]:
    counts = [str(s.gold), str(s.predicted), str(s.matched)]
    return [name, *counts, _f(s.precision), _f(s.recall), _f(s.f1)]


_IND_HEAD = [
    *("doc", "gold", "pred", "match", "P", "R", "F1"),
    *("head-gold", "head-pred", "head-F1", "name-acc", "period-acc"),
]


def _indicator_row(name: str, s: IndicatorScores) -> list[str]:
    t, h = s.tags, s.headline
    return [
        name,
        *map(str, (t.gold, t.predicted, t.matched)),
        *map(_f, (t.precision, t.recall, t.f1)),
        *map(str, (h.gold, h.predicted)),
        *map(_f, (h.f1, s.name_accuracy, s.period_accuracy)),
    ]


def _indicator_rows(report: EvalReport) -> list[list[str]]:
    """One row per document with indicator scores, then the total; [] when none apply."""
    t = report.totals.indicators
    if t is None:
        return []
    rows = [_indicator_row(d.doc_id, d.indicators) for d in report.documents if d.indicators]
    return [*rows, _indicator_row(f"TOTAL ({len(rows)} docs)", t)]


def render(report: EvalReport, *, markdown: bool) -> str:
    t = report.totals
    rows = [
        _doc_row(
            d.doc_id + ("" if d.predicted else " (no prediction)"),
            d.items,
            d.localisation,
            d.figures,
            len(d.ungrounded),
            (_yn(d.issuer_correct), _yn(d.year_correct)),
            d.cost,
        )
        for d in report.documents
    ]
    meta = (f"{t.issuer_correct}/{t.issuer_total}", f"{t.year_correct}/{t.year_total}")
    total = _doc_row(
        f"TOTAL ({t.documents} docs)",
        t.items,
        t.localisation,
        t.figures,
        t.ungrounded,
        meta,
        t.cost,
    )
    cats = [_cat_row(c, s) for c, s in t.categories.items()]
    cats.append(_cat_row("(any, loc)", t.localisation))
    summ = summary_rows(t.summaries)
    ungrounded = [u for d in report.documents for u in d.ungrounded]
    warnings = report.all_warnings()
    ind_rows = _indicator_rows(report)
    if markdown:
        parts = [f"# Eval report: {report.dataset}", "", _md_table(_DOC_HEAD, [*rows, total])]
        parts += ["", "## Items by category (all documents)", "", _md_table(_CAT_HEAD, cats)]
        if summ:
            parts += ["", "## Summaries (all documents)", "", _md_table(SUMMARY_HEAD, summ)]
        if ind_rows:
            parts += ["", "## Indicator tags", "", _md_table(_IND_HEAD, ind_rows)]
        if ungrounded:
            parts += ["", "## Ungrounded figures", ""]
            parts += [f"- `{u.doc_id}` {u.item_id}: {u.text} ({u.value:g})" for u in ungrounded]
        if warnings:
            parts += ["", "## Warnings", ""] + [f"- {w}" for w in warnings]
        return "\n".join(parts) + "\n"
    parts = [f"Eval report: {report.dataset}", _text_table(_DOC_HEAD, rows, total)]
    parts += ["", _text_table(_CAT_HEAD, cats)]
    if summ:
        parts += ["", _text_table(SUMMARY_HEAD, summ)]
    if ind_rows:
        parts += ["", "Indicator tags:", _text_table(_IND_HEAD, ind_rows[:-1], ind_rows[-1])]
    if ungrounded:
        parts += ["", "Ungrounded figures:"]
        parts += [f"  {u.doc_id} {u.item_id}: {u.text} ({u.value:g})" for u in ungrounded]
    if warnings:
        parts += ["", "Warnings:"] + [f"  {w}" for w in warnings]
    return "\n".join(parts) + "\n"


def render_comparison(c: Comparison, *, markdown: bool) -> str:
    head = ["metric", "baseline", "current", "delta"]
    rows = [
        [k, _f(c.baseline.get(k)), _f(c.current.get(k)), "-" if d is None else f"{d:+.3f}"]
        for k, d in c.deltas.items()
    ]
    verdict = "no regressions" if c.ok else f"{len(c.regressions)} regressions"
    if markdown:
        parts = [f"## Comparison with baseline ({verdict})", "", _md_table(head, rows)]
        parts += ["", *(f"- **regression**: {r}" for r in c.regressions)]
        parts += [f"- warning: {w}" for w in c.warnings]
        return "\n".join(parts).rstrip() + "\n"
    parts = [f"Comparison with baseline: {verdict}", _text_table(head, rows)]
    parts += [f"REGRESSION: {r}" for r in c.regressions]
    parts += [f"warning: {w}" for w in c.warnings]
    return "\n".join(parts) + "\n"


def _text_table(head: list[str], rows: list[list[str]], total: list[str] | None = None) -> str:
    every = [head, *rows, *([total] if total else [])]
    widths = [max(len(r[i]) for r in every) for i in range(len(head))]

    def line(r: list[str]) -> str:
        cells = [r[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(r[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(line(head))
    out = [line(head), rule, *(line(r) for r in rows)]
    if total:
        out += [rule, line(total)]
    return "\n".join(out)


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    def line(r: list[str]) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in r) + " |"

    align = "|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|"
    return "\n".join([line(head), align, *(line(r) for r in rows)])
