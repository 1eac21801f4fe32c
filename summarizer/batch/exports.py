"""Spreadsheet exports: one row per item across a whole batch.

:func:`write_exports` writes ``items.csv`` (UTF-8 with a BOM, so Excel reads
Chinese correctly) and ``items.xlsx`` (bold, frozen header; wrapped summary and
evidence) into an output folder. Both files hold the same rows, in the order
the documents are given and, within a document, in document order
(:meth:`DocumentSummary.items`).

Cells are data, never formulas: a text cell that starts with ``= + - @`` (or a
tab / carriage return) is prefixed with a single quote in both files, so a
summary such as ``=HYPERLINK(...)`` cannot run in a spreadsheet. Both files are
written atomically (a temporary file in the same folder, then ``os.replace``).

:class:`CsvRows` and :class:`XlsxRows` write the rows into the two files
(:class:`XlsxRows` formats the sheet's rows itself and takes the rest of the
workbook from openpyxl, :class:`OpenpyxlRows`); they are the only CSV/XLSX
writing code, shared with
:class:`summarizer.batch.export_stream.ExportStream`, which appends rows as documents
finish.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..schema import DocumentSummary, Item

CSV_NAME = "items.csv"
XLSX_NAME = "items.xlsx"
#: Rows of items one ``items.xlsx`` holds at most: Excel's 1,048,576 rows, less the header.
XLSX_MAX_ROWS = 1_048_575


def xlsx_part_name(part: int) -> str:
    """The file name of the ``part``-th spreadsheet (1-based): ``items.xlsx``, ``items-2.xlsx``…"""
    return XLSX_NAME if part == 1 else f"items-{part}.xlsx"


#: Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limit on the characters in one cell.
_XLSX_CELL_MAX = 32_767

Cell = str | int | None


@dataclass(frozen=True, slots=True)
class Column:
    """One export column: its header, its XLSX width and whether its text wraps."""

    header: str
    width: float
    wrap: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("doc_id", 24),
    Column("title", 30, wrap=True),
    Column("issuer", 18),
    Column("year", 6),
    Column("category", 12),
    Column("item_id", 10),
    Column("summary", 60, wrap=True),
    Column("topic", 14),
    Column("figures", 24, wrap=True),
    Column("figure_values", 24, wrap=True),
    Column("evidence_start", 9),
    Column("evidence_end", 9),
    Column("evidence_spans", 16),
    Column("evidence_text", 80, wrap=True),
    Column("section_path", 40, wrap=True),
    Column("status", 9),
    Column("validation", 20, wrap=True),
)
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)


def format_value(value: float) -> str:
    """A figure's normalised value as text: ``11.0 -> '11'``, ``0.5 -> '0.5'``."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def item_row(summary: DocumentSummary, item: Item) -> tuple[Cell, ...]:
    """The export row of one item (raw values, not yet neutralised), in :data:`HEADERS` order."""
    spans = item.evidence
    return (
        summary.doc_id,
        summary.title,
        summary.issuer,
        summary.year,
        item.category,
        item.id,
        item.summary,
        item.topic,
        "; ".join(f.text for f in item.figures),
        "; ".join(format_value(f.value) for f in item.figures),
        spans[0].start,
        spans[-1].end,
        "; ".join(f"{s.start}-{s.end}" for s in spans) if len(spans) > 1 else None,
        " … ".join(s.text for s in spans),
        " > ".join(item.section_path),
        item.status,
        "; ".join(n.code for n in item.validation),
    )


def rows(summaries: Sequence[DocumentSummary]) -> list[tuple[Cell, ...]]:
    """Every item of every summary: documents in the given order, items in document order."""
    return [item_row(s, it) for s in summaries for it in s.items()]


def neutralise(value: Cell) -> Cell:
    """Prefix a text cell that a spreadsheet would read as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_exports(summaries: Sequence[DocumentSummary], out_dir: Path) -> list[Path]:
    """Write ``out_dir/items.csv`` and ``out_dir/items.xlsx``, one row per item.

    Args:
        summaries: the batch's summaries, in the order their rows should appear.
        out_dir: an existing folder (created if missing).

    Returns:
        The paths written: ``[items.csv, items.xlsx]``. With no items, both hold
        only the header row.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = [tuple(neutralise(v) for v in row) for row in rows(summaries)]
    csv_path, xlsx_path = out / CSV_NAME, out / XLSX_NAME
    _atomic(csv_path, lambda f: _write_csv(f, table), text=True)
    _atomic(xlsx_path, lambda f: _write_xlsx(f, table), text=False)
    return [csv_path, xlsx_path]


def _write_csv(f: IO[str], table: list[tuple[Cell, ...]]) -> None:
    writer = CsvRows(f)
    for row in table:
        writer.append(row)


def _write_xlsx(f: IO[bytes], table: list[tuple[Cell, ...]]) -> None:
    sheet = XlsxRows()
    for row in table:
        sheet.append(row)
    sheet.save(f)


class CsvRows:
    """``items.csv`` written row by row: the header first, then one line per item."""

    def __init__(self, f: IO[str]) -> None:
        """Write the header row.

        Args:
            f: a text file opened with ``encoding="utf-8-sig", newline=""``.
        """
        self._writer = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        self._writer.writerow(HEADERS)

    def append(self, row: tuple[Cell, ...]) -> None:
        """Write one row (already neutralised), ``None`` as an empty cell."""
        self._writer.writerow(["" if v is None else v for v in row])


class XlsxRows:
    """``items.xlsx`` row by row: the workbook :class:`OpenpyxlRows` writes, four times faster.

    Bold, frozen header; column widths; wrapped text in the long columns; a filter
    over the rows when there are any. Text cells stay text whatever they start
    with (inline strings), without the characters XML cannot hold and cut at
    Excel's cell limit.

    Going through openpyxl's cell objects cost ~0.35 ms per item row — more than
    the rules backend's work on the document. Here each row's XML is formatted
    directly, as openpyxl would write it (the same XML, in UTF-8 rather than
    character references; ``tests/test_exports.py`` compares them canonicalised),
    into a temporary file; :meth:`save`
    asks openpyxl for the workbook with the header and the first row only (its
    styles, workbook, theme and the sheet's frame) and splices the rows into the
    sheet, streaming (nothing of the sheet is held in memory).
    """

    _SHEET = "xl/worksheets/sheet1.xml"

    def __init__(self) -> None:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.utils import get_column_letter

        self.rows = 0
        self._illegal = ILLEGAL_CHARACTERS_RE
        self._letters = [get_column_letter(k) for k in range(1, len(COLUMNS) + 1)]
        self._first: tuple[Cell, ...] | None = None
        self._styles: list[str] = []
        self._tmp: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in save/discard)

    def append(self, row: tuple[Cell, ...]) -> None:
        """Add one row (already neutralised) to the sheet."""
        illegal = self._illegal
        values = tuple(
            illegal.sub("", v)[:_XLSX_CELL_MAX] if isinstance(v, str) else v for v in row
        )
        if len(values) != len(self._letters):
            raise ValueError(f"a row has {len(values)} cells, the sheet {len(self._letters)}")
        if self._first is None:  # openpyxl's style id of each column, from its own sheet
            self._first = values
            sheet = _zip_part(self._skeleton(1), self._SHEET)
            row2 = sheet[sheet.index(b'<row r="2"') : sheet.index(b"</sheetData>")]
            self._styles = re.findall(r'<c r="[A-Z]+2" s="(\d+)"', row2.decode("ascii"))
        self.rows += 1
        self._tmp.write(_row_xml(self.rows + 1, values, self._letters, self._styles))

    def _skeleton(self, filter_rows: int) -> bytes:
        """openpyxl's workbook of the header and the first row, filtered over ``filter_rows``."""
        ref = OpenpyxlRows()
        if self._first is not None:
            ref.append(self._first)
        buf = io.BytesIO()
        ref.save(buf, filter_rows=filter_rows)
        return buf.getvalue()

    def save(self, f: IO[bytes]) -> None:
        """Finish the sheet (its filter covers the rows) and write the workbook to ``f``."""
        try:
            skeleton = self._skeleton(self.rows)
            if not self.rows:
                f.write(skeleton)
                return
            with (
                zipfile.ZipFile(io.BytesIO(skeleton)) as src,
                zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as dst,
            ):
                for info in src.infolist():
                    part = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    part.compress_type = zipfile.ZIP_DEFLATED
                    data = src.read(info)
                    if info.filename != self._SHEET:
                        dst.writestr(part, data)
                        continue
                    start, end = data.index(b'<row r="2"'), data.index(b"</sheetData>")
                    with dst.open(part, "w", force_zip64=True) as out:
                        out.write(data[:start])
                        self._tmp.seek(0)
                        shutil.copyfileobj(self._tmp, out, 1 << 20)
                        out.write(data[end:])
        finally:
            self._tmp.close()

    def discard(self) -> None:
        """Give up the sheet: delete its temporary file."""
        self._tmp.close()


def _zip_part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


def _xml_text(value: str) -> str:
    """``value`` escaped as lxml escapes element text."""
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _row_xml(r: int, values: tuple[Cell, ...], letters: list[str], styles: list[str]) -> bytes:
    """Row ``r`` of the sheet as openpyxl writes it (inline strings), but in UTF-8.

    openpyxl (lxml) writes every non-ASCII character as a character reference
    (``&#24037;``, 8 bytes for a Chinese character); the sheet has no XML
    declaration, so it is UTF-8 by definition and the characters are written as
    they are: the same XML, a third of the bytes to write and compress.
    """
    parts = [f'<row r="{r}">']
    for letter, style, v in zip(letters, styles, values, strict=True):
        if isinstance(v, str):
            if v == "":
                parts.append(f'<c r="{letter}{r}" s="{style}" t="inlineStr"></c>')
            else:
                space = ' xml:space="preserve"' if v != v.strip() else ""
                parts.append(
                    f'<c r="{letter}{r}" s="{style}" t="inlineStr"><is><t{space}>'
                    f"{_xml_text(v)}</t></is></c>"
                )
        elif v is None:
            parts.append(f'<c r="{letter}{r}" s="{style}" t="n"></c>')
        else:
            parts.append(f'<c r="{letter}{r}" s="{style}" t="n"><v>{v:.16g}</v></c>')
    parts.append("</row>")
    return "".join(parts).encode("utf-8", "replace")  # "replace": a lone surrogate


class OpenpyxlRows:
    """``items.xlsx`` built row by row in openpyxl's write-only mode, saved at the end.

    The reference :class:`XlsxRows` is checked against (``tests/test_exports.py``) and
    the source of every part of its workbook but the rows.

    Bold, frozen header; column widths; wrapped text in the long columns; a filter
    over the rows when there are any. Text cells stay text whatever they start
    with, without the characters XML cannot hold and cut at Excel's cell limit.
    """

    def __init__(self) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        self.rows = 0
        self._cell, self._illegal = WriteOnlyCell, ILLEGAL_CHARACTERS_RE
        self._letter = get_column_letter
        self._wb: Any = Workbook(write_only=True)
        self._ws: Any = self._wb.create_sheet("items")
        for k, col in enumerate(COLUMNS, 1):
            self._ws.column_dimensions[get_column_letter(k)].width = col.width
        self._ws.freeze_panes = "A2"
        wrap = Alignment(wrap_text=True, vertical="top")
        top = Alignment(vertical="top")
        # one styled prototype cell per column: setting ``alignment`` on each cell hashes
        # the Alignment into the workbook's style table (a third of the sheet's cost);
        # copying the prototype's style record gives the same style ids
        self._styles: list[Any] = []
        for col in COLUMNS:
            proto = WriteOnlyCell(self._ws)
            proto.alignment = wrap if col.wrap else top
            self._styles.append(proto._style)
        bold = Font(bold=True)
        header = []
        for name in HEADERS:
            cell = WriteOnlyCell(self._ws, value=name)
            cell.font = bold
            header.append(cell)
        self._ws.append(header)

    def append(self, row: tuple[Cell, ...]) -> None:
        """Add one row (already neutralised) to the sheet."""
        cell_of, illegal, ws = self._cell, self._illegal, self._ws
        cells = []
        for style, v in zip(self._styles, row, strict=True):
            value = illegal.sub("", v)[:_XLSX_CELL_MAX] if isinstance(v, str) else v
            cell = cell_of(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text, whatever it starts with
            cell._style = copy(style)
            cells.append(cell)
        ws.append(cells)
        self.rows += 1

    def save(self, f: IO[bytes], *, filter_rows: int | None = None) -> None:
        """Finish the sheet (its filter covers the rows) and write the workbook to ``f``.

        Args:
            f: a binary file.
            filter_rows: the rows the filter covers (default: the rows appended).
        """
        rows = self.rows if filter_rows is None else filter_rows
        if rows:
            self._ws.auto_filter.ref = f"A1:{self._letter(len(COLUMNS))}{rows + 1}"
        self._wb.save(f)

    def discard(self) -> None:
        """Give up the sheet: close openpyxl's row stream and delete its temporary file."""
        with contextlib.suppress(Exception):
            if not self._ws.closed:
                self._ws.close()
            self._ws._writer.cleanup()


def _atomic(path: Path, write: Callable[[IO[Any]], None], *, text: bool) -> None:
    """Run ``write`` on a temporary file beside ``path``, then move it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if text:
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
                write(f)
        else:
            with os.fdopen(fd, "wb") as fb:
                write(fb)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
