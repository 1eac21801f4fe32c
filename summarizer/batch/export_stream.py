"""The batch exports written as documents finish: ``items.csv``, ``items.xlsx``, ``items.parquet``.

:func:`summarizer.batch.exports.write_exports` builds the CSV and the sheet from
the whole batch at the end, which puts openpyxl's cell-by-cell work (≈ 1 ms per
document) after the last model call. :class:`ExportStream` writes the files
incrementally: :meth:`ExportStream.add` appends one document's rows (the caller
adds documents in input order), :meth:`ExportStream.close` finishes them and
moves them into place atomically; :meth:`ExportStream.abort` (or leaving the
``with`` block on an exception) deletes the temporary files and leaves any
previous exports as they were. Nothing is held per document: the CSV is a text
stream, openpyxl's write-only sheet streams its rows to a temporary file (text
cells are inline strings, there is no shared-string table) and the parquet file
gets a row group every few thousand rows
(:class:`~summarizer.batch.export_parquet.ParquetRows`).

**Large batches.** Excel opens at most 1,048,576 rows a sheet. When the next
document's rows would take ``items.xlsx`` past :data:`~summarizer.batch.exports.XLSX_MAX_ROWS`
item rows, the sheet is closed and the rows go on in ``items-2.xlsx``, then
``items-3.xlsx``… (each with the header; a document's rows are never split
between files; :attr:`ExportStream.xlsx_files` names them). ``items.csv`` and
``items.parquet`` always hold every row in one file. Numbered files a previous,
larger run left behind are deleted when the new ones are moved into place.

The rows, columns, formula neutralisation, cell styles, frozen header and
filter are those of :mod:`summarizer.batch.exports` (``tests/test_exports.py``
documents them); the CSV is byte-identical to ``write_exports``' and, below the
row limit, the sheet holds the same cells and styles.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from ..schema import DocumentSummary
from .export_parquet import PARQUET_NAME, ParquetRows
from .exports import (
    CSV_NAME,
    XLSX_MAX_ROWS,
    CsvRows,
    XlsxRows,
    item_row,
    neutralise,
    xlsx_part_name,
)

__all__ = ["ExportStream"]


_PART = re.compile(r"^items-(\d+)\.xlsx$")


class ExportStream:
    """``out_dir/items.csv``, ``items.xlsx`` (``items-2.xlsx``… past Excel's row limit) and
    ``items.parquet``, one document's rows at a time.

    Args:
        out_dir: the output folder (created if needed).
        xlsx_max_rows: item rows per spreadsheet file (tests use a small one).
    """

    def __init__(self, out_dir: Path, *, xlsx_max_rows: int = XLSX_MAX_ROWS) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        self._xlsx_max = max(1, xlsx_max_rows)
        self._closed = False
        self._temps: list[Path] = []
        self._xlsx_done: list[Path] = []  #: finished sheets, temporary names, in part order
        self._csv_tmp = self._temp(CSV_NAME)
        self._csv: IO[str] = open(  # noqa: SIM115 (closed in close/abort)
            self._csv_tmp, "w", encoding="utf-8-sig", newline=""
        )
        self._csv_rows = CsvRows(self._csv)
        self._sheet = XlsxRows()
        self._parquet_tmp = self._temp(PARQUET_NAME)
        self._parquet = ParquetRows(self._parquet_tmp)

    def _temp(self, name: str) -> Path:
        fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        self._temps.append(Path(tmp))
        return Path(tmp)

    @property
    def xlsx_files(self) -> list[str]:
        """The spreadsheet files this stream writes so far: ``items.xlsx``, ``items-2.xlsx``…"""
        return [xlsx_part_name(k) for k in range(1, len(self._xlsx_done) + 2)]

    def add(self, summary: DocumentSummary) -> None:
        """Append the rows of ``summary``'s items (in document order)."""
        items = summary.items()
        if self._sheet.rows and self._sheet.rows + len(items) > self._xlsx_max:
            self._next_sheet()
        for item in items:
            row = tuple(neutralise(v) for v in item_row(summary, item))
            self._csv_rows.append(row)
            self._sheet.append(row)
            self.rows += 1
        self._parquet.add(summary)

    def _next_sheet(self) -> None:
        """Finish the current spreadsheet file and start the next numbered one."""
        done = self._temp(xlsx_part_name(len(self._xlsx_done) + 1))
        with open(done, "wb") as f:
            self._sheet.save(f)
        self._xlsx_done.append(done)
        self._sheet = XlsxRows()

    def close(self) -> list[Path]:
        """Finish every file and move it into place; the paths (CSV, sheets, parquet)."""
        try:
            self._csv.close()
            last = self._temp(xlsx_part_name(len(self._xlsx_done) + 1))
            with open(last, "wb") as f:
                self._sheet.save(f)
            self._parquet.close()
            sheets = [*self._xlsx_done, last]
            moves = [(self._csv_tmp, self.out / CSV_NAME)]
            moves += [(tmp, self.out / xlsx_part_name(k)) for k, tmp in enumerate(sheets, 1)]
            moves.append((self._parquet_tmp, self.out / PARQUET_NAME))
            for tmp, final in moves:
                os.replace(tmp, final)
            self._remove_stale_parts(len(sheets))
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return [final for _, final in moves]

    def _remove_stale_parts(self, parts: int) -> None:
        """Delete ``items-N.xlsx`` beyond this run's ``parts`` (a larger earlier run's)."""
        for p in self.out.glob("items-*.xlsx"):
            found = _PART.match(p.name)
            if found and int(found.group(1)) > parts:
                p.unlink(missing_ok=True)

    def abort(self) -> None:
        """Drop the temporary files; previous exports, if any, stay as they were."""
        self._closed = True
        self._csv.close()
        self._sheet.discard()  # finish openpyxl's sheet stream and its temp file
        self._parquet.discard()
        for tmp in self._temps:
            tmp.unlink(missing_ok=True)

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
