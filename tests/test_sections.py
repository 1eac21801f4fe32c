"""Sections, units and roles on hand-made texts and on the seed reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.ingest.documents import Document
from summarizer.ingest.metadata import guess_metadata
from summarizer.structure.roles import classify_heading, unit_role_override
from summarizer.structure.sections import parse_outline

SEED = Path(__file__).resolve().parent.parent / "evals" / "seed"
EXTRA = Path(__file__).resolve().parents[2] / "shared" / "extra" / "docs"


def outline(text: str, year: int | None = 2023):
    return parse_outline(Document(doc_id="t", text=text), year=year)


def test_heading_families_nest_in_order_of_appearance() -> None:
    text = (
        "某镇2023年工作报告\n前言一段，说明情况，现报告如下。这是一段足够长的前言文字用于测试。\n"
        "一、工作回顾\n（一）强化组织领导\n1、完善制度，建立机制。\n2、加强学习，提高能力。\n"
        "（二）推进依法行政\n一是规范执法。二是强化监督。\n"
        "二、存在问题\n一是执法力量薄弱；二是制度不健全。\n"
        "三、下一步工作计划\n继续加强干部法治学习；完善依法行政工作机制。\n"
    )
    o = outline(text)
    titles = [(s.level, s.title, s.role) for s in o.sections]
    assert titles == [
        (1, "工作回顾", "achievement"),
        (2, "强化组织领导", "achievement"),
        (2, "推进依法行政", "achievement"),
        (1, "存在问题", "shortcoming"),
        (1, "下一步工作计划", "plan"),
    ]
    got = [(u.text, u.role) for u in o.units]
    assert got == [
        ("1、完善制度，建立机制。", "achievement"),
        ("2、加强学习，提高能力。", "achievement"),
        ("一是规范执法。", "achievement"),
        ("二是强化监督。", "achievement"),
        ("一是执法力量薄弱；", "shortcoming"),
        ("二是制度不健全。", "shortcoming"),
        ("继续加强干部法治学习；", "plan"),
        ("完善依法行政工作机制。", "plan"),
    ]
    for u in o.units:
        assert text[u.start : u.end] == u.text


def test_semicolons_split_only_outside_achievements() -> None:
    text = (
        "标题\n这是一段足够长的前言文字，用于说明报告的背景和目的，现报告如下。\n"
        "一、主要成效\n受理案件11宗；办结10宗，办结率91%；回复率100%。\n"
        "二、下一步打算\n加强培训工作力度；完善监督机制建设。\n"
    )
    o = outline(text)
    assert [u.role for u in o.units] == ["achievement", "plan", "plan"]


def test_lead_sentence_joins_first_inline_point_but_intro_does_not() -> None:
    text = (
        "标题\n这是一段足够长的前言文字，用于说明报告的背景和目的，现报告如下。\n"
        "一、主要举措\n筑牢防控网络，疫情防控无缝隙。一是织密防控网。二是开展核酸检测。\n"
        "二、存在的不足\n经过不懈努力，我镇在各个领域都取得了显著的成绩，但在某些方面仍然存在一些问题和不足。"
        "一是力量薄弱。二是制度不全。\n"
    )
    o = outline(text)
    texts = [u.text for u in o.units]
    assert texts[0] == "筑牢防控网络，疫情防控无缝隙。一是织密防控网。"
    assert texts[1] == "二是开展核酸检测。"
    assert texts[2:] == ["一是力量薄弱。", "二是制度不全。"]


def test_unmarked_short_lines_are_headings_and_signatures_are_not_items() -> None:
    text = (
        "某市人民政府2021年法治政府建设情况年度报告\n这是一段足够长的前言文字，用于说明报告的背景和目的，现报告如下。\n"
        "一、依法履行政府职能\n(一)深化改革\n"
        "推进政务服务延伸基层\n2021年，我市组织实施便民服务活动，打通服务基层最后一公里。\n"
        "某市人民政府\n2021年12月31日\n"
    )
    o = outline(text, year=2021)
    assert [s.title for s in o.sections] == ["依法履行政府职能", "深化改革", "推进政务服务延伸基层"]
    assert [u.text[:4] for u in o.units] == ["2021"]


def test_roles_from_headings_and_position() -> None:
    assert classify_heading("推进法治政府建设存在的不足、原因和问题整改情况") == "shortcoming"
    assert classify_heading("问题整改情况") == "achievement"
    assert classify_heading("2025年推进法治政府建设的初步安排", year=2024) == "plan"
    assert classify_heading("2024年工作回顾", year=2024) == "achievement"
    assert classify_heading("强化组织保障，健全工作机制") is None
    assert unit_role_override("今后，我镇将继续加强学习。", "achievement") == "plan"
    assert unit_role_override("2020年,我县将继续深化改革。", "achievement", year=2019) == "plan"
    assert (
        unit_role_override("在总结成绩的同时，我们也清醒地认识到，发展不足。", "achievement")
        == "shortcoming"
    )
    # unlabelled top sections after a plan section are plans (government work reports)
    text = (
        "标题\n这是一段足够长的前言文字，用于说明报告的背景和目的，现报告如下。\n"
        "一、2023年工作回顾\n经济运行稳中向好，地区生产总值增长5%。\n"
        "二、2024年工作安排\n扩大有效投资，推动工业提质增效。\n"
        "三、建设人民满意的服务型政府\n坚持依法行政，加强作风建设。\n"
    )
    assert [u.role for u in outline(text).units] == ["achievement", "plan", "plan"]


def test_hard_wrapped_paragraphs_are_rejoined() -> None:
    text = (
        "标题\n这是一段足够长的前言文字，用于说明报告的背景和目的，现报告如下。\n"
        "一、工作回顾\n去年春天，我国遭遇了一场非典疫情重大灾害。党中央、国务院把人民群众的身体健康和\n"
        "中华人民共和国传染病防治法\n》，制定《\n突发公共卫生事件应急条例\n》，如实公布疫情。\n"
    )
    o = outline(text)
    assert len(o.units) == 1 and o.units[0].text.endswith("如实公布疫情。")
    assert [s.title for s in o.sections] == ["工作回顾"]


def test_no_headings_every_paragraph_is_a_unit() -> None:
    text = "一份没有标题的报告\n今年我们完成了很多工作，成效明显。\n明年将继续努力。\n"
    o = outline(text)
    assert not o.sections
    assert [u.text for u in o.units] == ["今年我们完成了很多工作，成效明显。", "明年将继续努力。"]


def test_excluded_ranges_are_skipped() -> None:
    text = (
        "标题\n无障碍版 长者助手\n这是一段足够长的前言文字，说明背景，现报告如下。\n"
        "一、工作回顾\n完成了工作。\n"
    )
    nav = text.index("无障碍版")
    doc = Document(doc_id="t", text=text, excluded=((nav, nav + len("无障碍版 长者助手")),))
    o = parse_outline(doc)
    assert all("无障碍" not in u.text for u in o.units)


@pytest.mark.parametrize(
    "gold_path", sorted((SEED / "gold").glob("*.json")), ids=lambda p: p.stem[:3]
)
def test_seed_units_cover_gold_items(gold_path: Path) -> None:
    """Every gold item is one unit with the gold category (structure alone, no model)."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    text = (SEED / "docs" / gold["doc"]).read_text(encoding="utf-8")
    o = parse_outline(Document(doc_id="t", text=text), year=gold["year"])
    spans = {(u.start, u.end): u.role for u in o.units}
    hits = 0
    for it in gold["items"]:
        best = max(o.units, key=lambda u: min(u.end, it["end"]) - max(u.start, it["start"]))
        overlap = min(best.end, it["end"]) - max(best.start, it["start"])
        shorter = min(best.end - best.start, it["end"] - it["start"])
        hits += overlap * 2 >= shorter and best.role == it["category"]
    assert hits / len(gold["items"]) >= 0.9
    assert len(spans) == len(o.units)


@pytest.mark.skipif(not EXTRA.is_dir(), reason="../shared/extra not present")
def test_unseen_reports_have_sensible_structure() -> None:
    """Government work reports nobody tuned for: a review, then plans; nothing crashes."""
    for path in sorted(EXTRA.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        doc = Document(doc_id=path.stem, text=text)
        o = parse_outline(doc, year=guess_metadata(doc).year)
        roles = [u.role for u in o.units]
        assert roles.count("achievement") >= 5, path.name
        assert roles.count("plan") >= 5, path.name
        # reviews come before plans: the first plan unit follows the first achievement
        assert roles.index("achievement") < roles.index("plan"), path.name
        for u in o.units:
            assert text[u.start : u.end] == u.text


def test_role_source_tells_settled_roles_from_the_default_flow() -> None:
    text = (
        "某市2023年政府工作报告\n"
        "一、深化行政执法改革\n"  # topical, nothing labelled before it: the default flow
        "下放行政处罚事权12项。\n"
        "二、2024年工作安排\n"  # a labelled plan part
        "推进综合执法改革。\n"
        "三、加强政府自身建设\n"  # unlabelled, after the plan part: still plans
        "(一)坚持依法行政。严格执行重大行政决策程序。\n"
    )
    units = outline(text).units
    got = [(u.text[:6], u.role, u.role_source) for u in units]
    assert got == [
        ("下放行政处罚", "achievement", "position"),
        ("推进综合执法", "plan", "heading"),
        ("(一)坚持依", "plan", "flow"),
    ]


def test_an_unlabelled_section_after_a_labelled_review_is_left_open() -> None:
    text = (
        "某市2023年政府工作报告\n"
        "一、2023年工作回顾\n"
        "办结案件95宗。\n"
        "二、扎实推进高质量发展\n"  # could be either: left to the model
        "建成项目12个。\n"
    )
    units = outline(text).units
    assert [(u.role, u.role_source) for u in units] == [
        ("achievement", "heading"),
        ("achievement", "position"),
    ]
