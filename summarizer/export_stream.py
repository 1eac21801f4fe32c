"""The batch exports written as documents finish: ``items.csv`` and ``items.xlsx`` row by row.

:func:`summarizer.exports.write_exports` builds both files from the whole batch
at the end, which puts openpyxl's cell-by-cell work (≈ 1 ms per document) after
the last model call. :class:`ExportStream` writes the same files incrementally:
:meth:`ExportStream.add` appends one document's rows (the caller adds documents
in input order), :meth:`ExportStream.close` finishes both files and moves them
into place atomically; :meth:`ExportStream.abort` (or leaving the ``with`` block
on an exception) deletes the temporary files and leaves any previous exports
as they were.

The rows, columns, formula neutralisation, cell styles, frozen header and
filter are those of :mod:`summarizer.exports` (``tests/test_exports.py``
documents them); the CSV is byte-identical to ``write_exports``' and the sheet
holds the same cells and styles.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from copy import copy
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .exports import COLUMNS, CSV_NAME, HEADERS, XLSX_NAME, item_row, neutralise
from .schema import DocumentSummary

__all__ = ["ExportStream"]

_XLSX_CELL_MAX = 32_767  #: Excel's limit on the characters in one cell


class ExportStream:
    """``out_dir/items.csv`` and ``out_dir/items.xlsx``, one document's rows at a time."""

    def __init__(self, out_dir: Path) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        self._closed = False
        self._csv_tmp = self._temp(CSV_NAME)
        self._xlsx_tmp = self._temp(XLSX_NAME)
        self._csv: IO[str] = open(  # noqa: SIM115 (closed in close/abort)
            self._csv_tmp, "w", encoding="utf-8-sig", newline=""
        )
        self._writer = csv.writer(self._csv, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        self._writer.writerow(HEADERS)
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
        self._styles = []
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

    def _temp(self, name: str) -> Path:
        fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        return Path(tmp)

    def add(self, summary: DocumentSummary) -> None:
        """Append the rows of ``summary``'s items (in document order)."""
        cell_of, illegal, ws = self._cell, self._illegal, self._ws
        for item in summary.items():
            row = tuple(neutralise(v) for v in item_row(summary, item))
            self._writer.writerow(["" if v is None else v for v in row])
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

    def close(self) -> list[Path]:
        """Finish both files and move them into place; the paths ``[items.csv, items.xlsx]``."""
        if self.rows:
            self._ws.auto_filter.ref = f"A1:{self._letter(len(COLUMNS))}{self.rows + 1}"
        try:
            self._csv.close()
            with open(self._xlsx_tmp, "wb") as f:
                self._wb.save(f)
            csv_path, xlsx_path = self.out / CSV_NAME, self.out / XLSX_NAME
            os.replace(self._csv_tmp, csv_path)
            os.replace(self._xlsx_tmp, xlsx_path)
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return [csv_path, xlsx_path]

    def abort(self) -> None:
        """Drop the temporary files; previous exports, if any, stay as they were."""
        self._closed = True
        self._csv.close()
        self._csv_tmp.unlink(missing_ok=True)
        self._xlsx_tmp.unlink(missing_ok=True)
        with contextlib.suppress(Exception):  # finish openpyxl's sheet stream and its temp file
            if not self._ws.closed:
                self._ws.close()
            self._ws._writer.cleanup()

    def __enter__(self) -> ExportStream:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._closed:
            if et is None:
                self.close()
            else:
                self.abort()
