"""Compressive rules summaries (summarizer.extract.summaries), on made-up text."""

from __future__ import annotations

import itertools
import random

import pytest

from summarizer.evaluation.summaries import has_marker, has_rhetoric, numbers_outside
from summarizer.extract.summaries import LIMIT, compress
from summarizer.figures.numbers import find_figures, values_match


def pieces_of(summary: str) -> list[str]:
    return [p for p in summary.split("，") if p]


def assert_grounded(summary: str, unit: str) -> None:
    """Every piece is a substring of the unit; every number the summary states is the unit's."""
    for piece in pieces_of(summary):
        assert piece in unit, (piece, unit)
    allowed = [f.value for f in find_figures(unit)]
    for f in find_figures(summary):
        assert any(values_match(f.value, v) for v in allowed), (f.text, summary)
    assert numbers_outside(summary, [unit]) == []


def test_marker_and_run_in_heading_lead() -> None:
    unit = "一是加强调解队伍建设。全镇配备专职调解员12名，调解成功率达到96%。"
    s = compress(unit)
    assert not has_marker(s) and not s.startswith("一是")
    assert s.startswith("加强调解队伍建设")
    assert "12名" in s and "96%" in s
    assert len(s) <= LIMIT
    assert_grounded(s, unit)


@pytest.mark.parametrize("marker", ["（三）", "3、", "(2)", "第二，", "——", "二、", "①", "1."])
def test_every_marker_family_is_dropped(marker: str) -> None:
    unit = f"{marker}完善河道巡查制度。每周巡查一次，发现问题及时交办。"
    s = compress(unit)
    assert s.startswith("完善河道巡查制度"), s
    assert not has_marker(s)


def test_formulaic_preambles_are_dropped() -> None:
    unit = (
        "坚持以新发展理念为指导，深入贯彻全区工作会议精神，全面落实上级考察讲话精神，"
        "在县委的坚强领导下，"
        "新建乡村道路18公里，改造危旧桥梁4座。"
    )
    s = compress(unit)
    assert not has_rhetoric(s), s
    assert "坚持以" not in s and "精神" not in s and "领导下" not in s
    assert "18公里" in s and "4座" in s
    assert_grounded(s, unit)


def test_openers_and_scene_setting_are_dropped() -> None:
    unit = (
        "我们也清醒地看到，工作中还存在一些问题和不足。"
        "同时，面对复杂多变的形势，部分村级组织服务能力偏弱。"
    )
    s = compress(unit)
    assert s == "部分村级组织服务能力偏弱", s


@pytest.mark.parametrize("admission", ["应该清醒地看到", "还应当清醒的看到", "我们必须清醒认识到"])
def test_an_admission_repeated_before_each_problem_is_dropped(admission: str) -> None:
    # a problems passage that repeats its admission formula before every problem
    unit = f"{admission}，乡村道路养护资金还不够充足，需要多方筹措。"
    s = compress(unit)
    assert s.startswith("乡村道路养护资金还不够充足"), s
    assert_grounded(s, unit)


def test_figures_before_the_heading_when_both_do_not_fit() -> None:
    unit = (
        "二是持续加强基层人民调解组织规范化建设。全镇配备专职调解员12名，"
        "开展业务培训3期，调解成功率达到96%。"
    )
    s = compress(unit)
    assert "12名" in s and "3期" in s and "96%" in s, s
    assert len(s) <= LIMIT


def test_a_stated_problem_is_not_taken_for_the_intro_to_problems() -> None:
    unit = "二是基层执法存在短板，专业人员存在不足。"
    assert compress(unit) == "基层执法存在短板，专业人员存在不足"


def test_opener_words_do_not_eat_into_nouns() -> None:
    assert compress("要素保障持续加强，新增建设用地1200亩。").startswith("要素保障持续加强")
    assert compress("要加快推进园区扩容提质。").startswith("加快推进园区扩容提质")


def test_sub_counts_come_after_the_total() -> None:
    unit = "全年共受理各类纠纷案件260件，其中婚姻家庭纠纷95件、邻里纠纷40件，调解成功率98%。"
    s = compress(unit)
    assert "260件" in s and "98%" in s
    assert "95件" not in s and "40件" not in s
    assert_grounded(s, unit)


def test_totals_come_before_other_figures() -> None:
    unit = (
        "新建口袋公园6个，改造背街小巷21条，修缮古桥3座，"
        "全镇地区生产总值达到38.5亿元，一般公共预算收入完成2.1亿元。"
    )
    s = compress(unit)
    assert "38.5亿元" in s and "2.1亿元" in s, s
    assert len(s) <= LIMIT
    assert_grounded(s, unit)


def test_long_unit_is_cut_to_the_limit_without_cutting_a_number() -> None:
    unit = "推进" + "农村人居环境整治和美丽乡村示范片区建设" * 4 + "，完成投资1234万元。"
    s = compress(unit)
    assert len(s) <= LIMIT
    assert "1234万元" in s
    assert_grounded(s, unit)


def test_nothing_but_framing_gives_empty() -> None:
    assert compress("回顾一年来的工作，我们也清醒地看到，还存在一些问题和不足。") == ""


def test_short_target_clause_is_kept_whole() -> None:
    unit = "城镇新增就业岗位保持在4500个以上；"
    assert compress(unit) == "城镇新增就业岗位保持在4500个以上"


# A pool of made-up clauses, combined at random: whatever the mix, every piece of
# the summary comes from the unit and states no number the unit does not.
_CLAUSES = [
    "一是强化执法监督",
    "（二）优化营商环境",
    "坚持以人民为中心为指导",
    "深入贯彻上级会议精神",
    "在镇党委的正确领导下",
    "全年办理行政审批事项1520件",
    "其中即办件830件",
    "群众满意率达到99.2%",
    "新建标准化厂房4.6万平方米",
    "我们也清醒地看到",
    "部分干部法治意识仍然淡薄",
    "同时",
    "完成“三项制度”改革",
    "培训执法人员300余人次",
    "2023年",
    "财政收入增长7.5%",
    "PM2.5平均浓度下降",
]
_ENDS = ["，", "。", "；", "：", "、", "\n"]


def test_grounding_holds_by_construction_on_random_units() -> None:
    rng = random.Random(20261205)
    for _ in range(400):
        n = rng.randint(1, 9)
        parts = rng.sample(_CLAUSES, n)
        unit = "".join(p + rng.choice(_ENDS) for p in parts)
        s = compress(unit)
        assert len(s) <= LIMIT, (unit, s)
        assert not has_marker(s), (unit, s)
        assert not has_rhetoric(s), (unit, s)
        assert_grounded(s, unit)


def test_every_pair_of_clauses() -> None:
    for a, b in itertools.permutations(_CLAUSES, 2):
        unit = f"{a}。{b}。"
        s = compress(unit)
        assert_grounded(s, unit)


def test_figure_keeps_its_whole_indicator_name() -> None:
    unit = (
        "推进园区提质。引进配套企业23家，落地技改项目41个，"
        "新签约重点项目投资总额达到56亿元，全县规模以上工业增加值增长8.6%。"
    )
    s = compress(unit)
    assert "规模以上工业增加值增长8.6%" in s, s
    assert_grounded(s, unit)


def test_headline_indicator_before_counts() -> None:
    unit = (
        "做强特色产业，建成示范基地12个、冷链仓库35座、电商服务站108个，"
        "培育龙头企业17家，新增城镇就业1.2万人，城镇调查失业率控制在4.8%。"
    )
    s = compress(unit, limit=30)
    assert "城镇调查失业率控制在4.8%" in s and "108个" not in s, s
    assert_grounded(s, unit)


def test_value_reached_before_starting_value() -> None:
    unit = "城乡融合加快推进，建成美丽乡村42个，常住人口城镇化率由47.5%提高到51.2%。"
    s = compress(unit, limit=30)
    assert "51.2%" in s, s
    assert_grounded(s, unit)


def test_breakdown_after_qizhong_runs_to_sentence_end() -> None:
    unit = (
        "深化审批改革，全年办理项目备案216个，其中：内资项目170个，外资项目46个，"
        "计划总投资88.5亿元。审批时限压缩至5个工作日。"
    )
    s = compress(unit, limit=30)
    assert "170个" not in s and "46个" not in s and "88.5亿元" not in s, s
    assert "216个" in s, s
    assert_grounded(s, unit)


def test_fenbie_list_keeps_all_its_names() -> None:
    unit = (
        "安全形势稳定向好，道路交通事故起数、死亡人数分别下降12.4%、9.7%，"
        "新建应急避难场所14处，培训安全员320人次。"
    )
    s = compress(unit)
    assert "道路交通事故起数、死亡人数分别下降12.4%、9.7%" in s, s
    assert_grounded(s, unit)


def test_reporting_body_and_adverbs_of_manner_are_dropped() -> None:
    unit = "健全监督机制。我区进一步完善内部审计制度，切实加强对专项资金的跟踪检查。"
    s = compress(unit)
    assert "完善内部审计制度" in s and "我区" not in s and "进一步" not in s, s
    assert "切实" not in s, s
    assert_grounded(s, unit)
    # a clause that would be too short without them keeps them
    assert compress("积极推进立法。") == "积极推进立法"


def test_total_before_other_rates() -> None:
    unit = (
        "政务服务提速增效，网上可办率达到98.2%，群众满意率达到99.1%，公共资源交易总额达到64.3亿元。"
    )
    s = compress(unit, limit=24)
    assert "交易总额达到64.3亿元" in s, s
    assert_grounded(s, unit)


def test_what_a_count_counts_follows_it() -> None:
    unit = (
        "加强法律服务。今年共为辖区内的12家规模以上企业开展了专项法治体检活动，"
        "发放宣传资料300份，群众反映良好，工作得到认可。"
    )
    s = compress(unit)
    assert "12家规模以上企业开展了专项法治体检活动" in s, s
    assert_grounded(s, unit)


def test_time_frame_and_its_verdict_are_dropped() -> None:
    unit = "刚刚过去的2023年，全区地区生产总值增长6.2%，城镇新增就业1.8万人。"
    s = compress(unit)
    assert "过去" not in s and "地区生产总值增长6.2%" in s, s
    unit = "这是砥砺奋进、成果丰硕的五年，全县建成高标准农田12万亩，新改建农村公路860公里。"
    s = compress(unit)
    assert "这是" not in s and "12万亩" in s, s
    assert_grounded(s, unit)


def test_fenbie_list_values_go_together() -> None:
    unit = (
        "工业提质增效，电子信息、新材料产业产值分别增长15.2%、11.8%，"
        "完成技改投资8亿元，新增规模以上工业企业46家。"
    )
    s = compress(unit, limit=36)
    assert "分别增长15.2%、11.8%" in s, s
    assert_grounded(s, unit)


def test_change_of_a_named_indicator_before_minor_levels() -> None:
    unit = (
        "创新能力持续增强，科技特派员覆盖率达到96.5%，新认定科技型中小企业38家，"
        "技术合同成交额增长21.5%。"
    )
    s = compress(unit, limit=22)
    assert "技术合同成交额增长21.5%" in s, s
    assert_grounded(s, unit)
