"""Indicator tags on figures, on made-up report text (never copied from a real report)."""

from __future__ import annotations

from summarizer.figures.indicators import IndicatorTag, canonical_key, load_vocabulary, tag_figures
from summarizer.figures.numbers import find_figures


def tags(text: str, *, kind: str = "actual", year: int = 2030, section: str = "") -> list:
    figs = find_figures(text)
    out = tag_figures(
        text,
        [(f.start, f.end, f.unit) for f in figs],
        spans=[(0, len(text))],
        kind=kind,  # type: ignore[arg-type]
        year=year,
        section=section,
    )
    return [(f.text, t) for f, t in zip(figs, out, strict=True)]


def named(text: str, **kw: object) -> dict[str, IndicatorTag | None]:
    return dict(tags(text, **kw))  # type: ignore[arg-type]


def test_growth_rate_and_amount_with_carried_subject() -> None:
    got = named("全县地区生产总值完成88.8亿元，同比增长7.7%。")
    assert got["88.8亿元"] == IndicatorTag("地区生产总值", "gdp", "level", "actual", "2030")
    assert got["7.7%"] == IndicatorTag("地区生产总值", "gdp", "change", "actual", "2030")


def test_counts_of_projects_are_not_indicators() -> None:
    got = named("新建学校12所，改造道路35公里，15个重点项目完成投资9亿元。")
    assert all(t is None for t in got.values())


def test_target_passage_is_next_year() -> None:
    got = named("主要预期目标是：一般公共预算收入增长6%左右", kind="target", year=2030)
    assert got["6%左右"] == IndicatorTag(
        "一般公共预算收入", "general_budget_revenue", "change", "target", "2031"
    )


def test_level_targets_and_held_rates() -> None:
    got = named("城镇登记失业率控制在4.5%以内；粮食产量稳定在90万吨以上", kind="target", year=2030)
    assert got["4.5%以内"] == IndicatorTag(
        "城镇登记失业率", "unemployment_rate", "level", "target", "2031"
    )
    assert got["90万吨以上"].name == "粮食产量"  # type: ignore[union-attr]
    assert got["90万吨以上"].measure == "level"  # type: ignore[union-attr]


def test_points_are_a_change() -> None:
    got = named("常住人口城镇化率提高1.3个百分点。")
    assert got["1.3个百分点"].measure == "change"  # type: ignore[union-attr]
    assert got["1.3个百分点"].canonical == "urbanisation_rate"  # type: ignore[union-attr]


def test_from_to_gives_base_and_end_levels() -> None:
    got = named("森林覆盖率由40.1%提高到43.2%。", year=2030)
    assert got["40.1%"] == IndicatorTag("森林覆盖率", None, "level", "actual", "2029")
    assert got["43.2%"] == IndicatorTag("森林覆盖率", None, "level", "actual", "2030")


def test_list_with_fenbie_shares_the_head() -> None:
    got = named("城镇、农村居民人均可支配收入分别增长5.5%、7.1%。")
    assert got["5.5%"].name == "城镇居民人均可支配收入"  # type: ignore[union-attr]
    assert got["7.1%"].name == "农村居民人均可支配收入"  # type: ignore[union-attr]
    assert got["7.1%"].measure == "change"  # type: ignore[union-attr]
    got = named("城乡居民人均可支配收入分别增长6%和8%", kind="target")
    assert got["6%"].canonical == "urban_income"  # type: ignore[union-attr]
    assert got["8%"].canonical == "rural_income"  # type: ignore[union-attr]


def test_fenbie_after_a_list_of_amounts() -> None:
    got = named("接待游客120万人次、旅游收入9亿元，分别增长11%、13%。")
    assert got["11%"].name == "接待游客"  # type: ignore[union-attr]
    assert got["13%"].name == "旅游收入"  # type: ignore[union-attr]


def test_five_year_review_gives_ranges_for_changes() -> None:
    text = "过去五年，全市生产总值年均增长6.2%，达到300亿元。"
    got = named(text, year=2030)
    assert got["6.2%"].period == "2026-2030"  # type: ignore[union-attr]
    assert got["300亿元"].period == "2030"  # type: ignore[union-attr]


def test_five_year_plan_targets() -> None:
    got = named(
        "全区生产总值年均增长5%以上，森林覆盖率达到30%",
        kind="target",
        year=2030,
        section="“十七五”时期的主要目标",
    )
    assert got["5%以上"].period == "2031-2035"  # type: ignore[union-attr]
    assert got["30%"].period == "2035"  # type: ignore[union-attr]


def test_written_year_wins() -> None:
    got = named("到2040年，社会消费品零售总额突破500亿元", kind="target", year=2030)
    assert got["500亿元"].period == "2040"  # type: ignore[union-attr]


def test_ratio_does_not_carry_to_counts() -> None:
    got = named("高中阶段毛入学率达到95%，新建学校4所。")
    assert got["95%"] is not None
    assert got["4所"] is None


def test_canonical_keys_come_from_the_data_file() -> None:
    vocab = load_vocabulary()
    assert vocab.canonical["生产总值"] == "gdp"
    assert canonical_key("全省地区生产总值") == "gdp"
    assert canonical_key("某项产业产值") is None


def test_target_passage_inside_a_review_item_is_a_target() -> None:
    text = "今年经济社会发展的主要预期目标是：地区生产总值增长6%；固定资产投资增长8%左右。"
    got = named(text, kind="actual", year=2030)
    assert got["6%"].kind == "target" and got["6%"].period == "2031"  # type: ignore[union-attr]
    assert got["8%左右"].kind == "target"  # type: ignore[union-attr]
    later = named("去年预期目标是：增长6%。全县生产总值增长7%。", kind="actual", year=2030)
    assert later["7%"].kind == "actual"  # type: ignore[union-attr]


def test_cumulative_change_covers_the_years() -> None:
    got = named("全县生产总值由50亿元增长到70亿元，累计增长40%。", year=2030)
    assert got["40%"].period == "2026-2030"  # type: ignore[union-attr]


def test_a_yearly_flow_in_a_five_year_passage_is_a_sum() -> None:
    got = named("五年来，城镇新增就业1.5万人，常住人口城镇化率达到60%。", year=2030)
    assert got["1.5万人"].period == "2026-2030"  # type: ignore[union-attr]
    assert got["60%"].period == "2030"  # type: ignore[union-attr]
