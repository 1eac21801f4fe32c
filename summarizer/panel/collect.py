"""Stream a batch's outputs from disk, keeping only what the panel needs.

A batch may hold 100,000 documents: each ``<doc>.json`` is read, its tagged
figures are turned into :class:`PanelRow` (a few short strings each) and the
document is dropped before the next one is read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..errors import InputError
from ..schema import DocumentSummary, FigureOut, Item

__all__ = ["DocRecord", "PanelRow", "read_outputs"]

log = logging.getLogger(__name__)

_CONTEXT = 40  #: characters of evidence kept on each side of a figure
_DECLINE_RE = re.compile(r"(?:下降|减少|降低|回落|缩小|下滑|降幅|减)[了为到至]?\s*$")


@dataclass(frozen=True, slots=True)
class DocRecord:
    """Who issued a document and which year it is about, as its own text says."""

    doc_id: str
    source_path: str | None
    issuer: str | None
    report_year: int | None
    tagged: int  #: tagged figures kept from it


@dataclass(frozen=True, slots=True)
class PanelRow:
    """One tagged figure with its evidence context."""

    doc_id: str
    issuer: str | None
    report_year: int | None
    indicator: str
    canonical: str | None
    measure: str
    kind: str
    period: str
    value: float  #: a change stated as a decline (下降3%) is negative
    unit: str
    qualifier: str
    text: str
    start: int
    end: int
    before: str  #: evidence text right before the figure
    after: str  #: evidence text right after it


def _context(item: Item, f: FigureOut) -> tuple[str, str]:
    for span in item.evidence:
        if span.start <= f.start and f.end <= span.end:
            a, b = f.start - span.start, f.end - span.start
            return span.text[max(0, a - _CONTEXT) : a], span.text[b : b + _CONTEXT]
    return "", ""


def rows_of(summary: DocumentSummary) -> list[PanelRow]:
    """The tagged figures of one summary, in document order, each once."""
    rows: list[PanelRow] = []
    seen: set[tuple[int, int]] = set()
    for item in summary.items():
        for f in item.figures:
            ind = f.indicator
            if ind is None or (f.start, f.end) in seen:
                continue
            seen.add((f.start, f.end))
            before, after = _context(item, f)
            value = f.value
            if ind.measure == "change" and _DECLINE_RE.search(before):
                value = -value
            rows.append(
                PanelRow(
                    doc_id=summary.doc_id,
                    issuer=summary.issuer,
                    report_year=summary.year,
                    indicator=ind.name,
                    canonical=ind.canonical,
                    measure=ind.measure,
                    kind=ind.kind,
                    period=ind.period,
                    value=value,
                    unit=f.unit,
                    qualifier=f.qualifier,
                    text=f.text,
                    start=f.start,
                    end=f.end,
                    before=before,
                    after=after,
                )
            )
    return rows


def read_outputs(out_dir: Path) -> Iterator[tuple[DocRecord, list[PanelRow]]]:
    """Each document summary in ``out_dir`` (``*.json``, sorted) with its panel rows.

    Files that are not document summaries (an eval report, a stray JSON) are
    skipped with a log line.

    Raises:
        InputError: ``out_dir`` is not a folder.
    """
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: not a folder; give the output folder of `summarizer run`")
    for path in sorted(out_dir.glob("*.json")):
        try:
            summary = DocumentSummary.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as e:
            log.info(
                "panel: %s is not a document summary, skipped (%s)", path.name, type(e).__name__
            )
            continue
        rows = rows_of(summary)
        record = DocRecord(
            doc_id=summary.doc_id,
            source_path=summary.source_path,
            issuer=summary.issuer,
            report_year=summary.year,
            tagged=len(rows),
        )
        yield record, rows
