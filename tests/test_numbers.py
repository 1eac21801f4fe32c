"""Tests for summarizer.figures.numbers: finding, normalising and comparing figures."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from summarizer.errors import InputError, SummarizerError
from summarizer.figures.numbers import (
    STOPLIST,
    UNITS,
    Figure,
    find_figures,
    normalise_value,
    parse_figure,
    values_match,
)

SEED = Path(__file__).resolve().parents[1] / "evals" / "seed"


def texts(text: str) -> list[str]:
    return [f.text for f in find_figures(text)]


def only(text: str) -> Figure:
    figures = find_figures(text)
    assert len(figures) == 1, figures
    return figures[0]


# --------------------------------------------------------------------------- finding


@pytest.mark.parametrize(
    ("text", "figure", "value", "unit", "qualifier"),
    [
        # Arabic numerals, decimals, percentages
        ("共受理民间纠纷案件95宗,", "95宗", 95, "宗", ""),
        ("办结率91%;", "91%", 91, "%", ""),
        ("办结率９１％。", "９１％", 91, "%", ""),
        ("GDP增长6.5%，", "6.5%", 6.5, "%", ""),
        ("完成70.15%。", "70.15%", 70.15, "%", ""),
        ("提高3个百分点", "3个百分点", 3, "个百分点", ""),
        # multipliers
        ("受教育群众1万多人。", "1万多人", 10_000, "人", "多"),
        ("税收195.72亿元,", "195.72亿元", 19_572_000_000, "亿元", ""),
        ("生产总值3.2万亿元，", "3.2万亿元", 3.2e12, "万亿元", ""),
        ("投资1000万余元,", "1000万余元", 10_000_000, "元", "余"),
        ("掌握13万余名居民", "13万余名", 130_000, "名", "余"),
        ("拆除违法建筑282万平方米。", "282万平方米", 2_820_000, "万平方米", ""),
        ("发放宣传材料近9千多份,", "近9千多份", 9000, "份", "近+多"),
        ("总投资 7100 万元的", "7100 万元", 71_000_000, "万元", ""),
        # Chinese and mixed numerals
        ("留言三万五千多条。", "三万五千多条", 35_000, "条", "多"),
        ("完成全镇十三万余条居民信息录入", "十三万余条", 130_000, "条", "余"),
        ("开展基层理论宣讲百余场。", "百余场", 100, "场", "余"),
        ("悬挂布标千余件，", "千余件", 1000, "件", "余"),
        ("设置两个法律部门", "两个", 2, "个", ""),
        ("等两种方式", "两种", 2, "种", ""),
        ("满意率达百分之九十", "百分之九十", 90, "%", ""),
        ("占三分之一以上", "三分之一以上", 1 / 3, "", "以上"),
        ("增长一倍", "一倍", 1, "倍", ""),
        ("新增三点五万人", "三点五万人", 35_000, "万人", ""),
        ("游客111万、增长", "111万", 1_110_000, "", ""),
        # qualifiers
        ("法律咨询近300人次。", "近300人次", 300, "人次", "近"),
        ("服务群众2000多人次,", "2000多人次", 2000, "人次", "多"),
        ("群众满意度达到98%以上。", "98%以上", 98, "%", "以上"),
        ("考试平均90分以上。", "90分以上", 90, "分", "以上"),
        ("等500人以上规模企业", "500人以上", 500, "人", "以上"),
        ("查处案件60余起。", "60余起", 60, "起", "余"),
        ("增长8%左右，", "8%左右", 8, "%", "左右"),
        ("投资5000万元以上的项目", "5000万元以上", 50_000_000, "万元", "以上"),
        ("产值超过2200亿元", "超过2200亿元", 2.2e11, "亿元", "超过"),
        ("约3.5亿元", "约3.5亿元", 3.5e8, "亿元", "约"),
        ("占比不足5%", "不足5%", 5, "%", "不足"),
        # units: longest match first, compounds
        ("压缩至3617个工作日", "3617个工作日", 3617, "个工作日", ""),
        ("接种111833剂次", "111833剂次", 111_833, "剂次", ""),
        ("抽检25批次", "25批次", 25, "批次", ""),
        ("开展7场次", "7场次", 7, "场次", ""),
        ("城乡低保标准645元/月", "645元/月", 645, "元/月", ""),
        ("14个人大代表联络站", "14个", 14, "个", ""),
        ("打造1-2个主导产业", "1-2个", 1, "个", "-"),
    ],
)
def test_finds_figure(text: str, figure: str, value: float, unit: str, qualifier: str) -> None:
    found = only(text)
    assert found.text == figure
    assert text[found.start : found.end] == figure
    assert values_match(found.value, value), found
    assert found.unit == unit
    assert found.qualifier == qualifier


def test_several_figures_in_order() -> None:
    text = "全年镇纪检监察室共接收群众信访举报件11宗,办结10宗,在办1宗,办结率91%;"
    assert texts(text) == ["11宗", "10宗", "1宗", "91%"]


def test_thousands_separators() -> None:
    # ASCII comma between ASCII digits, full-width comma between full-width digits: grouping.
    assert only("共1,234人").value == 1234
    assert only("共1,234,567.5元").value == 1_234_567.5
    assert only("共１，２３４人").value == 1234
    # A Chinese comma after ASCII digits separates clauses; bad grouping is no grouping.
    assert texts("办结12，345人参加") == ["345人"]
    assert texts("受理15件,200人参加") == ["15件", "200人"]
    assert texts("共1,23人") == ["23人"]


def test_full_width_digits() -> None:
    figure = only("受理１２３件")
    assert (figure.text, figure.value, figure.unit) == ("１２３件", 123, "件")


# --------------------------------------------------------------------------- exclusions


# fmt: off
NOT_FIGURES = [
    # dates, periods, times
    "2019年，东凤镇", "现将我镇2019年度法治政府建设工作情况报告如下", "6月开展主题活动",
    "2019年1-12月,我镇", "自2021年1月1日起施行", "2021.12.18召开", "12月3日,我市",
    "16:38发布", "16时38分", "近3年来", "1.7月2日,罗定市委", "3.12月3日,我市举办",
    "小河镇2024 年法治政府", "庆祝建党100周年", "发布日期:2020-03-30 分享",
    # list markers
    "1、进一步加强", "2.依法履行", "(1)推进", "（一）加强组织领导", "一是完善", "二是加强",
    "第一责任人", "四是健全监督机制",
    # document and article numbers, codes
    "《东凤镇实施方案》(东发〔2019〕13号)", "〔2019〕", "第三条规定", "第3次会议",
    "12345平台", "PM2.5浓度", "建成5G基站", "4A级景区",
    # named concepts
    "三项制度", "落实行政执法“三项制度”", "十九大", "十九届四中全会", "八五普法",
    "“八五”普法", '"八五"普法', "一窗通办", "两个维护", "四个意识", "四个自信",
    "一村一法律顾问", "一门办理", "一次办", "最多跑一次", "六个走遍", "三人小组",
    "一支队伍", "两平台", "三重一大", "多证合一", "一元主导", "“一村一律师”",
    "中心设立“24小时自助服务区”", "“亲商八条”服务活动", "《关于加快发展的十条意见》",
    "八项规定", "四套班子", "城乡二元结构",
    # 一 as an article, 二 as an ordinal, approximate and bare numerals
    "一批", "进一步", "一体化", "一线", "一把手", "统一审查", "一是", "一项重要内容",
    "二次供水", "二期工程", "数十家", "几十个", "千家万户", "千方百计", "百万人口",
    "十分重要", "三级网格体系", "三四个",
    # ordinals, sessions, ranks
    "十四届人大二次会议", "十五届四次、五次、六次、七次全会", "县十三次党代会",
    "三次产业结构", "第一批试点", "第二次会议", "百强县",
]
# fmt: on


@pytest.mark.parametrize("text", NOT_FIGURES)
def test_not_a_figure(text: str) -> None:
    assert find_figures(text) == []


def test_qualifier_blocked_by_the_word_it_belongs_to() -> None:
    assert texts("节约1000万元") == ["1000万元"]
    assert texts("最近3个月") == ["3个月"]
    assert texts("多达500多人") == ["500多人"]
    assert texts("达到98%以上") == ["98%以上"]


def test_stoplist_is_documented_and_units_match_longest_first() -> None:
    assert {"三项制度", "两个维护", "三人小组", "一窗通办"} <= set(STOPLIST)
    assert {"人次", "个工作日", "平方米", "剂次"} <= set(UNITS)
    assert [f.unit for f in find_figures("5人次，3个工作日，10平方米，2场次")] == [
        "人次",
        "个工作日",
        "平方米",
        "场次",
    ]


# --------------------------------------------------------------------------- windows


def test_window_gives_absolute_offsets() -> None:
    text = "前言。共办结11宗,回复率100%。后记有5人。"
    start = text.index("共")
    end = text.index("后")
    figures = find_figures(text, start, end)
    assert [f.text for f in figures] == ["11宗", "100%"]
    for figure in figures:
        assert text[figure.start : figure.end] == figure.text
    assert figures[0].start == text.index("11宗")


def test_window_sees_context_outside_itself() -> None:
    text = "落实“三项制度”"
    assert find_figures(text, text.index("三"), text.index("”")) == []


@pytest.mark.parametrize(("start", "end"), [(-1, None), (5, 2), (0, 999)])
def test_bad_window_is_an_input_error(start: int, end: int | None) -> None:
    with pytest.raises(InputError):
        find_figures("共办结11宗", start, end)
    assert issubclass(InputError, SummarizerError)


def test_empty_text() -> None:
    assert find_figures("") == []


# --------------------------------------------------------------------------- parsing, values


@pytest.mark.parametrize(
    ("text", "value", "unit", "qualifier"),
    [
        ("95宗", 95, "宗", ""),
        ("1.2万人", 12_000, "万人", ""),
        ("百分之九十", 90, "%", ""),
        ("近300人次", 300, "人次", "近"),
        ("91％", 91, "%", ""),
        ("三万五千多条", 35_000, "条", "多"),
        ("两万五", 25_000, "", ""),  # colloquial, through cn2an's normal mode
        ("共95宗案件", 95, "宗", ""),
        ("0.94", 0.94, "", ""),
    ],
)
def test_parse_figure(text: str, value: float, unit: str, qualifier: str) -> None:
    figure = parse_figure(text)
    assert figure is not None
    assert (figure.text, figure.start, figure.end) == (text, 0, len(text))
    assert values_match(figure.value, value)
    assert (figure.unit, figure.qualifier) == (unit, qualifier)


@pytest.mark.parametrize("text", ["", "无", "若干", "百", "三四"])
def test_parse_figure_without_number(text: str) -> None:
    assert parse_figure(text) is None


def test_parse_figure_prefers_a_figure_with_unit() -> None:
    figure = parse_figure("2019年办结95宗")
    assert figure is not None and figure.value == 95 and figure.unit == "宗"


def test_normalise_value() -> None:
    assert normalise_value("1.2万") == 12_000
    assert normalise_value("三万五千") == 35_000
    assert normalise_value("百分之九十") == 90
    assert normalise_value("１，２３４") == 1234
    assert normalise_value("二十万") == 200_000
    assert normalise_value("没有") is None


def test_values_match() -> None:
    assert values_match(19_572_000_000, 195.72e8)
    assert values_match(91.0, 91)
    assert values_match(0.0, 0.0)
    assert values_match(1_000_000, 1_000_000.5)
    assert not values_match(1_000_000, 1_000_010)
    assert not values_match(0.94, 94)  # a fraction and a percentage are not the same
    assert not values_match(12, 120_000)
    assert not values_match(float("nan"), float("nan"))


# --------------------------------------------------------------------------- gold gate


def _gold_counts() -> tuple[int, int, int, list[str]]:
    gold_total = found_total = matched = 0
    diffs: list[str] = []
    for path in sorted((SEED / "gold").glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        with open(SEED / "docs" / gold["doc"], encoding="utf-8") as fh:
            text = fh.read()  # text mode: universal newlines, as the guidelines say
        for item in gold["items"]:
            assert text[item["start"] : item["end"]] == item["quote"]
            figures = find_figures(text, item["start"], item["end"])
            for figure in figures:
                assert text[figure.start : figure.end] == figure.text
                assert item["start"] <= figure.start < figure.end <= item["end"]
            want, got = Counter(item["figures"]), Counter(f.text for f in figures)
            gold_total += sum(want.values())
            found_total += sum(got.values())
            matched += sum((want & got).values())
            if want != got:
                diffs.append(f"{path.stem}: missed {dict(want - got)} extra {dict(got - want)}")
    return gold_total, found_total, matched, diffs


def test_seed_gold_recall_and_precision() -> None:
    gold_total, found_total, matched, diffs = _gold_counts()
    assert gold_total > 150, "seed gold is missing"
    recall, precision = matched / gold_total, matched / found_total
    detail = f"recall {recall:.3f} precision {precision:.3f}\n" + "\n".join(diffs)
    assert recall >= 0.97, detail
    assert precision >= 0.95, detail


# --------------------------------------------------------------------------- speed


def _seed_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((SEED / "docs").glob("*.txt")))


def test_one_megabyte_in_under_five_seconds() -> None:
    """CPU seconds of this thread, not wall time: a loaded machine must not fail it."""
    seed = _seed_text()
    text = (seed * (1_000_000 // len(seed) + 1))[:1_000_000]
    began = time.thread_time()
    figures = find_figures(text)
    assert time.thread_time() - began < 5
    assert len(figures) > 1000


@pytest.mark.parametrize(
    "text",
    [
        "1" * 1_000_000,
        "三" * 1_000_000,
        "“" + "三个" * 300_000,
        "《" + "3个" * 300_000,
        "近1万余人以上，" * 100_000,
    ],
    ids=["digits", "chinese-numerals", "unclosed-quote", "unclosed-title", "dense"],
)
def test_adversarial_input_stays_linear(text: str) -> None:
    """A quarter of the input takes about a quarter of the CPU time (a quadratic rule
    would take a sixteenth), and the whole stays within five CPU seconds."""
    quarter = text[: len(text) // 4]
    began = time.thread_time()
    find_figures(quarter)
    small = time.thread_time() - began
    began = time.thread_time()
    find_figures(text)
    whole = time.thread_time() - began
    assert whole < 5
    assert whole < 8 * small + 0.05  # linear: ~4x; the margin absorbs timer granularity


def test_remembered_figures_are_the_same_and_a_callers_own_list() -> None:
    """A short string's figures are remembered; each call still gets its own list, equal to
    what a window into a longer text finds at the same place."""
    text = "办结行政复议案件95宗，培训执法人员1200人次"
    first = find_figures(text)
    first.append(first[0])  # the caller's list: changing it changes nothing remembered
    again = find_figures(text)
    assert [f.text for f in again] == ["95宗", "1200人次"]
    padded = "前言。" + text
    window = find_figures(padded, 3, len(padded))
    assert [(f.text, f.start - 3, f.value) for f in window] == [
        (f.text, f.start, f.value) for f in again
    ]
