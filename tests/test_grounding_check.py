"""One grounding check: the validator, the repair and the final item check agree (made-up text)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from summarizer.extract.grounding import build_item
from summarizer.extract.validation import (
    UnitAnswer,
    answer_model,
    answer_problems,
    grounding_problems,
    repair,
    ungrounded_figures,
)
from summarizer.ingest.documents import document_from_text
from summarizer.structure.sections import parse_outline

UNIT = "全年新建口袋公园4个，改造老旧小区12个，惠及居民3000余户。"
LEAD = "全年新建口袋公园4个"
ALLOWED = [4.0, 12.0, 3000.0]


def test_problems_are_structured_and_name_what_was_stated() -> None:
    found = grounding_problems(
        ALLOWED,
        figures=["4个", "15个", "很多"],
        summary="新建公园4个，改造小区20个。",
        unit_id="u1",
    )
    assert [(p.code, p.value) for p in found] == [
        ("ungrounded_figure", "15个"),
        ("not_a_figure", "很多"),
        ("ungrounded_summary", "20个"),
    ]
    assert all(p.for_model.startswith("u1: ") for p in found)
    assert grounding_problems(ALLOWED, figures=["4个", "1.2万"], summary="惠及3000余户") == [
        p for p in grounding_problems(ALLOWED, figures=["1.2万"])
    ]


@pytest.mark.parametrize(
    "answer",
    [
        UnitAnswer(category="achievement", summary="新建口袋公园4个，改造老旧小区12个。"),
        UnitAnswer(category="achievement", summary="新建口袋公园5个。", figures=["5个"]),
        UnitAnswer(category="plan", summary="明年继续推进乡村振兴工作部署。"),  # off its unit
        UnitAnswer(category="none", summary="明年继续推进乡村振兴工作部署。"),  # none: not checked
        UnitAnswer(category="none", summary=""),
        UnitAnswer(category="none", summary="共20个。"),  # a figure is checked even for none
    ],
)
def test_the_validator_and_the_repair_agree(answer: UnitAnswer) -> None:
    model = answer_model(["u1"])
    context = {"figures": {"u1": ALLOWED}, "texts": {"u1": UNIT}}
    try:
        model.model_validate({"u1": answer.model_dump()}, context=context)
        rejected = False
    except ValidationError:
        rejected = True
    repaired, notes = repair("u1", answer, ALLOWED, LEAD, UNIT)
    assert rejected == bool(notes) == bool(answer_problems("u1", answer, ALLOWED, UNIT))
    if notes:  # what the repair leaves passes the same check
        assert answer_problems("u1", repaired, ALLOWED, UNIT) == []


def test_the_final_check_uses_the_same_rule() -> None:
    doc = document_from_text("一、工作成效\n" + UNIT + "\n")
    unit = next(u for u in parse_outline(doc).units if "口袋公园" in u.text)
    item = build_item("i1", text=doc.text, units=[unit], category="achievement",
                      summary="新建口袋公园4个，惠及居民3000余户。")  # fmt: skip
    assert ungrounded_figures(item) == []
    wrong = item.model_copy(update={"summary": "新建口袋公园40个。"})
    assert ungrounded_figures(wrong) == ["40个"]
