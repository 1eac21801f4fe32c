"""Exports of large batches: the sheet split at Excel's row limit, items.parquet, bounded memory.

The row limit is injected small (``xlsx_max_rows``) so a handful of made-up
documents exercises what a shelf of ~12,000 reports would.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from summarizer import Settings, summarize_folder
from summarizer.batch import folder, in_order
from summarizer.batch.export_parquet import ParquetRows
from summarizer.batch.export_stream import ExportStream
from summarizer.batch.exports import HEADERS, XLSX_MAX_ROWS, xlsx_part_name
from summarizer.schema import DocumentSummary


def _report(k: int) -> str:
    """A made-up county report with 3 + k % 3 items (achievements, a shortcoming, plans)."""
    extra = "".join(f"{j + 3}.新建便民服务站{j + 2}个。\n" for j in range(k % 3))
    return (
        f"某县{2000 + k}年法治政府建设情况报告\n一、主要成效\n"
        f"1.办理行政复议案件{k + 10}件。\n2.开展普法活动{k + 3}场，覆盖群众{k + 1}万人次。\n{extra}"
        f"二、存在的不足\n基层执法人员{k % 5 + 2}人不足。\n"
        f"三、下一步工作打算\n1.培训执法人员{k + 20}人次。\n"
    )


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> list[DocumentSummary]:
    tmp = tmp_path_factory.mktemp("large")
    docs = tmp / "docs"
    docs.mkdir()
    for k in range(9):
        (docs / f"r{k:02d}.txt").write_text(_report(k), encoding="utf-8")
    out = tmp / "out"
    summarize_folder([docs], out, settings=Settings(backend="rules", cache=False))
    found = [
        DocumentSummary.model_validate_json(line)
        for line in (out / "summaries.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(found) == 9 and all(s.items() for s in found)
    return found


def _sheet_rows(path: Path) -> list[tuple[object, ...]]:
    wb = load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb["items"].iter_rows(values_only=True)]
    finally:
        wb.close()


def test_excel_limit_is_excels() -> None:
    assert XLSX_MAX_ROWS + 1 == 2**20  # the header takes the sheet's last row
    assert [xlsx_part_name(k) for k in (1, 2, 10)] == [
        "items.xlsx",
        "items-2.xlsx",
        "items-10.xlsx",
    ]


def test_sheet_is_split_at_the_row_limit_keeping_documents_whole(
    summaries: list[DocumentSummary], tmp_path: Path
) -> None:
    limit = 10
    with ExportStream(tmp_path, xlsx_max_rows=limit) as stream:
        for s in summaries:
            stream.add(s)
        parts = stream.xlsx_files
    total = sum(len(s.items()) for s in summaries)
    assert len(parts) > 1 and total > limit
    assert sorted(p.name for p in tmp_path.glob("items*.xlsx")) == sorted(parts)
    with (tmp_path / "items.csv").open(encoding="utf-8-sig", newline="") as f:
        csv_rows = [tuple(r) for r in csv.reader(f)][1:]
    assert len(csv_rows) == total  # the CSV keeps every row in one file
    seen: list[tuple[object, ...]] = []
    for name in parts:
        rows = _sheet_rows(tmp_path / name)
        assert rows[0] == HEADERS
        assert 0 < len(rows) - 1 <= limit
        docs_here = {r[0] for r in rows[1:]}
        seen.extend(rows[1:])
        for doc in docs_here:  # a document's rows are all in this file
            assert sum(r[0] == doc for r in rows[1:]) == sum(r[0] == doc for r in csv_rows)
    assert [r[0] for r in seen] == [r[0] for r in csv_rows]  # same rows, same order
    assert [r[5] for r in seen] == [r[5] for r in csv_rows]


def test_numbered_sheets_of_a_larger_earlier_run_are_removed(
    summaries: list[DocumentSummary], tmp_path: Path
) -> None:
    with ExportStream(tmp_path, xlsx_max_rows=5) as stream:
        for s in summaries:
            stream.add(s)
    assert (tmp_path / "items-3.xlsx").exists()
    with ExportStream(tmp_path, xlsx_max_rows=5) as stream:
        stream.add(summaries[0])
    assert sorted(p.name for p in tmp_path.glob("items*.xlsx")) == ["items.xlsx"]


def test_parquet_has_every_row_typed(summaries: list[DocumentSummary], tmp_path: Path) -> None:
    with ExportStream(tmp_path) as stream:
        for s in summaries:
            stream.add(s)
    table = pq.read_table(tmp_path / "items.parquet")
    items = [(s, it) for s in summaries for it in s.items()]
    assert table.num_rows == len(items) == stream.rows
    assert table.schema.field("year").type == "int32"
    assert table.schema.field("evidence_start").type == "int64"
    assert table.schema.field("figure_values").type.value_type == "double"
    got = table.to_pylist()
    for row, (s, it) in zip(got, items, strict=True):
        assert (row["doc_id"], row["item_id"], row["category"]) == (s.doc_id, it.id, it.category)
        assert row["year"] == s.year
        assert row["summary"] == it.summary  # not neutralised: data, not a spreadsheet
        assert row["figure_values"] == [f.value for f in it.figures]
        assert row["evidence_spans"] == [x for sp in it.evidence for x in (sp.start, sp.end)]
        assert row["section_path"] == it.section_path


def test_parquet_row_groups_follow_the_documents(
    summaries: list[DocumentSummary], tmp_path: Path
) -> None:
    path = tmp_path / "x.parquet"
    writer = ParquetRows(path, row_group_rows=8)
    for s in summaries:
        writer.add(s)
    writer.close()
    meta = pq.ParquetFile(path).metadata
    sizes = [meta.row_group(k).num_rows for k in range(meta.num_row_groups)]
    assert meta.num_row_groups > 1 and sum(sizes) == writer.rows
    assert all(n >= 8 for n in sizes[:-1])  # written as soon as 8 rows were waiting


def test_empty_batch_writes_an_empty_parquet(tmp_path: Path) -> None:
    with ExportStream(tmp_path):
        pass
    table = pq.read_table(tmp_path / "items.parquet")
    assert table.num_rows == 0 and table.schema.names[0] == "doc_id"


def test_batch_holds_few_summaries_when_an_early_document_is_slow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Documents finishing before the first wait beyond HOLD_SUMMARIES are read back from disk."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for k in range(8):
        (docs / f"r{k:02d}.txt").write_text(_report(k), encoding="utf-8")
    settings = Settings(backend="rules", cache=False)
    ref = summarize_folder([docs], tmp_path / "ref", settings=settings)
    monkeypatch.setattr(in_order, "HOLD_SUMMARIES", 2)
    loaded: list[str] = []
    real_load = folder._load_summary

    def counting_load(out: Path, name: str) -> DocumentSummary:
        loaded.append(name)
        return real_load(out, name)

    monkeypatch.setattr(folder, "_load_summary", counting_load)

    def last_first(items, settings):  # type: ignore[no-untyped-def]
        yield from sorted(folder._local_runner(items, settings), key=lambda r: -r.key)

    result = folder.summarize_folder([docs], tmp_path / "out", settings=settings, runner=last_first)
    assert ref.documents == result.documents == 8 and not result.failed
    assert (tmp_path / "out/items.csv").read_bytes() == (tmp_path / "ref/items.csv").read_bytes()
    lines = (tmp_path / "out/summaries.jsonl").read_text(encoding="utf-8").splitlines()
    assert [DocumentSummary.model_validate_json(x).doc_id for x in lines] == [
        f"r{k:02d}" for k in range(8)
    ]
    # r07, r06 held; r05…r01 read back; r00 is due when it finishes: written at once
    assert sorted(loaded) == [f"r{k:02d}" for k in range(1, 6)]


def test_writing_parquet_does_not_import_pandas(
    summaries: list[DocumentSummary], tmp_path: Path
) -> None:
    """pyarrow imports pandas when it builds arrays from Python objects: ~60 MB per batch."""
    src = tmp_path / "s.jsonl"
    src.write_text("\n".join(s.model_dump_json() for s in summaries), encoding="utf-8")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from summarizer.schema import DocumentSummary\n"
        "from summarizer.batch.export_parquet import ParquetRows\n"
        f"w = ParquetRows(Path({str(tmp_path / 'x.parquet')!r}), row_group_rows=5)\n"
        f"for line in Path({str(src)!r}).read_text(encoding='utf-8').splitlines():\n"
        "    w.add(DocumentSummary.model_validate_json(line))\n"
        "w.close()\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert pq.read_table(tmp_path / "x.parquet").num_rows == sum(len(s.items()) for s in summaries)
