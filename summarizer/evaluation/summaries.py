"""Summary quality: predicted summaries against the gold's reference summaries.

Pairs
    A matched pair (the span matching of :mod:`.metrics`: same category, enough
    overlap) whose gold item has a reference ``summary``. Unmatched items have no
    reference and are scored only by the reference-free measures below.

Reference measures (mean over pairs)
    Characters are compared after removing punctuation, symbols of the Unicode
    ``P`` categories and all whitespace (:func:`normalise`).

    * **char ROUGE-L F1**: longest common subsequence of the two character
      strings; precision over the summary, recall over the reference.
    * **char-bigram F1**: overlap of the multisets of adjacent character pairs.
    * **figure retention** (micro over all reference figures): the figures
      ``numbers.find_figures`` finds in the reference whose value the summary
      states (each summary figure counts once).

Reference-free measures (over every predicted item)
    * **marker rate**: share of summaries that open with a list marker
      (``一是``, ``（三）``, ``1、``, ``第一，``, ``——``...).
    * **rhetoric rate**: share stating a formula the guidelines forbid
      (``坚持以…为指导``, ``深入贯彻…精神``, ``在…领导下``...).
    * **mean length** in characters, as written.
    * **numbers outside evidence**: summaries stating a number that their
      item's evidence does not state — a figure whose value is not among the
      evidence's figures, or a run of Arabic digits absent from the evidence
      text. Must be 0.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from ..figures import numbers
from ..schema import CATEGORIES, Category, Item

__all__ = [
    "LOWER_IS_BETTER",
    "SummaryReport",
    "SummaryScores",
    "bigram_f1",
    "has_marker",
    "has_rhetoric",
    "normalise",
    "numbers_outside",
    "retained_figures",
    "rouge_l_f1",
    "score_summaries",
    "summary_metrics",
    "summary_rows",
    "summary_table_html",
]

#: Tracked summary metrics where a rise, not a drop, is a regression.
LOWER_IS_BETTER = frozenset({"summary marker rate", "summary rhetoric rate"})

_CN = "一二三四五六七八九十"
#: A list marker at the start of a summary.
_MARKER_RE = re.compile(
    rf"^\s*(?:[{_CN}]{{1,3}}是|[{_CN}]{{1,3}}[、，,．.]|[(（][{_CN}\d]{{1,3}}[)）]"
    rf"|第[{_CN}]{{1,3}}[，,、：:．.]|\d{{1,2}}[、．.](?!\d)|[①-⑳]|[—\-－]{{2,}}|#)"
)
#: Formulas the guidelines forbid in a summary (``坚持以…为指引`` and the like).
_RHETORIC_RE = re.compile(
    r"坚持以.{1,30}?为(?:指导|指引|统领|引领)|以.{1,30}?为(?:指导|指引|统领)"
    r"|(?:深入|全面|认真)(?:学习)?(?:贯彻|落实).{0,30}?精神|在.{1,30}?(?:坚强|正确)?领导下"
    r"|高举.{1,20}?旗帜|习近平新时代中国特色社会主义思想"
)
#: A run of digits that is not part of an identifier (``a0``, ``PM2.5``, ``G20``).
_DIGITS_RE = re.compile(r"(?<![A-Za-z0-9０-９.．])[0-9０-９]+(?:[.．][0-9０-９]+)?(?![A-Za-z])")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")


def normalise(text: str) -> str:
    """``text`` without punctuation and whitespace (what the character measures compare)."""
    return "".join(
        c for c in text if not c.isspace() and not unicodedata.category(c).startswith(("P", "Z"))
    )


def _lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence of ``a`` and ``b`` (O(len a * len b))."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def _f1(common: int, n_pred: int, n_ref: int) -> float:
    if not common or not n_pred or not n_ref:
        return 0.0
    p, r = common / n_pred, common / n_ref
    return 2 * p * r / (p + r)


def rouge_l_f1(summary: str, reference: str) -> float:
    """Character ROUGE-L F1 of ``summary`` against ``reference`` (normalised)."""
    a, b = normalise(summary), normalise(reference)
    return _f1(_lcs(a, b), len(a), len(b))


def bigram_f1(summary: str, reference: str) -> float:
    """F1 of the character-bigram multisets of ``summary`` and ``reference`` (normalised)."""
    a, b = normalise(summary), normalise(reference)
    ga = Counter(a[i : i + 2] for i in range(len(a) - 1))
    gb = Counter(b[i : i + 2] for i in range(len(b) - 1))
    return _f1(sum((ga & gb).values()), sum(ga.values()), sum(gb.values()))


def retained_figures(summary: str, reference: str) -> tuple[int, int]:
    """(reference figures whose value ``summary`` states, reference figures)."""
    ref = numbers.find_figures(reference)
    unused = [f.value for f in numbers.find_figures(summary)]
    kept = 0
    for f in ref:
        hit = next((v for v in unused if numbers.values_match(f.value, v)), None)
        if hit is not None:
            unused.remove(hit)
            kept += 1
    return kept, len(ref)


def has_marker(summary: str) -> bool:
    """Whether ``summary`` opens with a list marker."""
    return _MARKER_RE.match(summary) is not None


def has_rhetoric(summary: str) -> bool:
    """Whether ``summary`` states a formula the guidelines forbid."""
    return _RHETORIC_RE.search(summary) is not None


def numbers_outside(summary: str, evidence: Sequence[str]) -> list[str]:
    """Numbers ``summary`` states that ``evidence`` (the item's span texts) does not.

    A figure counts when no evidence figure has its value; a run of Arabic digits
    (a year, a count without a unit) when no evidence span contains it. Digits
    inside an identifier (``PM2.5``, ``G20``) are not numbers.
    """
    stated = [f.value for text in evidence for f in numbers.find_figures(text)]
    out = [
        f.text
        for f in numbers.find_figures(summary)
        if not any(numbers.values_match(f.value, v) for v in stated)
    ]
    plain = [t.translate(_FULLWIDTH) for t in evidence]
    for m in _DIGITS_RE.finditer(summary):
        digits = m.group().translate(_FULLWIDTH)
        if not any(digits in t for t in plain) and not any(m.group() in o for o in out):
            out.append(m.group())
    return out


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SummaryScores(_Model):
    """Summary measures of a set of items (sums kept so that reports add up).

    Rates and means are ``None`` when nothing was there to measure.
    """

    pairs: int = 0  #: matched items whose gold has a reference summary
    items: int = 0  #: predicted items (reference-free measures)
    rouge_l_sum: float = 0.0
    bigram_sum: float = 0.0
    ref_figures: int = 0
    kept_figures: int = 0
    marked: int = 0
    rhetoric: int = 0
    length_sum: int = 0
    outside: int = 0  #: summaries stating a number not in their evidence
    rouge_l: float | None = None
    bigram_f1: float | None = None
    figure_retention: float | None = None
    marker_rate: float | None = None
    rhetoric_rate: float | None = None
    mean_length: float | None = None

    def finish(self) -> SummaryScores:
        """A copy with the rates and means computed from the sums."""
        p, n = self.pairs, self.items
        return self.model_copy(
            update={
                "rouge_l": self.rouge_l_sum / p if p else None,
                "bigram_f1": self.bigram_sum / p if p else None,
                "figure_retention": self.kept_figures / self.ref_figures
                if self.ref_figures
                else None,
                "marker_rate": self.marked / n if n else None,
                "rhetoric_rate": self.rhetoric / n if n else None,
                "mean_length": self.length_sum / n if n else None,
            }
        )

    def __add__(self, other: SummaryScores) -> SummaryScores:
        return SummaryScores(
            pairs=self.pairs + other.pairs,
            items=self.items + other.items,
            rouge_l_sum=self.rouge_l_sum + other.rouge_l_sum,
            bigram_sum=self.bigram_sum + other.bigram_sum,
            ref_figures=self.ref_figures + other.ref_figures,
            kept_figures=self.kept_figures + other.kept_figures,
            marked=self.marked + other.marked,
            rhetoric=self.rhetoric + other.rhetoric,
            length_sum=self.length_sum + other.length_sum,
            outside=self.outside + other.outside,
        ).finish()


class SummaryReport(_Model):
    """Summary measures overall and per category (categories with nothing are left out)."""

    overall: SummaryScores = Field(default_factory=SummaryScores)
    categories: dict[Category, SummaryScores] = Field(default_factory=dict)
    outside_examples: list[str] = Field(
        default_factory=list, description="Summaries stating a number not in evidence."
    )

    def __add__(self, other: SummaryReport) -> SummaryReport:
        cats = {
            c: self.categories.get(c, SummaryScores()) + other.categories.get(c, SummaryScores())
            for c in CATEGORIES
            if c in self.categories or c in other.categories
        }
        return SummaryReport(
            overall=self.overall + other.overall,
            categories=cats,
            outside_examples=[*self.outside_examples, *other.outside_examples],
        )

    @classmethod
    def total(cls, reports: Iterable[SummaryReport | None]) -> SummaryReport | None:
        """The sum of per-document reports (None when none has any)."""
        out: SummaryReport | None = None
        for r in reports:
            if r is not None:
                out = r if out is None else out + r
        return out


def score_summaries(
    text: str,
    pred: Sequence[Item],
    references: Sequence[tuple[Category, str | None]],
    pairs: Iterable[tuple[int, int]],
) -> SummaryReport:
    """Score one document's summaries.

    Args:
        text: the document text the evidence offsets refer to.
        pred: the predicted items.
        references: each gold item's category and reference summary (or None).
        pairs: matched ``(gold index, predicted index)`` pairs.

    Returns:
        The document's summary measures, overall and per category.
    """
    acc = {c: SummaryScores() for c in CATEGORIES}
    examples: list[str] = []
    for item in pred:
        evidence = [text[s.start : min(s.end, len(text))] for s in item.evidence]
        bad = numbers_outside(item.summary, evidence)
        if bad:
            examples.append(f"{item.id}: {', '.join(bad)} in {item.summary!r}")
        acc[item.category] += SummaryScores(
            items=1,
            marked=has_marker(item.summary),
            rhetoric=has_rhetoric(item.summary),
            length_sum=len(item.summary.strip()),
            outside=bool(bad),
        )
    for gi, pi in pairs:
        category, reference = references[gi]
        if not reference:
            continue
        summary = pred[pi].summary
        kept, n_ref = retained_figures(summary, reference)
        acc[category] += SummaryScores(
            pairs=1,
            rouge_l_sum=rouge_l_f1(summary, reference),
            bigram_sum=bigram_f1(summary, reference),
            ref_figures=n_ref,
            kept_figures=kept,
        )
    cats = {c: s.finish() for c, s in acc.items() if s.items or s.pairs}
    overall = SummaryScores()
    for s in cats.values():
        overall += s
    return SummaryReport(overall=overall.finish(), categories=cats, outside_examples=examples)


def summary_metrics(report: SummaryReport | None) -> dict[str, float | None]:
    """The summary totals that a baseline comparison tracks, by name."""
    o = report.overall if report is not None else SummaryScores()
    return {
        "summary ROUGE-L": o.rouge_l,
        "summary bigram-F1": o.bigram_f1,
        "summary figure retention": o.figure_retention,
        "summary marker rate": o.marker_rate,
        "summary rhetoric rate": o.rhetoric_rate,
    }


SUMMARY_HEAD = [
    *("summaries", "pairs", "ROUGE-L", "bigram-F1", "fig kept", "marker"),
    *("rhetoric", "mean len", "outside"),
]


def summary_rows(report: SummaryReport | None) -> list[list[str]]:
    """Table rows (see :data:`SUMMARY_HEAD`): one per category, then all."""
    if report is None:
        return []

    def f(x: float | None, pct: bool = False) -> str:
        if x is None:
            return "-"
        return f"{100 * x:.0f}%" if pct else f"{x:.3f}"

    def row(name: str, s: SummaryScores) -> list[str]:
        kept = f"{f(s.figure_retention, True)} ({s.kept_figures}/{s.ref_figures})"
        return [
            name,
            str(s.pairs),
            f(s.rouge_l),
            f(s.bigram_f1),
            kept,
            f(s.marker_rate, True),
            f(s.rhetoric_rate, True),
            "-" if s.mean_length is None else f"{s.mean_length:.1f}",
            str(s.outside),
        ]

    return [*(row(c, s) for c, s in report.categories.items()), row("all", report.overall)]


def summary_table_html(report: SummaryReport | None) -> str:
    """The summary measures as an HTML table (empty when there are none)."""
    if report is None:
        return ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in SUMMARY_HEAD)
    rows = "".join(
        f'<tr class="{"summ-all" if r[0] == "all" else "summ-cat"}">'
        + "".join(f"<td>{html.escape(c)}</td>" for c in r)
        + "</tr>"
        for r in summary_rows(report)
    )
    return (
        '<h2 id="summaries">Summaries against the reference</h2>'
        '<table class="summary" id="summary-scores">'
        f"<tr>{head}</tr>{rows}</table>"
    )
