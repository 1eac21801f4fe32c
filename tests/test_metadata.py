"""Tests for summarizer.ingest.metadata: title, issuer and reporting year."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from summarizer.ingest.documents import document_from_text, load_document
from summarizer.ingest.metadata import DocMeta, guess_metadata

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "evals" / "seed"
SEED_DOCS = sorted((SEED / "docs").glob("*.txt"))
EXTRA_DOCS_DIR = ROOT.parent / "shared" / "extra" / "docs"


@pytest.mark.parametrize("path", SEED_DOCS, ids=lambda p: p.stem)
def test_seed_metadata_matches_gold(path: Path) -> None:
    gold = json.loads((SEED / "gold" / f"{path.stem}.json").read_text(encoding="utf-8"))
    meta = guess_metadata(load_document(path))
    assert meta == DocMeta(title=gold["title"], issuer=gold["issuer"], year=gold["year"])


def test_docmeta_is_frozen() -> None:
    meta = DocMeta(title="t", issuer=None, year=2020)
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta.year = 2021  # type: ignore[misc]


def _extra_docs() -> list[Path]:
    return sorted(EXTRA_DOCS_DIR.glob("*.txt")) if EXTRA_DOCS_DIR.is_dir() else []


@pytest.mark.skipif(not _extra_docs(), reason="shared/extra/docs not present")
@pytest.mark.parametrize("path", _extra_docs(), ids=lambda p: p.stem)
def test_extra_docs_sensible(path: Path) -> None:
    meta = guess_metadata(load_document(path))
    assert meta.title
    assert "报告" in meta.title
    assert meta.year is not None
    assert 1990 <= meta.year <= 2030
    # File names carry the year the work report was delivered; it reviews the year before.
    delivered = int(re.search(r"_(\d{4})$", path.stem).group(1))  # type: ignore[union-attr]
    assert meta.year == delivered - 1
    if meta.issuer is not None:
        assert meta.issuer.endswith(("人民政府", "国务院"))


@pytest.mark.skipif(not _extra_docs(), reason="shared/extra/docs not present")
def test_extra_docs_issuers() -> None:
    issuers = {p.stem: guess_metadata(load_document(p)).issuer for p in _extra_docs()}
    assert issuers["02_rongcheng_county_2012"] == "容城县人民政府"  # 第十四届 dropped
    assert issuers["07_xinjiang_region_2025"] == "新疆维吾尔自治区人民政府"
    assert issuers["10_tianjin_municipality_2026"] == "天津市人民政府"
    assert issuers["12_gansu_prov_2026"] == "甘肃省人民政府"
    assert issuers["13_statecouncil_national_2004"] == "国务院"
    assert issuers["05_xinan_county_2024"] is None  # "县人民政府": the county is never named


# --------------------------------------------------------------------------- rules on small texts


def _meta(text: str) -> DocMeta:
    return guess_metadata(document_from_text(text))


def test_split_title_joined_and_issuer_from_line() -> None:
    meta = _meta(
        "某某县人民政府\n关于2020年度法治政府建设工作情况的报告\n"
        "2020年，我县扎实推进法治政府建设。现将有关情况报告如下：\n"
    )
    assert meta == DocMeta(
        "某某县人民政府关于2020年度法治政府建设工作情况的报告", "某某县人民政府", 2020
    )


def test_title_after_furniture_and_issuer_before_year() -> None:
    meta = _meta(
        "无障碍版 长者助手\n您当前的位置: > >公告公示\n\n"
        "某街道2022年度法治政府建设情况报告\n发布时间:2023年01月05日\n"
        "一年来，某街道依法行政工作进一步规范。\n"
    )
    assert meta == DocMeta("某街道2022年度法治政府建设情况报告", "某街道", 2022)


def test_year_from_signature_date_when_title_has_none() -> None:
    meta = _meta(
        "关于法治政府建设情况的报告\n今年以来，我镇持续推进依法行政。\n"
        "下一步，我镇将继续加强培训。\n某某镇人民政府\n2023年1月10日\n"
    )
    assert meta == DocMeta("关于法治政府建设情况的报告", "某某镇人民政府", 2022)


def test_year_from_intro_sentence() -> None:
    meta = _meta("工作情况报告\n现将我镇2018年度依法行政工作情况报告如下：\n一、主要做法\n")
    assert meta.year == 2018


def test_gov_report_generic_issuer_qualified_by_place() -> None:
    meta = _meta(
        "政府工作报告\n——2030年1月20日在某某省第十五届人民代表大会第三次会议上\n"
        "各位代表：\n现在，我代表省人民政府，向大会报告工作，请予审议。\n"
        "一、2029年工作回顾\n过去一年，全省生产总值增长5%。\n二、2030年工作安排\n"
    )
    assert meta == DocMeta("政府工作报告", "某某省人民政府", 2029)


def test_gov_report_year_from_plan_or_date() -> None:
    plan = _meta(
        "各位代表：\n我代表市人民政府向大会报告工作。\n过去一年工作很多。\n二、2012年主要任务\n"
    )
    assert plan.year == 2011
    assert plan.title == "政府工作报告"
    assert plan.issuer is None
    dated = _meta(
        "2015年某市政府工作报告\n——二〇一五年一月九日在某市第三届人民代表大会上\n"
        "各位代表：\n现在，我代表市人民政府，向大会报告工作。\n"
    )
    assert dated == DocMeta("2015年某市政府工作报告", "某市人民政府", 2014)


def test_title_from_metadata_field() -> None:
    meta = _meta(
        "标题：2021年某某市政府工作报告\n发文单位：某某市人民政府\n正文：\n"
        "各位代表：\n现在，我代表市人民政府向大会作工作报告。\n刚刚过去的2020年是极不平凡的一年。\n"
    )
    assert meta == DocMeta("2021年某某市政府工作报告", "某某市人民政府", 2020)


def test_nothing_known() -> None:
    assert _meta("今年共受理案件95宗，同比增长10%。") == DocMeta(None, None, None)


# --- the session a report was delivered at (made-up counties) -----------------------------


def _meta(text: str):  # type: ignore[no-untyped-def]
    from summarizer.ingest.documents import document_from_text
    from summarizer.ingest.metadata import guess_metadata

    return guess_metadata(document_from_text(text, doc_id="t"))


def test_session_place_is_the_issuer_and_date_gives_the_year() -> None:
    m = _meta(
        "政府工作报告\n（2031年1月20日在高山县第九届人民代表大会第三次会议上）\n各位代表：\n"
        "现在，我代表县人民政府，向大会报告工作。\n一、过去一年工作回顾\n全县生产总值增长6%。\n"
    )
    assert m.issuer == "高山县人民政府"
    assert m.year == 2030


def test_a_county_inside_another_name_is_not_merged() -> None:
    # 提高山县… must never read as a county called 高山县 or 山县
    m = _meta(
        "政府工作报告\n（2031年1月20日在山县第九届人民代表大会第三次会议上）\n各位代表：\n"
        "现在，我代表县人民政府，向大会报告工作。要提高山县的综合实力。\n"
    )
    assert m.issuer == "山县人民政府"


def test_header_title_place_when_no_session_line() -> None:
    m = _meta(
        "工作报告\n某市河东区2031年政府工作报告\n各位代表：\n现在，我代表区人民政府向大会报告工作。\n"
        "一、2030年工作回顾\n"
    )
    assert m.issuer == "某市河东区人民政府"
    assert m.year == 2030


def test_report_is_never_about_the_year_it_was_delivered() -> None:
    m = _meta(
        "政府工作报告\n——2031年3月1日在平川县第五届人民代表大会第一次会议上\n各位代表：\n"
        "现在，我代表县人民政府向大会报告工作。2031年工作安排如下。\n"
    )
    assert m.year == 2030
