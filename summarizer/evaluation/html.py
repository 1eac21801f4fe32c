"""One self-contained HTML page per eval run: gold and predicted spans side by side.

Each document is shown twice, side by side: on the left with its gold items
highlighted (green: matched, red: missed), on the right with the evidence spans
of its predicted items (green: matched, orange: false hit; a dotted outline marks a
false hit that would match if its category were right). Every highlight carries a
category label. A summary table per document is at the top.

All text from documents, gold and predictions is escaped with :func:`html.escape`;
the page has inline CSS only, no scripts and no external assets.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..schema import DocumentSummary, Item
from .dataset import Case, Dataset
from .metrics import index_predictions, item_range, match_spans
from .report import DocReport, EvalReport, IndicatorScores, Scores

__all__ = ["render_html"]

_ABBR = {"achievement": "A", "shortcoming": "S", "plan": "P"}

_CSS = """
body { font-family: system-ui, "Noto Sans CJK SC", "Noto Sans SC", sans-serif; margin: 1.5em;
       color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-top: 1px solid #ccc;
       padding-top: .8em; }
table.summary { border-collapse: collapse; font-size: .85em; }
table.summary th, table.summary td { border: 1px solid #ccc; padding: .2em .5em;
                                     text-align: right; }
table.summary td:first-child, table.summary th:first-child { text-align: left; }
table.summary tr.total td { font-weight: bold; background: #f4f4f4; }
.legend span { margin-right: 1em; padding: 0 .4em; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.col h3 { font-size: 1em; margin: .3em 0; }
.text { white-space: pre-wrap; line-height: 1.7; font-size: .9em; border: 1px solid #ddd;
        padding: .6em; background: #fff; overflow-wrap: anywhere; }
mark { color: inherit; border-radius: 2px; }
mark.matched { background: #c6efce; }
mark.missed { background: #ffc7ce; }
mark.false { background: #ffd59e; }
mark.wrongcat { outline: 1px dotted #b35900; }
mark.overlap { box-shadow: inset 0 -3px 0 #7a5cff; }
.tag { font-size: .7em; font-weight: bold; padding: 0 .25em; margin-right: .2em;
       border-radius: 3px; color: #fff; vertical-align: super; }
.tag.achievement { background: #2e7d32; } .tag.shortcoming { background: #c62828; }
.tag.plan { background: #1565c0; }
table.items { border-collapse: collapse; font-size: .8em; margin-top: .8em; width: 100%; }
table.items th, table.items td { border: 1px solid #ddd; padding: .2em .4em; vertical-align: top;
       text-align: left; }
.ungrounded { color: #b00020; font-weight: bold; }
.warn { color: #8a5a00; }
.none { color: #888; font-style: italic; }
"""


@dataclass(frozen=True, slots=True)
class _Mark:
    start: int
    end: int
    status: str  #: matched / missed / false
    category: str
    label: str
    title: str
    side: str  #: gold / pred
    extra: str = ""  #: more CSS classes


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def render_html(
    dataset: Dataset,
    predictions: Mapping[str, DocumentSummary] | Sequence[DocumentSummary],
    report: EvalReport,
) -> str:
    """Render one run as a self-contained HTML page.

    Args:
        dataset: the dataset that was scored.
        predictions: the predictions that were scored (as given to ``evaluate``).
        report: the report ``evaluate`` returned for them.

    Returns:
        The page, as a string.
    """
    preds = index_predictions(predictions)
    rows = {d.doc_id: d for d in report.documents}
    sections = [_doc_section(c, preds.get(c.doc_id), rows.get(c.doc_id)) for c in dataset.cases]
    warnings = report.all_warnings()
    warn_html = (
        "<h2>Warnings</h2><ul>"
        + "".join(f'<li class="warn">{_e(w)}</li>' for w in warnings)
        + "</ul>"
        if warnings
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>Eval: {_e(report.dataset)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>Eval report: {_e(report.dataset)}</h1>\n"
        f"<p>{_e(dataset.description)}</p>\n"
        '<p class="legend"><mark class="matched">matched</mark> '
        '<mark class="missed">missed gold</mark> <mark class="false">false hit</mark> '
        '<mark class="false wrongcat">false hit, wrong category</mark> '
        '<span class="tag achievement">A</span>achievement '
        '<span class="tag shortcoming">S</span>shortcoming '
        '<span class="tag plan">P</span>plan</p>\n'
        f"{_summary_table(report)}\n{_indicator_table(report)}\n{warn_html}\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def _indicator_table(report: EvalReport) -> str:
    """Indicator tags vs gold, one row per document and the total ('' when none apply)."""
    if report.totals.indicators is None:
        return ""
    head = ["document", "gold", "pred", "matched", "P", "R", "F1", "headline F1", "name acc"]
    head.append("period acc")

    def f(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    def row(name: str, s: IndicatorScores) -> str:
        t = s.tags
        cells = [name, str(t.gold), str(t.predicted), str(t.matched)]
        cells += [f(t.precision), f(t.recall), f(t.f1), f(s.headline.f1)]
        cells += [f(s.name_accuracy), f(s.period_accuracy)]
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    out = ['<h2>Indicator tags</h2><table class="summary" id="indicators"><tr>']
    out += [f"<th>{h}</th>" for h in head]
    out.append("</tr>")
    out += [row(_e(d.doc_id), d.indicators) for d in report.documents if d.indicators]
    out.append(row("TOTAL", report.totals.indicators))
    out.append("</table>")
    return "".join(out)


def _summary_table(report: EvalReport) -> str:
    head = [
        "document",
        "gold",
        "pred",
        "matched",
        "missed",
        "false",
        "P",
        "R",
        "F1",
        "loc-F1",
        "fig-R",
        "ungrounded",
        "issuer",
        "year",
        "tokens",
        "calls",
        "sec",
    ]
    out = ['<table class="summary" id="summary"><tr>']
    out += [f"<th>{h}</th>" for h in head]
    out.append("</tr>")
    for d in report.documents:
        name = f'<a href="#doc-{_e(d.doc_id)}">{_e(d.doc_id)}</a>'
        if not d.predicted:
            name += ' <span class="none">(no prediction)</span>'
        out.append(_summary_row(name, d.items, d, "doc", d.doc_id))
    t = report.totals
    total = DocReport(
        doc_id="TOTAL",
        items=t.items,
        localisation=t.localisation,
        figures=t.figures,
        cost=t.cost,
        issuer_correct=None,
        year_correct=None,
    )
    meta = (f"{t.issuer_correct}/{t.issuer_total}", f"{t.year_correct}/{t.year_total}")
    out.append(_summary_row("TOTAL", t.items, total, "total", "TOTAL", t.ungrounded, meta))
    out.append("</table>")
    return "".join(out)


def _summary_row(
    name: str,
    s: Scores,
    d: DocReport,
    cls: str,
    doc_id: str,
    ungrounded: int | None = None,
    meta: tuple[str, str] | None = None,
) -> str:
    def f(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    def yn(x: bool | None) -> str:
        return "-" if x is None else ("✓" if x else "✗")

    n_ungr = len(d.ungrounded) if ungrounded is None else ungrounded
    issuer, year = meta or (yn(d.issuer_correct), yn(d.year_correct))
    cells = [
        name,
        str(s.gold),
        str(s.predicted),
        str(s.matched),
        str(s.gold - s.matched),
        str(s.predicted - s.matched),
        f(s.precision),
        f(s.recall),
        f(s.f1),
        f(d.localisation.f1),
        f(d.figures.recall),
        str(n_ungr),
        issuer,
        year,
        f"{d.cost.prompt_tokens + d.cost.completion_tokens}",
        str(d.cost.calls),
        f"{d.cost.seconds:.1f}",
    ]
    tds = "".join(f"<td>{c}</td>" for c in cells)
    return f'<tr class="{cls}" data-doc="{_e(doc_id)}">{tds}</tr>'


def _doc_section(case: Case, summary: DocumentSummary | None, row: DocReport | None) -> str:
    text = case.text
    gold = case.gold.items
    pred = summary.items() if summary is not None else []
    matched = {m.gold_index: m.item_id for m in row.matches} if row else {}
    matched_ids = set(matched.values())
    loc_ids = {
        pred[p.pred].id
        for p in match_spans(
            [(g.start, g.end, g.category) for g in gold],
            [(*item_range(p), p.category) for p in pred],
            use_category=False,
        )
    }
    gold_marks = [
        _Mark(
            g.start,
            g.end,
            "matched" if i in matched else "missed",
            g.category,
            f"{_ABBR[g.category]} g{i}",
            f"gold {i} {g.category}"
            + (f" ↔ {matched[i]}" if i in matched else " (missed)")
            + (f"; figures: {', '.join(g.figures)}" if g.figures else ""),
            "gold",
        )
        for i, g in enumerate(gold)
    ]
    pred_marks = []
    for item in pred:
        ok = item.id in matched_ids
        extra = "wrongcat" if not ok and item.id in loc_ids else ""
        for k, span in enumerate(item.evidence):
            label = f"{_ABBR[item.category]} {item.id}" + (
                f"#{k + 1}" if len(item.evidence) > 1 else ""
            )
            pred_marks.append(
                _Mark(
                    span.start,
                    span.end,
                    "matched" if ok else "false",
                    item.category,
                    label,
                    f"{item.id} {item.category}: {item.summary}",
                    "pred",
                    extra,
                )
            )
    title = case.gold.title or ""
    meta = f"issuer {case.gold.issuer or '-'}, year {case.gold.year or '-'}"
    if summary is not None:
        meta += f" — predicted issuer {summary.issuer or '-'}, year {summary.year or '-'}"
    pred_col = (
        f'<div class="text" id="pred-{_e(case.doc_id)}">{_highlight(text, pred_marks)}</div>'
        if summary is not None
        else '<div class="text none">(no prediction)</div>'
    )
    return (
        f'<section class="doc" id="doc-{_e(case.doc_id)}">'
        f"<h2>{_e(case.doc_id)} {_e(title)}</h2><p>{_e(meta)}</p>"
        + "".join(f'<p class="warn">{_e(w)}</p>' for w in (row.warnings if row else []))
        + '<div class="columns">'
        f'<div class="col"><h3>Gold ({len(gold)} items)</h3>'
        f'<div class="text" id="gold-{_e(case.doc_id)}">{_highlight(text, gold_marks)}</div></div>'
        f'<div class="col"><h3>Predicted ({len(pred)} items)</h3>{pred_col}</div>'
        "</div>" + _items_table(pred, matched_ids, loc_ids - matched_ids, row) + "</section>"
    )


def _items_table(
    pred: list[Item], matched_ids: set[str], wrongcat: set[str], row: DocReport | None
) -> str:
    if not pred:
        return ""
    ungrounded = {(u.item_id, u.text) for u in (row.ungrounded if row else [])}
    out = [
        '<table class="items"><tr><th>id</th><th>category</th><th>result</th>'
        "<th>evidence</th><th>summary</th><th>figures</th></tr>"
    ]
    for item in pred:
        figs = ", ".join(
            f'<span class="ungrounded" title="not stated in its evidence">{_e(f.text)} ✗</span>'
            if (item.id, f.text) in ungrounded
            else _e(f.text)
            for f in item.figures
        )
        spans = ", ".join(f"{s.start}:{s.end}" for s in item.evidence)
        result = "matched" if item.id in matched_ids else "false hit"
        if item.id in wrongcat:
            result += " (right place, wrong category)"
        out.append(
            f'<tr data-item="{_e(item.id)}"><td>{_e(item.id)}</td><td>{_e(item.category)}</td>'
            f"<td>{result}</td><td>{spans}</td><td>{_e(item.summary)}</td><td>{figs}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def _highlight(text: str, marks: list[_Mark]) -> str:
    """``text`` escaped, with each mark's range wrapped in ``<mark>`` and labelled.

    Overlapping marks split the text into segments; a segment covered by several
    marks takes the first one's colour and the ``overlap`` class.
    """
    n = len(text)
    marks = [m for m in marks if 0 <= m.start < m.end and m.start < n]
    bounds = sorted({0, n, *(m.start for m in marks), *(min(m.end, n) for m in marks)})
    out = []
    for a, b in pairwise(bounds):
        seg = _e(text[a:b])
        covering = [m for m in marks if m.start <= a and b <= m.end]
        if not covering:
            out.append(seg)
            continue
        tags = "".join(
            f'<span class="tag {_e(m.category)} {m.side} {m.status}" data-status="{m.status}">'
            f"{_e(m.label)}</span>"
            for m in covering
            if m.start == a
        )
        m = covering[0]
        cls = " ".join(x for x in (m.side, m.status, m.extra, "overlap" * (len(covering) > 1)) if x)
        out.append(
            f'<mark class="{cls}" data-category="{_e(m.category)}" title="{_e(m.title)}">'
            f"{tags}{seg}</mark>"
        )
    return "".join(out)
