"""``items.parquet``: the batch's items as a typed table, written in row groups.

The same rows as ``items.csv`` (one per item, documents in input order, items in
document order) with typed columns instead of text — integers for ``year`` and
the evidence offsets, lists for the multi-valued columns (figures, their values,
section path, validation codes, evidence spans) — and without the spreadsheet
formula guard (a parquet reader never evaluates a cell). See :data:`SCHEMA`.

:class:`ParquetRows` keeps each document's rows as JSON lines as it is added and
converts them to Arrow and writes a row group whenever :data:`ROW_GROUP_ROWS`
rows are waiting, so the memory it holds does not depend on the size of the
batch. The file is written with zstd compression and opens in pandas
(``pd.read_parquet``), Polars or DuckDB. ``pyarrow`` is a dependency of the project.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

from ..schema import DocumentSummary

PARQUET_NAME = "items.parquet"
#: Rows waiting before a row group is written (about 100 panel reports; a few MB of Arrow).
ROW_GROUP_ROWS = 10_000

SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("issuer", pa.string()),
        pa.field("year", pa.int32()),
        pa.field("category", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("summary", pa.string(), nullable=False),
        pa.field("topic", pa.string()),
        pa.field("figures", pa.list_(pa.string())),
        pa.field("figure_values", pa.list_(pa.float64())),
        pa.field("evidence_start", pa.int64(), nullable=False),
        pa.field("evidence_end", pa.int64(), nullable=False),
        pa.field("evidence_spans", pa.list_(pa.int64())),  #: start, end, start, end…
        pa.field("evidence_text", pa.string(), nullable=False),
        pa.field("section_path", pa.list_(pa.string())),
        pa.field("status", pa.string(), nullable=False),
        pa.field("validation", pa.list_(pa.string())),
    ]
)


def document_rows(summary: DocumentSummary) -> list[str]:
    """The rows of ``summary``'s items (document order) as JSON lines of :data:`SCHEMA`'s fields.

    Rows go through JSON lines and Arrow's JSON reader rather than ``pa.array``:
    building arrays from Python objects makes pyarrow import pandas (~0.4 s and
    ~60 MB in every batch process); its JSON reader does not. The reader has a
    fixed cost per call (~0.5 ms), so rows wait as lines and are read once per
    row group (:meth:`ParquetRows._flush`), not once per document.
    """
    lines = []
    for item in summary.items():
        spans = item.evidence
        values = (
            summary.doc_id,
            summary.title,
            summary.issuer,
            summary.year,
            item.category,
            item.id,
            item.summary,
            item.topic,
            [f.text for f in item.figures],
            [f.value if math.isfinite(f.value) else None for f in item.figures],
            spans[0].start,
            spans[-1].end,
            [x for s in spans for x in (s.start, s.end)],
            " … ".join(s.text for s in spans),
            list(item.section_path),
            item.status,
            [n.code for n in item.validation],
        )
        lines.append(json.dumps(dict(zip(SCHEMA.names, values, strict=True)), ensure_ascii=False))
    return lines


def rows_table(lines: list[str]) -> pa.Table:
    """JSON lines of :func:`document_rows` as an Arrow table of :data:`SCHEMA`."""
    if not lines:
        return SCHEMA.empty_table()
    data = ("\n".join(lines) + "\n").encode("utf-8", "replace")  # "replace": a lone surrogate
    table = pj.read_json(io.BytesIO(data), read_options=_READ, parse_options=_PARSE)
    return table.select(SCHEMA.names).cast(SCHEMA)


def document_table(summary: DocumentSummary) -> pa.Table:
    """The rows of ``summary``'s items (document order) as an Arrow table of :data:`SCHEMA`."""
    return rows_table(document_rows(summary))


_READ = pj.ReadOptions(use_threads=False, block_size=1 << 24)
_PARSE = pj.ParseOptions(explicit_schema=SCHEMA, newlines_in_values=False)


class ParquetRows:
    """``items.parquet`` written a document at a time, a row group every :data:`ROW_GROUP_ROWS`.

    Args:
        path: the file to write (a temporary file; the caller moves it into place).
        row_group_rows: rows per row group (tests use a small one).
    """

    def __init__(self, path: Path, *, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self._writer = pq.ParquetWriter(str(path), SCHEMA, compression="zstd")
        self._limit = max(1, row_group_rows)
        self._waiting: list[str] = []  #: rows as JSON lines (:func:`document_rows`)
        self.rows = 0

    def add(self, summary: DocumentSummary) -> None:
        """Append ``summary``'s rows; write a row group when enough are waiting."""
        lines = document_rows(summary)
        self._waiting.extend(lines)
        self.rows += len(lines)
        if len(self._waiting) >= self._limit:
            self._flush()

    def _flush(self) -> None:
        if self._waiting:
            table = rows_table(self._waiting)
            self._writer.write_table(table, row_group_size=max(self._limit, table.num_rows))
        self._waiting = []

    def close(self) -> None:
        """Write what is waiting and the file's footer (a batch without items: no row group)."""
        self._flush()
        self._writer.close()

    def discard(self) -> None:
        """Give up: close the writer without caring whether the file is valid."""
        self._waiting = []
        with contextlib.suppress(Exception):  # the temporary file is deleted next
            self._writer.close()
