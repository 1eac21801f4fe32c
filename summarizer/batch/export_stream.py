"""The batch exports written as documents finish: ``items.csv`` and ``items.xlsx`` row by row.

:func:`summarizer.batch.exports.write_exports` builds both files from the whole batch
at the end, which puts openpyxl's cell-by-cell work (≈ 1 ms per document) after
the last model call. :class:`ExportStream` writes the same files incrementally:
:meth:`ExportStream.add` appends one document's rows (the caller adds documents
in input order), :meth:`ExportStream.close` finishes both files and moves them
into place atomically; :meth:`ExportStream.abort` (or leaving the ``with`` block
on an exception) deletes the temporary files and leaves any previous exports
as they were.

The rows, columns, formula neutralisation, cell styles, frozen header and
filter are those of :mod:`summarizer.batch.exports` (``tests/test_exports.py``
documents them); the CSV is byte-identical to ``write_exports``' and the sheet
holds the same cells and styles.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from ..schema import DocumentSummary
from .exports import CSV_NAME, XLSX_NAME, CsvRows, XlsxRows, item_row, neutralise

__all__ = ["ExportStream"]


class ExportStream:
    """``out_dir/items.csv`` and ``out_dir/items.xlsx``, one document's rows at a time."""

    def __init__(self, out_dir: Path) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        self._closed = False
        self._csv_tmp = self._temp(CSV_NAME)
        self._xlsx_tmp = self._temp(XLSX_NAME)
        self._csv: IO[str] = open(  # noqa: SIM115 (closed in close/abort)
            self._csv_tmp, "w", encoding="utf-8-sig", newline=""
        )
        self._csv_rows = CsvRows(self._csv)
        self._sheet = XlsxRows()

    def _temp(self, name: str) -> Path:
        fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        return Path(tmp)

    def add(self, summary: DocumentSummary) -> None:
        """Append the rows of ``summary``'s items (in document order)."""
        for item in summary.items():
            row = tuple(neutralise(v) for v in item_row(summary, item))
            self._csv_rows.append(row)
            self._sheet.append(row)
            self.rows += 1

    def close(self) -> list[Path]:
        """Finish both files and move them into place; the paths ``[items.csv, items.xlsx]``."""
        try:
            self._csv.close()
            with open(self._xlsx_tmp, "wb") as f:
                self._sheet.save(f)
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
        self._sheet.discard()  # finish openpyxl's sheet stream and its temp file

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
