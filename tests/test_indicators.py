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


def test_a_verb_of_attainment_is_no_part_of_the_name() -> None:
    got = named("全市建成数据中心算力规模800P，城市建成区面积达到60平方公里。")
    assert got["800P"].name == "数据中心算力规模"  # type: ignore[union-attr]
    assert got["60平方公里"].name == "城市建成区面积"  # type: ignore[union-attr]
    got = named("污水管网建成率达到96%。")
    assert got["96%"].name == "污水管网建成率"  # type: ignore[union-attr]


def test_a_list_shares_the_tail_of_its_last_part() -> None:
    got = named("接待本地游客、境外游客人次分别增长6%、9%。")
    assert got["6%"].name == "接待本地游客人次"  # type: ignore[union-attr]
    assert got["9%"].name == "境外游客人次"  # type: ignore[union-attr]
    got = named("用能权、排污权交易规模分别增长40%、25%。")
    assert got["40%"].name == "用能权交易规模"  # type: ignore[union-attr]
    assert got["25%"].name == "排污权交易规模"  # type: ignore[union-attr]
    # parts that are whole names share nothing
    got = named("一般公共预算收入、税收收入分别增长4%、3%。")
    assert got["4%"].name == "一般公共预算收入"  # type: ignore[union-attr]
    assert got["3%"].name == "税收收入"  # type: ignore[union-attr]


def test_shares_of_a_fenbie_list_go_to_each_name() -> None:
    got = named("数字产业、新材料产业增加值分别增长9%、11%，占规模以上工业比重分别达到15%、22%。")
    assert got["15%"].name == "数字产业增加值占规模以上工业比重"  # type: ignore[union-attr]
    assert got["22%"].name == "新材料产业增加值占规模以上工业比重"  # type: ignore[union-attr]
    assert got["22%"].measure == "level"  # type: ignore[union-attr]


def test_a_rate_after_an_untagged_figure_is_not_the_earlier_name() -> None:
    got = named("涉农贷款余额300亿元、增长9%，注册各类合作社1.2万家、增长3%。")
    assert got["9%"].name == "涉农贷款余额"  # type: ignore[union-attr]
    assert got["1.2万家"] is None
    assert got["3%"] is None
    # a figure in between that can be the same thing's does not break the subject
    got = named("全县生产总值完成60亿元，按可比价格计算上升8%，年均增长4%。")
    assert got["4%"].name == "生产总值"  # type: ignore[union-attr]


def test_things_listed_with_fenbie_before_a_head_are_no_indicator() -> None:
    got = named("甲公司、乙公司、丙厂分别实现税收2亿元、1亿元、0.5亿元。")
    assert all(t is None for t in got.values())


def test_a_breakdown_after_qizhong_is_a_part_of_the_indicator() -> None:
    got = named("全社会固定资产投资完成30亿元，增长20%，其中民间投资主体完成18亿元，增长25%。")
    assert got["18亿元"].name == "民间投资主体固定资产投资"  # type: ignore[union-attr]
    assert got["18亿元"].canonical is None  # type: ignore[union-attr]
    assert got["25%"].name == "民间投资主体固定资产投资"  # type: ignore[union-attr]
    # a breakdown into counted things is none
    got = named("全社会固定资产投资完成30亿元，其中新开工12个。")
    assert got["12个"] is None


def test_a_ratio_of_the_last_head_is_the_last_names_ratio() -> None:
    got = named("全省研发经费投入增长12%、投入强度达到2.1%。")
    assert got["2.1%"].name == "研发经费投入强度"  # type: ignore[union-attr]
    assert got["2.1%"].canonical == "rd_intensity"  # type: ignore[union-attr]
    got = named("接待游客800万人次，游客花费90亿元。")
    assert got["90亿元"].name == "游客花费"  # type: ignore[union-attr]


def test_a_second_fenbie_clause_goes_back_to_the_list() -> None:
    got = named("城乡居民人均可支配收入分别达到41000元和19000元，分别增长6.1%、7.3%。")
    assert got["6.1%"].name == "城镇居民人均可支配收入"  # type: ignore[union-attr]
    assert got["7.3%"].name == "农村居民人均可支配收入"  # type: ignore[union-attr]
    assert got["7.3%"].measure == "change"  # type: ignore[union-attr]


def test_fenbie_after_a_thing_the_rules_do_not_name() -> None:
    got = named("全年接待游客500万人次，实现综合效益20亿元，分别增长12%、15%。")
    assert got["12%"].name == "接待游客"  # type: ignore[union-attr]
    assert got["15%"] is None
    # two amounts of one name are two things; a count before them is not among the last
    got = named("全市设立银行12家，金融机构存贷款余额分别达90亿元、60亿元，分别增长8%、5%。")
    assert got["8%"].name == "金融机构存贷款余额"  # type: ignore[union-attr]
    assert got["5%"].name == "金融机构存贷款余额"  # type: ignore[union-attr]


def test_a_later_year_in_a_goal_sentence_is_the_goals_period() -> None:
    text = "2033年全县经济总量翻一番，地区生产总值突破300亿元，年均增长7%。"
    got = named(text, kind="target", year=2030, section="今后五年的目标")
    assert got["300亿元"].period == "2033"  # type: ignore[union-attr]
    assert got["7%"].period == "2031-2033"  # type: ignore[union-attr]
    got = named("到 2034 年，社会消费品零售总额达到90亿元，年均增长6%。", kind="target", year=2030)
    assert got["90亿元"].period == "2034"  # type: ignore[union-attr]
    assert got["6%"].period == "2031-2034"  # type: ignore[union-attr]
    # the coming year's targets keep the coming year
    got = named("2031年地区生产总值增长6%。", kind="target", year=2030)
    assert got["6%"].period == "2031"  # type: ignore[union-attr]
