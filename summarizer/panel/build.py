"""``build_panel``: read a finished batch, write the panel files."""

from __future__ import annotations

import csv
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..figures.indicators import load_vocabulary
from .collect import DocRecord, PanelRow, read_outputs
from .html import Disagreement, render_panel_html
from .issuers import Catalogue, issuer_key, load_catalogue, unit_name
from .pairs import Pair, pair_targets

__all__ = ["PanelResult", "build_panel"]

log = logging.getLogger(__name__)

PANEL_CSV = "panel.csv"
PAIRS_CSV = "targets_vs_actuals.csv"
DOCUMENTS_CSV = "documents.csv"
PANEL_HTML = "panel.html"
CATALOGUE_NAME = "index.csv"

_PANEL_COLUMNS = [
    *("doc_id", "issuer", "report_year", "indicator", "canonical", "measure", "kind"),
    *("period", "value", "unit", "qualifier", "text", "start", "end"),
]
_PAIR_COLUMNS = [
    *("issuer", "canonical", "measure", "period", "target_text", "target_value"),
    *("target_qualifier", "target_doc", "actual_text", "actual_value", "actual_doc", "met"),
]
_DOC_COLUMNS = [
    *("doc_id", "source_path", "issuer_text", "issuer", "issuer_key", "report_year"),
    *("tagged_figures", "catalogue_issuer", "catalogue_year", "agrees", "note"),
]


@dataclass
class PanelResult:
    """What :func:`build_panel` found and wrote."""

    out_dir: Path
    documents: int = 0
    tagged: int = 0
    pairs: int = 0
    issuers_with_pairs: int = 0
    years_with_pairs: list[int] = field(default_factory=list)
    met: int = 0
    not_met: int = 0
    disagreements: int = 0
    catalogue: Path | None = None
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def _find_catalogue(records: list[DocRecord]) -> Path | None:
    """An ``index.csv`` beside the source documents or one folder up, if there is one."""
    for r in records:
        if r.source_path:
            src = Path(r.source_path)
            for folder in (src.parent, src.parent.parent):
                if (folder / CATALOGUE_NAME).is_file():
                    return folder / CATALOGUE_NAME
            return None
    return None


def _check(r: DocRecord, key: str | None, catalogue: Catalogue | None) -> tuple[str, str, str, str]:
    """``(catalogue_issuer, catalogue_year, agrees, note)`` of one document."""
    notes = []
    if r.issuer is None:
        notes.append("the text names no issuer: left out of the pairs")
    if r.report_year is None:
        notes.append("the text states no year: left out of the pairs")
    entry = catalogue.get(Path(r.source_path).name) if catalogue and r.source_path else None
    if entry is None:
        return "", "", "", "; ".join(notes)
    agrees = True
    if key is not None and issuer_key(entry.issuer) != key:
        agrees = False
        notes.append(f"the text says {unit_name(r.issuer or '')}, the catalogue {entry.issuer}")
    if r.report_year is not None and entry.year is not None and entry.year != r.report_year + 1:
        agrees = False
        notes.append(
            f"the text reviews {r.report_year} (delivered {r.report_year + 1}), "
            f"the catalogue files it under {entry.year}"
        )
    year = "" if entry.year is None else str(entry.year)
    return entry.issuer, year, "yes" if agrees else "no", "; ".join(notes)


def _num(v: float) -> str:
    return f"{v:.10g}"


def _panel_cells(row: PanelRow) -> list[object]:
    """``panel.csv`` cells of a row, the issuer column left out (it is filled in pass 2)."""
    year = "" if row.report_year is None else row.report_year
    return [
        *(row.doc_id, year, row.indicator, row.canonical or "", row.measure, row.kind),
        *(row.period, _num(row.value), row.unit, row.qualifier, row.text, row.start, row.end),
    ]


class _Firsts:
    """The first headline row per issuer, indicator, measure, kind and year (memory: keys)."""

    def __init__(self) -> None:
        self.page: dict[tuple[str, str, str, str, str], tuple[str, PanelRow]] = {}
        self.pairs: dict[tuple[str, str, str, str, str], tuple[str, PanelRow]] = {}

    def add(self, key: str, row: PanelRow) -> None:
        if row.canonical is None or not row.period.isdigit():
            return
        k = (key, row.canonical, row.measure, row.kind, row.period)
        self.page.setdefault(k, (key, row))
        year, report = int(row.period), row.report_year
        if report is not None and year == report + (1 if row.kind == "target" else 0):
            self.pairs.setdefault(k, (key, row))

    def for_page(self) -> list[tuple[str, PanelRow]]:
        return list(self.page.values())

    def for_pairs(self) -> list[tuple[str, PanelRow]]:
        return list(self.pairs.values())


def build_panel(
    out_dir: str | Path,
    dest: str | Path | None = None,
    *,
    catalogue: str | Path | None = None,
) -> PanelResult:
    """Build the panel of a finished batch.

    Args:
        out_dir: the output folder of ``summarizer run`` (its ``<doc>.json`` files).
        dest: where the panel files go (default: ``out_dir``).
        catalogue: a CSV (``file, county, year``) to check issuers and years
            against; default: ``index.csv`` beside the source documents or one
            folder up, when there is one.

    Returns:
        Counts and the files written.

    Raises:
        InputError: ``out_dir`` is not a folder, or the catalogue cannot be read.
    """
    t0 = time.perf_counter()
    src, dst = Path(out_dir), Path(dest) if dest is not None else Path(out_dir)
    if not src.is_dir():
        raise InputError(f"{src}: not a folder; give the output folder of `summarizer run`")
    dst.mkdir(parents=True, exist_ok=True)
    records: list[DocRecord] = []
    keys: dict[str, str | None] = {}
    kept = _Firsts()
    tagged = 0
    # pass 1: one document at a time; every row goes to a scratch CSV (with its issuer
    # key), only the first headline row per (issuer, indicator, measure, kind, year) stays
    scratch = dst / (PANEL_CSV + ".partial")
    with scratch.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        for record, doc_rows in read_outputs(src):
            records.append(record)
            key = issuer_key(record.issuer) if record.issuer else None
            keys[record.doc_id] = key
            tagged += len(doc_rows)
            for row in doc_rows:
                w.writerow([key or "", *_panel_cells(row)])
                if key is not None:
                    kept.add(key, row)
    result = PanelResult(out_dir=dst, documents=len(records), tagged=tagged)

    latest: dict[str, tuple[int, str]] = {}
    for r in records:
        key = keys[r.doc_id]
        if key is not None and r.issuer:
            year = r.report_year or 0
            if key not in latest or year >= latest[key][0]:
                latest[key] = (year, unit_name(r.issuer))
    display = {k: name for k, (_, name) in latest.items()}

    cat_path = Path(catalogue) if catalogue is not None else _find_catalogue(records)
    cat = load_catalogue(cat_path) if cat_path is not None else None
    result.catalogue = cat_path

    disagreements: list[Disagreement] = []
    with (dst / DOCUMENTS_CSV).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_DOC_COLUMNS)
        for r in records:
            key = keys[r.doc_id]
            c_issuer, c_year, agrees, note = _check(r, key, cat)
            shown = display.get(key, "") if key else ""
            said = "" if r.report_year is None else str(r.report_year)
            w.writerow(
                [
                    r.doc_id,
                    r.source_path or "",
                    r.issuer or "",
                    shown,
                    key or "",
                    said,
                    r.tagged,
                    c_issuer,
                    c_year,
                    agrees,
                    note,
                ]
            )
            if agrees == "no" or (note and agrees != "yes"):
                disagreements.append(
                    Disagreement(r.doc_id, shown or "?", said or "?", c_issuer, c_year, note)
                )
    result.disagreements = sum(1 for d in disagreements if d.catalogue_issuer)

    # pass 2: the scratch rows with the issuer's one name, however each header wrote it
    with (
        scratch.open(encoding="utf-8", newline="") as src_fh,
        (dst / PANEL_CSV).open("w", encoding="utf-8", newline="") as fh,
    ):
        w = csv.writer(fh)
        w.writerow(_PANEL_COLUMNS)
        for key, doc_id, *rest in csv.reader(src_fh):
            w.writerow([doc_id, display.get(key, "") if key else "", *rest])
    scratch.unlink()

    pairs: list[Pair] = pair_targets(kept.for_pairs())
    with (dst / PAIRS_CSV).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_PAIR_COLUMNS)
        for p in pairs:
            met = "" if p.met is None else ("yes" if p.met else "no")
            w.writerow(
                [
                    display.get(p.issuer, p.issuer),
                    p.canonical,
                    p.measure,
                    p.period,
                    p.target.text,
                    _num(p.target.value),
                    p.target.qualifier,
                    p.target.doc_id,
                    p.actual.text,
                    _num(p.actual.value),
                    p.actual.doc_id,
                    met,
                ]
            )
    result.pairs = len(pairs)
    result.issuers_with_pairs = len({p.issuer for p in pairs})
    result.years_with_pairs = sorted({int(p.period) for p in pairs})
    result.met = sum(1 for p in pairs if p.met is True)
    result.not_met = sum(1 for p in pairs if p.met is False)

    page = render_panel_html(
        kept.for_page(),
        pairs,
        display,
        disagreements,
        documents=len(records),
        order=list(dict.fromkeys(load_vocabulary().canonical.values())),
    )
    (dst / PANEL_HTML).write_text(page, encoding="utf-8")
    result.files = [dst / n for n in (PANEL_CSV, PAIRS_CSV, DOCUMENTS_CSV, PANEL_HTML)]
    result.seconds = time.perf_counter() - t0
    log.debug("panel: %d documents, %d tagged figures, %d pairs", len(records), tagged, len(pairs))
    return result
