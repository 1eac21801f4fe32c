"""batch.exports: items.csv and items.xlsx, one row per item, from rules-backend summaries."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from summarizer import DocumentSummary, summarize
from summarizer.batch.exports import HEADERS, format_value, neutralise, write_exports

ROOT = Path(__file__).resolve().parent.parent
SEED_DOCS = ROOT / "evals" / "seed" / "docs"


@pytest.fixture(scope="module")
def summaries() -> list[DocumentSummary]:
    return [summarize(p, backend="rules") for p in sorted(SEED_DOCS.glob("*.txt"))]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def read_xlsx(path: Path) -> list[tuple[object, ...]]:
    wb = load_workbook(path)
    return [tuple(r) for r in wb.active.iter_rows(values_only=True)]


def test_one_row_per_item_in_order_with_exact_offsets(
    summaries: list[DocumentSummary], tmp_path: Path
) -> None:
    paths = write_exports(summaries, tmp_path)
    assert paths == [tmp_path / "items.csv", tmp_path / "items.xlsx"]
    items = [(s, it) for s in summaries for it in s.items()]
    assert len(items) > 50
    rows = read_csv(paths[0])
    assert len(rows) == len(items)
    for row, (s, it) in zip(rows, items, strict=True):
        assert (row["doc_id"], row["item_id"], row["category"]) == (s.doc_id, it.id, it.category)
        assert int(row["evidence_start"]) == it.evidence[0].start
        assert int(row["evidence_end"]) == it.evidence[-1].end
        assert row["figures"] == "; ".join(f.text for f in it.figures)
        assert row["section_path"] == " > ".join(it.section_path)
        if len(it.evidence) == 1:
            assert row["evidence_text"] == it.evidence[0].text
    # the CSV starts with a BOM so Excel reads it as UTF-8
    assert paths[0].read_bytes().startswith(b"\xef\xbb\xbf")

    table = read_xlsx(paths[1])
    assert table[0] == HEADERS and len(table) == len(items) + 1
    col = {h: k for k, h in enumerate(HEADERS)}
    for row_x, (s, it) in zip(table[1:], items, strict=True):
        assert row_x[col["item_id"]] == it.id
        assert row_x[col["evidence_start"]] == it.evidence[0].start
        assert row_x[col["evidence_end"]] == it.evidence[-1].end
        assert row_x[col["year"]] == s.year


def test_chinese_round_trips_in_csv_and_xlsx(
    summaries: list[DocumentSummary], tmp_path: Path
) -> None:
    csv_path, xlsx_path = write_exports(summaries[:1], tmp_path)
    first = summaries[0]
    rows = read_csv(csv_path)
    assert rows[0]["title"] == first.title == "东凤镇关于2019年法治政府建设的工作情况报告"
    assert rows[0]["issuer"] == first.issuer
    assert rows[0]["summary"] == first.items()[0].summary
    table = read_xlsx(xlsx_path)
    assert table[1][HEADERS.index("title")] == first.title
    assert table[1][HEADERS.index("summary")] == first.items()[0].summary
    with_figures = [r for r in rows if r["figures"]]
    assert with_figures and all(r["figure_values"] for r in with_figures)


def test_xlsx_header_is_bold_and_frozen(summaries: list[DocumentSummary], tmp_path: Path) -> None:
    _, xlsx_path = write_exports(summaries[:1], tmp_path)
    ws = load_workbook(xlsx_path).active
    assert ws.freeze_panes == "A2"
    assert all(c.font.bold for c in ws[1])
    summary_col = HEADERS.index("summary") + 1
    assert ws.cell(row=2, column=summary_col).alignment.wrap_text
    assert ws.column_dimensions["G"].width >= 40  # summary


def test_formula_injection_is_neutralised(summaries: list[DocumentSummary], tmp_path: Path) -> None:
    s = summaries[0]
    evil = '=HYPERLINK("http://evil.example","点击")'
    first = s.items()[0]
    bad_item = first.model_copy(update={"summary": evil, "topic": "@SUM(A1)"})
    field = {"achievement": "achievements", "shortcoming": "shortcomings", "plan": "plans"}[
        first.category
    ]
    others = [it for it in getattr(s, field) if it.id != first.id]
    bad = s.model_copy(update={field: [bad_item, *others], "title": "+cmd|' /C calc'!A0"})
    csv_path, xlsx_path = write_exports([bad], tmp_path)
    row = next(r for r in read_csv(csv_path) if r["item_id"] == first.id)
    assert row["summary"] == "'" + evil
    assert row["topic"] == "'@SUM(A1)"
    assert row["title"].startswith("'+")
    ws = load_workbook(xlsx_path).active
    cells = [c for r in ws.iter_rows(min_row=2) for c in r]
    assert all(c.data_type != "f" for c in cells)
    assert "'" + evil in [c.value for c in cells]
    assert not any(
        isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")) for c in cells
    )


def test_empty_input_writes_header_only_files(tmp_path: Path) -> None:
    csv_path, xlsx_path = write_exports([], tmp_path / "new")
    assert csv_path.read_text(encoding="utf-8-sig").splitlines() == [",".join(HEADERS)]
    assert read_xlsx(xlsx_path) == [HEADERS]
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["items.csv", "items.xlsx"]


def test_rewrite_replaces_atomically_and_leaves_no_temp_files(
    summaries: list[DocumentSummary], tmp_path: Path
) -> None:
    write_exports(summaries, tmp_path)
    write_exports(summaries[:1], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.csv", "items.xlsx"]
    assert len(read_csv(tmp_path / "items.csv")) == len(summaries[0].items())


def test_helpers() -> None:
    assert format_value(11.0) == "11" and format_value(0.5) == "0.5"
    assert format_value(19572000000.0) == "19572000000"
    assert neutralise("-5%") == "'-5%" and neutralise("正常") == "正常" and neutralise(3) == 3


def test_several_spans_are_listed(summaries: list[DocumentSummary]) -> None:
    from summarizer.batch.exports import item_row
    from summarizer.schema import Span

    s = summaries[0]
    it = s.items()[0]
    two = it.model_copy(
        update={"evidence": [Span(start=1, end=3, text="ab"), Span(start=7, end=9, text="cd")]}
    )
    row = dict(zip(HEADERS, item_row(s, two), strict=True))
    assert (row["evidence_start"], row["evidence_end"]) == (1, 9)
    assert row["evidence_spans"] == "1-3; 7-9"
    assert row["evidence_text"] == "ab … cd"


def _all_parts(xlsx: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(xlsx) as z:  # docProps hold the creation time
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def _c14n(xml: bytes) -> bytes:
    from lxml import etree

    return etree.tostring(etree.fromstring(xml), method="c14n")


ODD_TEXT = [
    "a & b < c > d \"q\" 'a'",
    " leading and trailing ",
    "tab\there\nnew line\rreturn",
    "   ",
    "",
    "'=SUM(A1)",
    "emoji 😀 and 汉字 and é",
    "x" * 40_000,
    "控制\x01字符\x1f",
]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_fast_sheet_writes_what_openpyxl_writes(tmp_path: Path, count: int) -> None:
    """XlsxRows formats the rows itself: the same sheet XML as openpyxl's, every other part byte
    for byte."""
    from summarizer.batch.exports import OpenpyxlRows, XlsxRows

    table = []
    for k in range(count):
        for j, text in enumerate(ODD_TEXT):
            row: list[str | int | None] = [f"doc{k}", text, None, 2000 + k, "plans", f"p{j}"]
            row += [text[::-1], None, "3个; 4万元", "3; 40000", j * 10**6, j * 10**6 + 7, None]
            row += [text, "一、工作 > 二", "ok", ""]
            table.append(tuple(row))
    fast, ref = XlsxRows(), OpenpyxlRows()
    for row in table:
        fast.append(row)
        ref.append(row)
    with (tmp_path / "fast.xlsx").open("wb") as f:
        fast.save(f)
    with (tmp_path / "ref.xlsx").open("wb") as f:
        ref.save(f)
    fast_parts, ref_parts = _all_parts(tmp_path / "fast.xlsx"), _all_parts(tmp_path / "ref.xlsx")
    sheet = "xl/worksheets/sheet1.xml"
    assert _c14n(fast_parts.pop(sheet)) == _c14n(ref_parts.pop(sheet))  # same XML
    assert fast_parts == ref_parts  # every other part byte for byte
    wb = load_workbook(tmp_path / "fast.xlsx")
    assert wb["items"].max_row == 1 + len(table)
