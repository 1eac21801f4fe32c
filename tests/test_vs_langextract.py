"""The langextract head-to-head's own parts: the metering proxy and the conversion.

langextract itself is a benchmark-only dependency and is not needed here: the
proxy is tested with the real openai SDK against the loopback fake endpoint,
and the conversion with extraction objects shaped like langextract's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import openai
from fake_openai import FakeOpenAI, answer

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import _langextract_setup as lxs  # noqa: E402
from _meter import Meter  # noqa: E402

from summarizer.evaluation.metrics import item_range  # noqa: E402


def _ask(url: str, response_format: dict[str, object] | None = None) -> None:
    client = openai.OpenAI(base_url=url, api_key="k", max_retries=0)
    extra = {"response_format": response_format} if response_format else {}
    client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        **extra,  # type: ignore[arg-type]
    )


def test_meter_counts_calls_tokens_and_busy_time_per_tag(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(answer({"a": 1}), answer({"a": 2}), answer({"a": 3}))
    with Meter(fake_openai.base_url) as meter:
        with meter.tagged("x|doc1"):
            _ask(meter.url)
            _ask(meter.url)
        with meter.tagged("y|doc1"):
            t = time.perf_counter()
            _ask(meter.url)
            elapsed = time.perf_counter() - t
    x, y = meter.tally("x|doc1"), meter.tally("y|doc1")
    assert (x.calls, x.prompt_tokens, x.completion_tokens, x.failed) == (2, 200, 40, 0)
    assert (y.calls, y.prompt_tokens, y.completion_tokens) == (1, 100, 20)
    assert 0 < y.busy_seconds <= elapsed
    assert meter.tally("nobody").calls == 0
    assert len(fake_openai.chat_requests) == 3  # every call reached the endpoint


def test_meter_rewrites_json_schema_for_llama_cpp_only_when_asked(fake_openai: FakeOpenAI) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "n", "schema": schema}}
    fake_openai.enqueue(answer({"a": 1}), answer({"a": 2}))
    with Meter(fake_openai.base_url, llama_cpp_dialect=True) as meter:
        _ask(meter.url, fmt)
    with Meter(fake_openai.base_url) as meter:
        _ask(meter.url, fmt)
    rewritten, untouched = (r.body["response_format"] for r in fake_openai.chat_requests)
    assert rewritten == {"type": "json_object", "schema": schema}
    assert untouched == fmt


def _extraction(cls: str, text: str, span: tuple[int, int] | None, **attrs: object) -> object:
    interval = SimpleNamespace(start_pos=span[0], end_pos=span[1]) if span else None
    return SimpleNamespace(
        extraction_class=cls, extraction_text=text, char_interval=interval, attributes=attrs
    )


def test_langextract_extractions_become_scoreable_items() -> None:
    text = "一、成效\n办理案件95宗，办结率100%。\n二、计划\n明年培训300人次。\n"
    a = text.index("办理")
    p = text.index("明年")
    annotated = SimpleNamespace(
        extractions=[
            _extraction("achievement", "办理案件95宗", (a, a + 7), figures=["95宗", "100%"]),
            _extraction("plan", "明年培训300人次", (p, p + 9), figures="300人次、许多"),
            _extraction("shortcoming", "不存在的文字", None, figures=["12项"]),
            _extraction("topic", "一、成效", (0, 4)),  # not one of the three categories
        ]
    )
    summary, unaligned = lxs.to_summary("d", text, annotated, model="m")
    assert unaligned == 1
    assert [it.category for it in summary.items()] == ["shortcoming", "achievement", "plan"]
    ach = summary.achievements[0]
    assert item_range(ach) == (a, a + 7) and ach.evidence[0].text == "办理案件95宗"
    assert [f.value for f in ach.figures] == [95.0, 100.0]
    assert [f.text for f in summary.plans[0].figures] == ["300人次"]  # '许多' is no number
    lost = summary.shortcomings[0]
    assert (lost.evidence[0].start, lost.evidence[0].end) == (0, 0)  # can never match gold
    assert lxs.stated_figures(annotated) == ["95宗", "100%", "300人次、许多", "12项"]


def test_few_shot_example_is_verbatim_and_not_from_the_seed_documents() -> None:
    seeds = (Path(__file__).resolve().parent.parent / "evals" / "seed" / "docs").glob("*.txt")
    texts = [p.read_text(encoding="utf-8") for p in seeds]
    for _cls, quote, _summary, figures in lxs._EXAMPLE_ITEMS:
        assert quote in lxs.EXAMPLE_TEXT
        assert all(f in quote for f in figures)
        assert not any(quote in t for t in texts)
