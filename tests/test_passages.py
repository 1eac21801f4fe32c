"""Passages found by what they say: problems passages, formulas, turns, ；-lists.

All texts are made up (a fictitious 青禾县), shaped like 政府工作报告.
"""

from __future__ import annotations

from summarizer.ingest.documents import Document, document_from_text
from summarizer.ingest.metadata import guess_metadata
from summarizer.structure.passages import formula_reason, is_problems_opening
from summarizer.structure.sections import Outline, parse_outline

HEAD = "青禾县政府工作报告\n各位代表：\n现在，我代表县人民政府向大会报告工作，请予审议。\n"
REVIEW = (
    "一、2031年工作回顾\n"
    "过去一年，全县生产总值增长6%，新建道路40公里，改造校舍12所，群众生活持续改善。\n"
    "城乡建设稳步推进，完成农村危房改造300户，新增绿地面积15公顷，各项事业协调发展。\n"
)
PLAN = (
    "二、2032年主要任务\n"
    "加快产业升级，培育规模以上企业20家，推动园区扩容提质，全年新增投资50亿元。\n"
    "提升民生保障水平，新建养老服务中心5个，城镇新增就业3000人，办好十件民生实事。\n"
)


def outline(body: str) -> Outline:
    doc = document_from_text(HEAD + body, doc_id="t")
    return parse_outline(doc, year=guess_metadata(doc).year)


def units_of(o: Outline, role: str) -> list[str]:
    return [u.text for u in o.units if u.role == role]


def test_problems_passage_with_points_in_one_paragraph() -> None:
    problems = (
        "在肯定成绩的同时，我们也清醒地看到，全县发展还存在不少困难和问题。"
        "一是产业链条偏短，龙头企业带动能力不强。二是城乡公共服务差距较大，农村学校师资不足。"
        "三是少数干部担当不够。对此，我们将认真加以解决。\n"
    )
    o = outline(REVIEW + problems + PLAN)
    assert units_of(o, "shortcoming") == [
        "一是产业链条偏短，龙头企业带动能力不强。",
        "二是城乡公共服务差距较大，农村学校师资不足。",
        "三是少数干部担当不够。",
    ]
    others = units_of(o, "other")
    assert any(t.startswith("在肯定成绩的同时") for t in others)  # the intro: no item
    assert "对此，我们将认真加以解决。" in others  # the closing: no item


def test_problems_passage_listed_by_semicolons() -> None:
    problems = (
        "我们也清醒认识到，经济运行仍面临一些困难，政府工作还存在不足，主要是：工业投资增长乏力；"
        "财政收支平衡压力加大；基层治理能力有待提升。我们一定直面问题，努力加以改进。\n"
    )
    o = outline(REVIEW + problems + PLAN)
    assert units_of(o, "shortcoming") == [
        "工业投资增长乏力；",
        "财政收支平衡压力加大；",
        "基层治理能力有待提升。",
    ]


def test_problems_passage_over_marked_paragraphs_ends_at_a_plain_one() -> None:
    problems = (
        "回顾一年来的工作，我们也要清醒地看到存在的问题和不足，主要表现在：\n"
        "一是县域经济总量偏小，税源结构单一，财政增收后劲不足，发展质量有待提高。\n"
        "二是生态环境治理任务艰巨，部分河道水质尚未稳定达标，治理还需加大力度。\n"
        "各项社会事业全面进步，新增城镇就业2100人，完成全部民生实事。\n"
    )
    o = outline(REVIEW + problems + PLAN)
    assert [t[:2] for t in units_of(o, "shortcoming")] == ["一是", "二是"]
    assert any(t.startswith("各项社会事业") for t in units_of(o, "achievement"))


def test_a_complete_problems_paragraph_does_not_swallow_the_next_review_point() -> None:
    review = (
        "一、2031年工作回顾\n"
        "（一）经济运行稳中有进。全县生产总值增长6%，新建道路40公里，改造校舍12所。\n"
        "我们也清醒地看到，工业经济中还存在不少困难和问题，龙头企业偏少，配套能力不强。\n"
        "（二）城乡面貌持续改善。完成农村危房改造300户，新增绿地面积15公顷。\n"
    )
    o = outline(review + PLAN)
    assert any(t.startswith("（二）城乡面貌") for t in units_of(o, "achievement"))
    assert len(units_of(o, "shortcoming")) == 1


def test_problems_passage_without_points_is_one_item_and_its_closing_paragraph_none() -> None:
    problems = (
        "我们清醒地看到，前进道路上还有不少困难和问题。农民增收渠道不宽，企业融资难问题依然存在，"
        "一些地方安全隐患较多。\n"
        "对这些问题，我们必须高度重视，认真加以解决。\n"
    )
    o = outline(REVIEW + problems + PLAN)
    shortcomings = units_of(o, "shortcoming")
    assert len(shortcomings) == 1 and "农民增收渠道不宽" in shortcomings[0]
    assert "对这些问题，我们必须高度重视，认真加以解决。" in units_of(o, "other")


def test_opening_needs_an_admission_and_a_problem() -> None:
    assert is_problems_opening("我们也清醒地看到，工作中还存在一些差距。一是…")
    assert is_problems_opening("在总结成绩的同时，全县发展仍面临不少困难和挑战。")
    assert is_problems_opening("各位代表！我们也清醒地认识到，工作中还存在不少问题和不足：一是…")
    assert is_problems_opening("居安思危，知难而进。我们清醒的认识到，发展中还有不少短板。")
    assert is_problems_opening("成绩来之不易，我们也深知工作中还有不少问题。一是…")
    assert not is_problems_opening("我们清醒地看到，发展机遇前所未有。")
    assert not is_problems_opening("全县解决群众反映的问题1200件。")


def test_formula_paragraphs_state_no_item() -> None:
    assert formula_reason("各位代表！") == "greeting"
    thanks = "成绩来之不易。在此，我代表县人民政府，向全县人民表示衷心的感谢！"
    assert formula_reason(thanks) == "thanks"
    assert formula_reason("今年是实施新一轮规划的开局之年，做好今年工作意义重大。") == "scene"
    scene_with_tasks = "今年是开局之年。政府工作的总体要求是：稳中求进，改革创新。"
    assert formula_reason(scene_with_tasks) is None
    assert formula_reason("各位代表，让我们团结一心，砥砺前行！") == "call"
    assert formula_reason("做好今年工作，重点抓好以下六个方面工作：") == "lead-in"
    assert formula_reason("我们深刻体会到，必须始终坚持以人民为中心。") == "lessons"
    assert (
        formula_reason("新建养老服务中心5个，城镇新增就业3000人，粮食产量稳定在50万吨以上。")
        is None
    )


def test_content_before_a_closing_formula_stays_an_item() -> None:
    targets = (
        "全县主要预期目标是：生产总值增长6%，一般公共预算收入增长5%，城镇新增就业3000人，粮食产量稳定在50万吨以上。"
        "为此，重点抓好以下五个方面工作：\n"
    )
    o = outline(REVIEW + PLAN + targets)
    target = (
        "全县主要预期目标是：生产总值增长6%，一般公共预算收入增长5%，"
        "城镇新增就业3000人，粮食产量稳定在50万吨以上。"
    )
    assert target in units_of(o, "plan")
    assert "为此，重点抓好以下五个方面工作：" in units_of(o, "other")
    rhetoric_then_thanks = (
        "各位代表！五年砥砺奋进，青禾发展之路越走越宽广！这些成绩的取得，是全县人民团结奋斗的结果。"
        "在此，我代表县人民政府，向全县人民表示衷心的感谢！"
    )
    assert formula_reason(rhetoric_then_thanks) == "thanks"


def test_thanks_closes_the_review_and_the_call_closes_the_report() -> None:
    thanks = "各位代表！成绩来之不易。我代表县人民政府，向全县人民致以崇高的敬意！\n"
    call = "各位代表！让我们在县委的坚强领导下，奋力开创青禾发展新局面！\n"
    o = outline(REVIEW + thanks + PLAN + call)
    assert not any("敬意" in t or "让我们" in t for t in units_of(o, "achievement"))
    assert not any("让我们" in t for t in units_of(o, "plan"))


def test_a_plan_paragraph_turning_from_the_past_year_to_the_new_one() -> None:
    turn = (
        "过去一年，工会、共青团、妇联等群团组织工作取得新进步；"
        "新的一年，我们要支持其发挥更大作用。\n"
    )
    o = outline(REVIEW + PLAN + turn)
    assert "过去一年，工会、共青团、妇联等群团组织工作取得新进步；" in units_of(o, "achievement")
    assert "新的一年，我们要支持其发挥更大作用。" in units_of(o, "plan")


def test_plan_semicolon_list_and_the_sentence_after_it() -> None:
    plan = (
        "二、2032年主要任务\n"
        "推进教育提质。改扩建中小学8所；新增公办幼儿园学位1200个；建成职教实训基地1个。"
        "全面落实教师待遇保障政策，稳定乡村教师队伍，激发办学活力。\n"
    )
    o = outline(REVIEW + plan)
    assert units_of(o, "plan") == [
        "推进教育提质。改扩建中小学8所；",
        "新增公办幼儿园学位1200个；",
        "建成职教实训基地1个。",
        "全面落实教师待遇保障政策，稳定乡村教师队伍，激发办学活力。",
    ]


def test_a_plan_part_announced_by_the_year_after_the_reporting_year() -> None:
    text = (
        "政 府 工 作 报 告\n时间：2034-02-01 来源：某网站\n"
        "——2032年1月20日在青禾县第九届人民代表大会第三次会议上\n各位代表：\n"
        "现在，我代表县人民政府向大会作工作报告，请予审议。\n"
        "一、2031年经济工作回顾\n"
        "全县生产总值增长6%，新建道路40公里，改造校舍12所，群众生活持续改善。\n"
        "二、2032年发展思路和工作重点\n"
        "培育规模以上企业20家，推动园区扩容提质，全年新增投资50亿元。\n"
    )
    doc = document_from_text(text, doc_id="t")
    assert guess_metadata(doc).year == 2031  # not 2033 from the page's date
    o = parse_outline(doc, year=2031)
    assert units_of(o, "plan") == ["培育规模以上企业20家，推动园区扩容提质，全年新增投资50亿元。"]


def test_a_flattened_table_and_an_appendix_are_kept_out_with_their_reason() -> None:
    table = "\n".join(
        ["附件1", "青禾县2032年重点工程", "序", "号", "项目名称", "建设内容", "责任单位"]
        + [c for k in range(1, 5) for c in (str(k), f"第{k}号道路", "新建道路", "总投资", "交通局")]
    )
    text = HEAD + REVIEW + PLAN + "各位代表！让我们团结奋斗，再创佳绩！\n" + table + "\n"
    doc = document_from_text(text, doc_id="t")
    reasons = {
        doc.text[s:e].split("\n")[0]: doc.exclusion_reason(k)
        for k, (s, e) in enumerate(doc.excluded)
    }
    assert reasons.get("附件1") == "appendix"
    o = parse_outline(doc, year=guess_metadata(doc).year)
    assert not any("交通局" in u.text or "项目名称" in u.text for u in o.units)


def test_a_table_inside_the_body_is_recorded_as_a_table() -> None:
    cells = ["序号", "项目名称", "责任单位"] + [
        c for k in range(1, 6) for c in (str(k), f"青禾{k}号桥", "交通局")
    ]
    text = HEAD + REVIEW + "\n".join(cells) + "\n" + PLAN
    doc = document_from_text(text, doc_id="t")
    assert "table" in doc.excluded_reasons
    o = parse_outline(doc, year=guess_metadata(doc).year)
    assert not any("交通局" in u.text for u in o.units)
    assert len(units_of(o, "plan")) == 2  # the plan after the table is still read


def test_documents_without_reasons_count_every_range_as_furniture() -> None:
    doc = Document(doc_id="t", text="abc", excluded=((0, 1),))
    assert doc.exclusion_reason(0) == "furniture"
