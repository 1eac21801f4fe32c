"""Tests for summarizer.ingest.documents: decoding, formats, errors and page furniture."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from summarizer.errors import InputError
from summarizer.ingest import documents
from summarizer.ingest.documents import (
    SUPPORTED_SUFFIXES,
    Document,
    document_from_text,
    find_furniture,
    html_to_text,
    is_furniture_line,
    load_document,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "evals" / "seed"
SEED_DOCS = sorted((SEED / "docs").glob("*.txt"))
EXTRA_DOCS_DIR = ROOT.parent / "shared" / "extra" / "docs"


def _gold(doc_path: Path) -> dict:
    return json.loads((SEED / "gold" / f"{doc_path.stem}.json").read_text(encoding="utf-8"))


def _assert_gold_offsets(doc: Document, gold: dict) -> None:
    for item in gold["items"]:
        assert doc.text[item["start"] : item["end"]] == item["quote"]


def _seed_text(index: int = 0) -> str:
    return load_document(SEED_DOCS[index]).text


# --------------------------------------------------------------------------- seed docs


def test_seed_corpus_present() -> None:
    assert len(SEED_DOCS) == 5


@pytest.mark.parametrize("path", SEED_DOCS, ids=lambda p: p.stem)
def test_seed_gold_offsets_hold(path: Path) -> None:
    doc = load_document(path)
    assert doc.doc_id == path.stem
    assert doc.format == "txt"
    assert doc.encoding == "utf-8"
    assert doc.source_path == str(path)
    assert "\r" not in doc.text
    _assert_gold_offsets(doc, _gold(path))


@pytest.mark.parametrize("path", SEED_DOCS, ids=lambda p: p.stem)
def test_seed_furniture_never_overlaps_gold(path: Path) -> None:
    doc = load_document(path)
    gold = _gold(path)
    for start, end in doc.excluded:
        for item in gold["items"]:
            assert end <= item["start"] or start >= item["end"], (doc.text[start:end], item)
    # The title line is content, never furniture.
    title_pos = doc.text.find(gold["title"].split("关于")[-1])
    assert title_pos >= 0
    assert not any(s <= title_pos < e for s, e in doc.excluded)


def test_seed_furniture_found() -> None:
    excluded = {
        p.stem: [load_document(p).text[s:e] for s, e in load_document(p).excluded]
        for p in SEED_DOCS
    }
    assert excluded["000_1da8540b38c41ad1"] == [
        "无障碍版 长者助手\n您当前的位置: > >公告公示",
        "信息来源:本网 发布日期:2020-03-30 分享:",
    ]
    assert excluded["001_c02059fcca3304c1"] == [
        "发布时间:2025年03月28日 16:38 来源:浚县司法局 浏览次数:"
    ]
    assert excluded["002_b2d5c4613177801b"] == []
    assert excluded["004_4416c96a57e07bad"] == ["发布时间 :"]


def test_excluded_ranges_sorted_and_disjoint() -> None:
    for path in SEED_DOCS:
        ranges = load_document(path).excluded
        assert list(ranges) == sorted(ranges)
        for (_, end), (start, _) in itertools.pairwise(ranges):
            assert end < start


def test_doc_id_override() -> None:
    assert load_document(SEED_DOCS[0], doc_id="x1").doc_id == "x1"


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("codec", "bom", "expected"),
    [
        ("gb18030", b"", "gb18030"),
        ("gbk", b"", "gb18030"),  # GBK is a subset; the detector names the superset
        ("utf-16", b"", "utf-16"),  # Python's utf-16 writes a BOM
        ("utf-16-le", b"\xff\xfe", "utf-16"),
        ("utf-16-be", b"\xfe\xff", "utf-16"),
        ("utf-8-sig", b"", "utf-8-sig"),
    ],
)
@pytest.mark.parametrize("path", SEED_DOCS, ids=lambda p: p.stem)
def test_encodings_round_trip(
    tmp_path: Path, path: Path, codec: str, bom: bytes, expected: str
) -> None:
    original = load_document(path)
    target = tmp_path / f"{path.stem}.txt"
    try:
        encoded = original.text.encode(codec)
    except UnicodeEncodeError:
        pytest.skip(f"{path.stem} has characters {codec} cannot represent")
    target.write_bytes(bom + encoded)
    doc = load_document(target)
    assert doc.text == original.text
    assert doc.encoding == expected
    assert doc.excluded == original.excluded
    _assert_gold_offsets(doc, _gold(path))


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
@pytest.mark.parametrize("codec", ["utf-8", "gb18030", "utf-16"])
def test_crlf_and_lone_cr_normalized(tmp_path: Path, newline: str, codec: str) -> None:
    path = SEED_DOCS[2]
    original = load_document(path)
    target = tmp_path / "crlf.md"
    target.write_bytes(original.text.replace("\n", newline).encode(codec))
    doc = load_document(target)
    assert doc.format == "md"
    assert doc.text == original.text
    _assert_gold_offsets(doc, _gold(path))


def test_mixed_newlines_only_change_cr(tmp_path: Path) -> None:
    target = tmp_path / "mixed.txt"
    target.write_bytes("第一行\r\n第二行\r第三行\n\t第四行  \n".encode())
    assert load_document(target).text == "第一行\n第二行\n第三行\n\t第四行  \n"


# --------------------------------------------------------------------------- document_from_text


def test_document_from_text_normalizes_and_marks() -> None:
    doc = document_from_text(
        "\ufeff无障碍版 长者助手\r\n东凤镇关于2019年工作的报告\r\n今年共受理案件95宗。\r",
        doc_id="t",
    )
    assert doc.doc_id == "t"
    assert doc.text == "无障碍版 长者助手\n东凤镇关于2019年工作的报告\n今年共受理案件95宗。\n"
    assert doc.excluded == ((0, 9),)
    assert doc.is_excluded(0, 4)
    assert not doc.is_excluded(10, 15)


@pytest.mark.parametrize("text", ["", "   \n\t\r\n", "\ufeff"])
def test_document_from_text_empty_raises(text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        document_from_text(text)


def test_document_from_text_matches_seed() -> None:
    original = load_document(SEED_DOCS[0])
    raw = SEED_DOCS[0].read_text(encoding="utf-8")
    doc = document_from_text(raw.replace("\n", "\r\n"), doc_id=original.doc_id)
    assert doc.text == original.text
    assert doc.excluded == original.excluded


# --------------------------------------------------------------------------- html

_HTML = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>东凤镇报告</title>
<style>.nav {{ color: red; }} body {{ font-size: 12px; }}</style>
<script>var secret = "脚本内容不应出现"; document.write("脚本输出");</script>
</head><body>
<div class="nav"><a href="/">网站首页</a> | <a href="/gk">政务公开</a> |
 <a href="/gg">公告公示</a></div>
<nav><ul><li><a href="/a">机构概况</a></li><li><a href="/b">办事服务</a></li></ul></nav>
<article>
<h1>东凤镇关于2019年法治政府建设的工作情况报告</h1>
<p>2019年，东凤镇在市委、市政府的正确领导下，深入推进依法行政和法治政府建设工作，
为促进全镇经济社会持续健康发展创造良好的法治环境。</p>
<p>1、健全矛盾纠纷多元化化解机制。设立村（社区）专职调解员，今年共受理民间纠纷案件95宗，受理率100%。</p>
<script>document.write("正文中的脚本");</script>
<p>二是继续推进机关行政规范管理工作，加强制度建设，依法规范行政事务管理，开展培训12场。</p>
<table><tr><td>受理案件</td><td>95宗</td></tr></table>
</article>
<footer>版权所有 东凤镇人民政府 打印本页 关闭窗口</footer>
</body></html>
"""


@pytest.mark.parametrize(("suffix", "charset"), [(".html", "utf-8"), (".htm", "gbk")])
def test_html_main_text(tmp_path: Path, suffix: str, charset: str) -> None:
    target = tmp_path / f"page{suffix}"
    target.write_bytes(_HTML.format(charset=charset).encode(charset))
    doc = load_document(target)
    assert doc.format == suffix.lstrip(".")
    assert "东凤镇关于2019年法治政府建设的工作情况报告" in doc.text
    assert "今年共受理民间纠纷案件95宗，受理率100%。" in doc.text
    assert "开展培训12场" in doc.text
    for gone in ("脚本", "secret", "font-size", "color: red", "document.write"):
        assert gone not in doc.text
    lines = doc.text.split("\n")
    assert any(line.startswith("1、健全矛盾纠纷") for line in lines)
    assert any(line.startswith("二是继续推进") for line in lines)


def test_html_fallback_when_trafilatura_finds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trafilatura = pytest.importorskip("trafilatura")

    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    target = tmp_path / "page.html"
    target.write_text(_HTML.format(charset="utf-8"), encoding="utf-8")
    doc = load_document(target)
    for gone in ("脚本", "secret", "font-size", "东凤镇报告\n"):
        assert gone not in doc.text
    lines = doc.text.split("\n")
    assert "东凤镇关于2019年法治政府建设的工作情况报告" in lines
    assert any(
        line.startswith("1、健全矛盾纠纷") and line.endswith("受理率100%。") for line in lines
    )
    # Navigation survives the plain fallback as its own line and is marked, not deleted.
    assert "网站首页 | 政务公开 | 公告公示" in lines
    nav = doc.text.index("网站首页")
    assert doc.is_excluded(nav, nav + len("网站首页 | 政务公开 | 公告公示"))


def test_html_fallback_parser_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    trafilatura = pytest.importorskip("trafilatura")

    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: "")
    html = "<p>甲段</p><style>p{}</style><div>乙段<br>丙段</div><noscript>无脚本</noscript>"
    assert html_to_text(html) == "甲段\n乙段\n丙段"


def test_html_without_text_raises(tmp_path: Path) -> None:
    target = tmp_path / "empty.html"
    target.write_text("<html><head><script>var a=1;</script></head><body> </body></html>")
    with pytest.raises(InputError, match="no text"):
        load_document(target)


# --------------------------------------------------------------------------- docx


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_heading("大寺镇2021年度法治政府建设情况报告", level=1)
    d.add_paragraph("一、主要举措和成效")
    d.add_paragraph("今年以来，开展集中学习35次，组织交流研讨11次。")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目"
    table.cell(0, 1).text = "数量"
    table.cell(1, 0).text = "行政复议"
    table.cell(1, 1).text = "3件"
    d.add_paragraph("二、存在问题")
    target = tmp_path / "report.docx"
    d.save(str(target))

    doc = load_document(target)
    assert doc.format == "docx"
    assert doc.encoding is None
    lines = doc.text.split("\n")
    assert lines[0] == "大寺镇2021年度法治政府建设情况报告"
    assert "今年以来，开展集中学习35次，组织交流研讨11次。" in lines
    assert "项目\t数量" in lines
    assert "行政复议\t3件" in lines
    assert lines.index("行政复议\t3件") < lines.index("二、存在问题")


def test_bad_docx_raises(tmp_path: Path) -> None:
    target = tmp_path / "old.docx"
    target.write_bytes(b"PK\x03\x04 not really a zip archive")
    with pytest.raises(InputError, match=r"\.docx") as info:
        load_document(target)
    assert info.value.__cause__ is not None


# --------------------------------------------------------------------------- pdf


def test_pdf_text_layer(tmp_path: Path) -> None:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Annual report on law-based government 2021")
    pdf.ln()
    pdf.cell(text="Cases handled: 95, acceptance rate 100%.")
    target = tmp_path / "report.pdf"
    pdf.output(str(target))

    doc = load_document(target)
    assert doc.format == "pdf"
    assert "Annual report on law-based government 2021" in doc.text
    assert "Cases handled: 95, acceptance rate 100%." in doc.text


def test_pdf_without_text_layer_needs_ocr(tmp_path: Path) -> None:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a "scan": graphics, no text
    target = tmp_path / "scan.pdf"
    pdf.output(str(target))
    with pytest.raises(InputError, match="OCR"):
        load_document(target)


def test_corrupt_pdf_raises(tmp_path: Path) -> None:
    target = tmp_path / "broken.pdf"
    target.write_bytes(b"%PDF-1.7\nthis is not a pdf body\n")
    with pytest.raises(InputError, match="PDF") as info:
        load_document(target)
    assert info.value.__cause__ is not None or "OCR" in str(info.value)


# --------------------------------------------------------------------------- errors


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_document(tmp_path / "nope.txt")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory"):
        load_document(tmp_path)


def test_unknown_suffix_lists_supported(tmp_path: Path) -> None:
    target = tmp_path / "report.doc"
    target.write_text("文本")
    with pytest.raises(InputError) as info:
        load_document(target)
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in str(info.value)


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    target = tmp_path / "REPORT.TXT"
    target.write_text("东凤镇关于2019年工作的报告\n今年共受理案件95宗。", encoding="utf-8")
    doc = load_document(target)
    assert doc.format == "txt"
    assert doc.doc_id == "REPORT"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "locked.txt"
    target.write_text("正文", encoding="utf-8")

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(InputError, match="permission denied") as info:
        load_document(target)
    assert isinstance(info.value.__cause__, PermissionError)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_permission_denied_real_chmod(tmp_path: Path) -> None:
    target = tmp_path / "locked.txt"
    target.write_text("正文", encoding="utf-8")
    target.chmod(0)
    try:
        with pytest.raises(InputError, match="permission denied"):
            load_document(target)
    finally:
        target.chmod(0o644)


def test_binary_with_nul_bytes(tmp_path: Path) -> None:
    target = tmp_path / "image.txt"
    target.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 50)
    with pytest.raises(InputError, match="binary"):
        load_document(target)


def test_undecodable_bytes(tmp_path: Path) -> None:
    target = tmp_path / "noise.txt"
    target.write_bytes(bytes(range(128, 256)) * 40 + b"\x00\x01\x02")
    with pytest.raises(InputError, match=r"binary|decode"):
        load_document(target)


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t  ", "\u3000\n".encode()])
def test_empty_or_whitespace_file(tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "empty.txt"
    target.write_bytes(content)
    with pytest.raises(InputError, match="empty"):
        load_document(target)


def test_errors_are_input_errors_from_cause(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        documents.decode_bytes(b"\x00\x01\x02\x03" * 100, source="x")
    assert "binary" in str(info.value)


# --------------------------------------------------------------------------- furniture lines


@pytest.mark.parametrize(
    "line",
    [
        "无障碍版 长者助手",
        "您当前的位置: > >公告公示",
        "当前位置：首页 > 政务公开",
        "首页 > 政务公开 > 公告公示",
        "信息来源:本网 发布日期:2020-03-30 分享:",
        "发布时间:2025年03月28日 16:38 来源:浚县司法局 浏览次数:",
        "发布时间 :",
        "打印本页 关闭窗口",
        "【字体：大 中 小】",
        "【字号：",
        "】",
        "下载",
        "扫一扫在手机打开当前页",
        "https://www.example.gov.cn/art/2020/3/30/art_1.html",
        "来源URL：http://district.ce.cn/newarea/roll/t20210223_36331753.shtml",
        "来源：新疆日报",
        "时间：2026-02-03",
        "（责任编辑：杨淼）",
        "标题：2021年保定市政府工作报告",
        "正文：",
        "政府工作报告。 贵州日报天眼新闻记者 李森 摄",
        "任振鹤作政府工作报告。新甘肃·甘肃日报记者 盛学卿",
        "上一篇 下一篇",
        "【打印本页】【关闭窗口】",
        "[ 打印 ] [ 关闭 ]",
        "分享到：",
    ],
)
def test_furniture_lines(line: str) -> None:
    assert is_furniture_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "东凤镇关于2019年法治政府建设的工作情况报告",
        "东平县人民政府",
        "关于2019年度法治政府建设工作情况的报告",
        "（大寺镇  2021.12.18）",
        "一、工作回顾",
        "二、存在问题",
        "(一)强化组织领导,精心部署法治政府建设工作。",
        "县委、县政府:",
        "各位代表：",
        "政府工作报告",
        "省长 李炳军",
        "附件",
        "大",
        "四、积极有为,强化责任，加快项目建设步伐",
        "时间：2021年全年，共开展培训12场，覆盖1200人。",
        "来源于群众的意见建议58条，已全部办结。",
        "接待新闻记者采访",
        "2021年12月31日",
        "罗定市人民政府",
    ],
)
def test_not_furniture_lines(line: str) -> None:
    assert not is_furniture_line(line)


def test_trailer_runs_to_end_only_near_the_end() -> None:
    body = "各位代表：\n" + "今年共完成投资12亿元，增长8%。\n" * 50
    text = body + "相关报道：\n链接一\n链接二\n"
    ranges = find_furniture(text)
    assert ranges == ((len(body), len(text.rstrip())),)
    # The same opener at the top of a document is not a trailer.
    early = "相关报道：\n" + body
    assert find_furniture(early) == ()


def test_whitespace_between_furniture_lines_merges() -> None:
    text = "下载\n\n打印\n  \n正文开始，今年共受理案件95宗。"
    assert find_furniture(text) == ((0, 6),)


# --------------------------------------------------------------------------- extra corpus


def _extra_docs() -> list[Path]:
    return sorted(EXTRA_DOCS_DIR.glob("*.txt")) if EXTRA_DOCS_DIR.is_dir() else []


@pytest.mark.skipif(not _extra_docs(), reason="shared/extra/docs not present")
@pytest.mark.parametrize("path", _extra_docs(), ids=lambda p: p.stem)
def test_extra_docs_load_with_modest_furniture(path: Path) -> None:
    doc = load_document(path)
    assert doc.text.strip()
    furniture = [r for k, r in enumerate(doc.excluded) if doc.exclusion_reason(k) == "furniture"]
    excluded_chars = sum(e - s for s, e in furniture)
    assert excluded_chars < 0.03 * len(doc.text)  # an appendix after the report is not furniture
    salutation = doc.text.find("各位代表")
    assert salutation >= 0
    assert not any(s <= salutation < e for s, e in doc.excluded)


@pytest.mark.skipif(not _extra_docs(), reason="shared/extra/docs not present")
def test_extra_docs_furniture_examples() -> None:
    by_stem = {p.stem: load_document(p) for p in _extra_docs()}

    def excluded(stem: str) -> list[str]:
        doc = by_stem[stem]
        return [doc.text[s:e] for s, e in doc.excluded]

    assert excluded("10_tianjin_municipality_2026")[0].startswith(
        "下载\n打印\n全屏\n收藏\n【字号："
    )
    assert excluded("10_tianjin_municipality_2026")[-1] == "相关报道："
    assert excluded("06_baoding_city_2021")[0].startswith("标题：2021年保定市政府工作报告")
    assert excluded("06_baoding_city_2021")[-1] == "（责任编辑：杨淼）"
    wiki = excluded("13_statecouncil_national_2004")[-1]
    assert wiki.startswith("本作品是中华人民共和国的") and wiki.endswith("false")
    assert excluded("11_guizhou_prov_2026") == ["政府工作报告。 贵州日报天眼新闻记者 李森 摄"]


def test_table_rows_are_not_menus() -> None:
    assert not is_furniture_line("| 受理案件 | 95宗 |")
    assert not is_furniture_line("项目 | 数量 | 金额")
    assert is_furniture_line("网站首页 | 政务公开 | 公告公示")
