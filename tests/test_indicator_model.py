"""Indicator names from the model (``all`` scope): kept only when written in the unit."""

from __future__ import annotations

from pathlib import Path

from fake_openai import FakeOpenAI, answer
from test_llm_backend import TEXT, good, settings_for

from summarizer import summarize
from summarizer.extract.validation import NamedIndicator, UnitAnswer, indicator_notes
from summarizer.figures.indicators import INDICATOR_NAMED, INDICATOR_REJECTED
from summarizer.figures.numbers import find_figures


def test_indicator_notes_keep_names_written_in_the_unit() -> None:
    text = "全县接待游客120万人次，新建公园3个。"
    figures = find_figures(text)
    ans = UnitAnswer(
        category="achievement",
        summary="接待游客120万人次",
        indicators=[
            NamedIndicator(figure="120万人次", name="接待游客"),
            NamedIndicator(figure="3个", name="公园覆盖率"),  # not written in the unit
            NamedIndicator(figure="99个", name="公园"),  # no such figure
        ],
    )
    notes = indicator_notes("u1", ans, text, figures)
    assert [n.code for n in notes] == [INDICATOR_NAMED, INDICATOR_REJECTED, INDICATOR_REJECTED]
    start = text.index("120")
    assert notes[0].value == f"{start}:{start + len('120万人次')}:接待游客"


def test_model_names_tag_figures_the_rules_leave(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    u1 = dict(good()["u1"])  # type: ignore[arg-type]
    u1["indicators"] = [
        {"figure": "11宗", "name": "群众信访举报"},
        {"figure": "4次", "name": "全年会议总量"},  # not in the text: rejected, recorded
    ]
    fake_openai.enqueue(answer(good(u1=u1)))
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    item = s.achievements[0]
    tagged = {f.text: f.indicator for f in item.figures}
    assert tagged["11宗"] is not None and tagged["11宗"].name == "群众信访举报"
    assert tagged["11宗"].kind == "actual" and tagged["11宗"].measure == "level"
    assert tagged["4次"] is None
    codes = [n.code for n in item.validation]
    assert INDICATOR_NAMED in codes and INDICATOR_REJECTED in codes
