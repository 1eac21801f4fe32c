"""Figures by convention (rankings, thresholds, ratios, fractions, split digits…).

Every text is made up; each test names the class of figure it covers.
"""

from __future__ import annotations

import pytest

from summarizer.figures.numbers import find_figures, parse_figure, values_match


def texts(s: str) -> list[str]:
    return [f.text for f in find_figures(s)]


def test_digits_split_by_pdf_extraction_are_one_number() -> None:
    [fig] = find_figures("全年实现税收收入42.7 3亿元。")
    assert fig.text == "42.7 3亿元" and values_match(fig.value, 4_273_000_000)
    assert parse_figure("42.7 3亿元").value == fig.value  # gold and prediction read alike
    assert texts("2031 12条") == []  # a year before a space is not the head of a number


def test_space_before_a_number_and_its_unit() -> None:
    assert texts("帮扶近 2500 农户脱困") == ["近 2500 农户"]


def test_fractions_arabic_and_chinese() -> None:
    found = find_figures("外来人口占比近1/4，本地约五分之二。")
    assert [f.text for f in found] == ["近1/4", "约五分之二"]
    assert values_match(found[0].value, 0.25) and values_match(found[1].value, 0.4)
    assert texts("2031/05/06发布") == [] and texts("每吨30元/吨") == ["30元/吨"]


def test_ratios_of_three_parts_and_ratio_values() -> None:
    assert texts("三次产业结构调整为12.1:40.6:47.3。") == ["12.1:40.6:47.3"]
    assert texts("城乡收入比值由2.61下降到2.48。") == ["2.61", "2.48"]
    assert texts("会议于9:30开始") == []  # a time, not a ratio


def test_per_mille_and_ranges_with_the_unit_repeated() -> None:
    assert texts("出生率控制在6.5‰以内") == ["6.5‰以内"]
    [rng] = find_figures("增速保持在4%—5%之间")
    assert rng.text == "4%—5%" and rng.value == 4.0


def test_rankings_need_a_scope_or_a_ranking_verb() -> None:
    assert texts("增速居全省第3位，排名进入全国前20位，位列同类地区前五。") == [
        "第3位",
        "前20位",
        "前五",
    ]
    assert texts("综合考核全市第一，入选全国40强。") == ["第一", "40强"]
    assert texts("第一批试点") == [] and texts("根据第三条规定") == []
    assert texts("召开第二次会议") == []


def test_thresholds_and_bare_magnitudes() -> None:
    assert texts("打造3个百亿级产业集群和一个千亿级园区") == ["3个", "百亿级", "千亿级"]
    assert texts("培育超亿元企业，年产值超千万的企业") == ["超亿元", "超千万"]
    assert texts("建成十万吨冷链仓库，流转土地万亩，近百万群众受益") == [
        "十万吨",
        "万亩",
        "近百万",
    ]
    assert texts("千家万户") == [] and texts("千方百计") == [] and texts("百万人口") == []


def test_lists_sharing_one_unit() -> None:
    assert texts("增速分别提高2.4、3.1个百分点") == ["2.4", "3.1个百分点"]


def test_durations_and_magnitudes_that_are_not_dates() -> None:
    assert texts("人均受教育年限由9.8年提高到10.4年左右") == ["9.8年", "10.4年左右"]
    assert texts("劳动年龄人口平均受教育年限达12年") == ["12年"]
    assert texts("遭受5.2级地震") == ["5.2级"]
    assert texts("连续5年保持增长") == [] and texts("实施三年行动") == []


@pytest.mark.parametrize(
    ("text", "figure"),
    [
        ("新建水厂一座。", "一座"),
        ("每人掌握一门以上技能", "一门以上"),
        ("外贸额占全省一半以上", "一半以上"),
        ("工业投资保持两位数增长", "两位数"),
        ("建成算力规模3000P", "3000P"),
        ("储能电站容量达12GWh", "12GWh"),
        ("跨省合作覆盖5县", "5县"),
    ],
)
def test_counts_in_shapes_of_their_own(text: str, figure: str) -> None:
    assert texts(text) == [figure]


def test_articles_and_codes_stay_out() -> None:
    assert texts("形成一座城市的名片") == []  # 一 before a noun: an article
    assert texts("5G基站") == [] and texts("PM2.5") == []
    assert parse_figure("一半以上") is not None and parse_figure("一半以上").value == 50.0
