"""``panel.html``: one self-contained page (inline CSS and SVG, no script, no CDN).

Per headline indicator and measure: one small chart per issuer with the
targets (dashed, hollow points) and the actuals (solid, filled points) over the
years, and a table under the charts; every value links to its evidence, listed
at the bottom of the page with the document, the offsets and the words around
the figure.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .collect import PanelRow
from .pairs import Pair

__all__ = ["Disagreement", "render_panel_html"]

_W, _H, _M = 300, 170, 36
_CSS = """
body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #ddd;padding:4px}figcaption{font-size:.85em;text-align:center}
table{border-collapse:collapse;font-size:.85em;margin:.8em 0}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
.met-yes{color:#1a7f37}.met-no{color:#c62828}
.legend span{margin-right:1.5em}.ev{font-size:.85em;margin:.2em 0}
mark{background:#ffe58a}.warn{color:#a15c00}
svg text{font-size:10px;fill:#555}
"""


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A document whose text and catalogue disagree."""

    doc_id: str
    text_issuer: str
    text_year: str
    catalogue_issuer: str
    catalogue_year: str
    what: str


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _fmt(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


class _Evidence:
    """Numbers every cited row once; renders the evidence list."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, int], int] = {}
        self.rows: list[PanelRow] = []

    def ref(self, row: PanelRow) -> str:
        key = (row.doc_id, row.start)
        if key not in self.ids:
            self.ids[key] = len(self.rows)
            self.rows.append(row)
        return f"ev-{self.ids[key]}"

    def link(self, row: PanelRow | None) -> str:
        if row is None:
            return ""
        return f'<a href="#{self.ref(row)}">{_e(row.text)}</a>'

    def render(self) -> str:
        out = ["<h2 id='evidence'>Evidence</h2>"]
        for i, r in enumerate(self.rows):
            out.append(
                f'<p class="ev" id="ev-{i}"><b>{_e(r.doc_id)}</b> [{r.start}:{r.end}] '
                f"{_e(r.indicator)} ({_e(r.kind)}, {_e(r.measure)}, {_e(r.period)}): "
                f"…{_e(r.before)}<mark>{_e(r.text)}</mark>{_e(r.after)}…</p>"
            )
        return "\n".join(out)


def _chart(
    title: str,
    targets: Mapping[int, PanelRow],
    actuals: Mapping[int, PanelRow],
    ev: _Evidence,
) -> str:
    years = sorted(set(targets) | set(actuals))
    values = [r.value for r in (*targets.values(), *actuals.values())]
    lo, hi = min(0.0, *values), max(0.0, *values)
    if hi == lo:
        hi = lo + 1
    y0, y1 = years[0] - 0.5, years[-1] + 0.5

    def x(year: int) -> float:
        return _M + (year - y0) / (y1 - y0) * (_W - _M - 8)

    def y(v: float) -> float:
        return _H - 22 - (v - lo) / (hi - lo) * (_H - 34)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{_e(title)}">',
        f'<line x1="{_M}" y1="{y(lo):.1f}" x2="{_W - 8}" y2="{y(lo):.1f}" stroke="#999"/>',
        f'<line x1="{_M}" y1="12" x2="{_M}" y2="{_H - 22}" stroke="#999"/>',
        f'<text x="2" y="16">{_e(_fmt(hi))}</text>',
        f'<text x="2" y="{y(lo):.0f}">{_e(_fmt(lo))}</text>',
    ]
    if lo < 0 < hi:
        parts.append(
            f'<line x1="{_M}" y1="{y(0):.1f}" x2="{_W - 8}" y2="{y(0):.1f}" stroke="#ccc"/>'
        )
    step = max(1, math.ceil(30 / max(1.0, (_W - _M - 8) / (y1 - y0))))  # labels 30px apart
    for year in range(years[0], years[-1] + 1, step):
        parts.append(f'<text x="{x(year) - 12:.1f}" y="{_H - 6}">{year}</text>')
    for series, colour, dash, fill in (
        (targets, "#e07b00", ' stroke-dasharray="5,3"', "#fff"),
        (actuals, "#1f5fbf", "", "#1f5fbf"),
    ):
        pts = sorted(series.items())
        if len(pts) > 1:
            line = " ".join(f"{x(yr):.1f},{y(r.value):.1f}" for yr, r in pts)
            parts.append(
                f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
            )
        for yr, r in pts:
            parts.append(
                f'<a href="#{ev.ref(r)}"><circle cx="{x(yr):.1f}" cy="{y(r.value):.1f}" r="4" '
                f'fill="{fill}" stroke="{colour}" stroke-width="2">'
                f"<title>{_e(r.kind)} {yr}: {_e(r.text)} ({_e(r.doc_id)})</title></circle></a>"
            )
    parts.append("</svg>")
    return f"<figure>{''.join(parts)}<figcaption>{_e(title)}</figcaption></figure>"


def render_panel_html(
    rows: Sequence[tuple[str, PanelRow]],
    pairs: Sequence[Pair],
    display: Mapping[str, str],
    disagreements: Sequence[Disagreement],
    *,
    documents: int,
    order: Sequence[str] = (),
    title: str = "Targets and outcomes",
) -> str:
    """The page, as a string.

    Args:
        rows: ``(issuer_key, row)`` of every headline (canonical) row.
        pairs: the target/actual pairs.
        display: issuer key -> the name shown.
        disagreements: documents whose text and catalogue disagree.
        documents: how many documents were read.
        order: canonical keys in the order their sections appear (others after).
        title: the page title.
    """
    ev = _Evidence()
    series: dict[tuple[str, str], dict[str, tuple[dict[int, PanelRow], dict[int, PanelRow]]]]
    series = defaultdict(lambda: defaultdict(lambda: ({}, {})))
    names: dict[str, str] = {}
    for key, r in rows:
        if r.canonical is None or not r.period.isdigit():
            continue
        names.setdefault(r.canonical, r.indicator)
        t, a = series[(r.canonical, r.measure)][key]
        year = int(r.period)
        if r.kind == "target":
            t.setdefault(year, r)
        else:
            a.setdefault(year, r)
    pairs_by: dict[tuple[str, str], list[Pair]] = defaultdict(list)
    for p in pairs:
        pairs_by[(p.canonical, p.measure)].append(p)

    issuers = {k for _, per in series.items() for k in per}
    out = [
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{documents} documents, {len(issuers)} issuers, {len(pairs)} target/actual pairs. "
        "Each chart: one issuer, one headline indicator; every point and every value "
        'links to its <a href="#evidence">evidence</a>.</p>',
        '<p class="legend"><span style="color:#e07b00">- - ○ target (set in the report '
        'of the year before)</span><span style="color:#1f5fbf">—● actual</span></p>',
    ]
    if disagreements:
        out.append("<h2 id='catalogue'>Where the text and the catalogue disagree</h2><table>")
        out.append(
            "<tr><th>document</th><th>text: issuer</th><th>text: year</th>"
            "<th>catalogue: issuer</th><th>catalogue: year</th><th>what</th></tr>"
        )
        for d in disagreements:
            cells = (d.doc_id, d.text_issuer, d.text_year, d.catalogue_issuer, d.catalogue_year)
            out.append(
                "<tr>"
                + "".join(f"<td>{_e(c)}</td>" for c in cells)
                + f'<td class="warn">{_e(d.what)}</td></tr>'
            )
        out.append("</table>")
    rank = {c: i for i, c in enumerate(order)}
    for (canonical, measure), per in sorted(
        series.items(), key=lambda kv: (rank.get(kv[0][0], len(rank)), kv[0])
    ):
        label = f"{names[canonical]} ({canonical}, {measure})"
        anchor = f"{canonical}-{measure}"
        out.append(f'<h2 id="{_e(anchor)}">{_e(label)}</h2><div class="charts">')
        for key in sorted(per, key=lambda k: display.get(k, k)):
            t, a = per[key]
            out.append(_chart(display.get(key, key), t, a, ev))
        out.append("</div>")
        out.append(
            "<table><tr><th>issuer</th><th>year</th><th>target</th><th>actual</th><th>met</th></tr>"
        )
        met_of = {(p.issuer, int(p.period)): p.met for p in pairs_by.get((canonical, measure), [])}
        for key in sorted(per, key=lambda k: display.get(k, k)):
            t, a = per[key]
            for year in sorted(set(t) | set(a)):
                met = met_of.get((key, year))
                cls = "" if met is None else (' class="met-yes"' if met else ' class="met-no"')
                word = "" if met is None else ("yes" if met else "no")
                out.append(
                    f"<tr><td>{_e(display.get(key, key))}</td><td>{year}</td>"
                    f"<td>{ev.link(t.get(year))}</td><td>{ev.link(a.get(year))}</td>"
                    f"<td{cls}>{word}</td></tr>"
                )
        out.append("</table>")
    out.append(ev.render())
    out.append("</body></html>\n")
    return "\n".join(out)
