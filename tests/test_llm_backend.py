"""The model backend end to end over HTTP: real openai + instructor against a loopback server.

Each test scripts what the "model" answers and checks what reaches the output:
summaries from the model, evidence and figures from the source, re-asks with
the reason, removals recorded, fallback to rules when the endpoint fails, the
cache making zero calls on a re-run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, answer, malformed, status

from summarizer import Settings, summarize, summarize_folder
from summarizer.errors import BudgetExceededError, ConfigError
from summarizer.extract.prompting import template
from summarizer.extract.validation import ungrounded_figures
from summarizer.ingest.documents import document_from_text
from summarizer.structure.sections import parse_outline

TEXT = (
    "某镇关于2023年法治政府建设情况的报告\n"
    "2023年，我镇深入推进法治政府建设，取得明显成效。现将有关情况报告如下：\n"
    "一、主要举措和成效\n"
    "一是强化组织领导。全年召开专题会议4次，受理群众信访举报11宗，办结率91%。\n"
    "二是加强法治宣传。开展普法活动8场，发放宣传资料2000多份。\n"
    "二、存在的不足\n"
    "执法人员素质参差不齐，依法行政能力有待提升。\n"
    "三、下一步工作计划\n"
    "继续加强执法队伍建设，提升依法行政水平。\n"
)
UNITS = [u.id for u in parse_outline(document_from_text(TEXT)).units]


def settings_for(fake: FakeOpenAI, tmp_path: Path, **kw: object) -> Settings:
    base = dict(
        backend="llm",
        base_url=fake.base_url,
        model="fake-model",
        cache=False,
        cache_dir=tmp_path / "cache",
        chunk_units=8,
        max_retries=1,
        timeout=5.0,
        reasks=1,
    )
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def good(**override: dict[str, object]) -> dict[str, object]:
    answers = {
        "u1": {
            "category": "achievement",
            "summary": "召开专题会议4次，办结信访举报11宗。",
            "figures": ["4次", "11宗"],
            "topic": "组织领导",
        },
        "u2": {
            "category": "achievement",
            "summary": "开展普法活动8场并发放宣传资料。",
            "figures": ["8场"],
        },
        "u3": {
            "category": "shortcoming",
            "summary": "执法人员依法行政能力有待提升。",
            "figures": [],
        },
        "u4": {"category": "plan", "summary": "继续加强执法队伍建设。", "figures": []},
    }
    answers.update(override)
    return answers


def test_units_of_the_test_text() -> None:
    assert UNITS == ["u1", "u2", "u3", "u4"]


def test_valid_answer_gives_model_summaries_with_exact_evidence(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(answer(good()))
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    assert [it.summary for it in s.achievements] == [
        "召开专题会议4次，办结信访举报11宗。",
        "开展普法活动8场并发放宣传资料。",
    ]
    assert len(s.shortcomings) == 1 and len(s.plans) == 1
    for it in s.items():
        assert TEXT[it.evidence[0].start : it.evidence[0].end] == it.evidence[0].text
        assert it.status == "ok" and not ungrounded_figures(it)
    assert [f.text for f in s.achievements[0].figures] == ["4次", "11宗", "91%"]
    assert s.metadata.backend == "llm" and s.metadata.model == "fake-model"
    assert s.metadata.prompt_version and s.metadata.prompt_version.startswith("zh-")
    assert s.metadata.usage.calls == 1 and s.metadata.usage.prompt_tokens == 100
    assert s.metadata.estimated_tokens and s.metadata.estimated_tokens > 0
    assert [(c.unit_ids, c.status, c.usage.calls) for c in s.metadata.calls] == [
        (["u1", "u2", "u3", "u4"], "ok", 1)
    ]
    # only the units were sent: no preamble, no title repeats of the body
    sent = fake_openai.chat_requests[0].text()
    assert "[u1] 一是强化组织领导" in sent and "现将有关情况报告如下" not in sent


def test_invented_figure_is_reasked_then_removed_and_recorded(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    bad = good(u1={"category": "achievement", "summary": "召开专题会议12次。", "figures": ["12次"]})
    fake_openai.enqueue(answer(bad), answer(bad))
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    assert len(fake_openai.chat_requests) == 2
    reask = fake_openai.chat_requests[1].text()
    assert "12次" in reask and "u1" in reask  # the reason reached the model
    item = s.achievements[0]
    assert "12" not in item.summary and item.status == "repaired"
    codes = {n.code for n in item.validation}
    assert {"ungrounded_figure", "ungrounded_summary"} <= codes
    assert all(not ungrounded_figures(it) for it in s.items())


def test_reask_that_fixes_the_figure_is_accepted(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    bad = good(u2={"category": "achievement", "summary": "开展普法活动80场。", "figures": []})
    fake_openai.enqueue(answer(bad), answer(good()))
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    assert s.achievements[1].summary == "开展普法活动8场并发放宣传资料。"
    assert s.metadata.usage.calls == 2


def test_wrong_unit_id_is_reasked_then_read_leniently(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    wrong = good()
    wrong["u9"] = wrong.pop("u4")
    fake_openai.enqueue(answer(wrong), answer(wrong))
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    assert len(fake_openai.chat_requests) == 2
    plan = s.plans[0]  # the unanswered unit keeps its structural item, marked as such
    assert plan.status == "fallback" and plan.validation[0].code == "missing_answer"


def test_model_may_not_override_a_heading_but_may_judge_position(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(
        answer(good(u3={"category": "plan", "summary": "执法人员能力有待提升。", "figures": []}))
    )
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    assert len(s.shortcomings) == 1
    assert s.shortcomings[0].validation[0].code == "category_kept"


def test_endpoint_failure_falls_back_to_rules_for_the_chunk(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(status(500), status(500))
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    assert len(s.items()) == 4
    assert all(it.status == "fallback" for it in s.items())
    assert any("used rules" in w for w in s.metadata.warnings)


def test_cache_makes_a_rerun_free(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(answer(good()))
    settings = settings_for(fake_openai, tmp_path, cache=True)
    first = summarize(TEXT, settings=settings)
    n = len(fake_openai.chat_requests)
    second = summarize(TEXT, settings=settings)
    assert len(fake_openai.chat_requests) == n == 1
    assert second.metadata.usage.calls == 0 and second.metadata.usage.cache_hits == 1
    assert [i.summary for i in first.items()] == [i.summary for i in second.items()]


def test_document_over_budget_is_refused_and_batch_goes_on(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    with pytest.raises(BudgetExceededError):
        summarize(TEXT, settings=settings_for(fake_openai, tmp_path, doc_token_budget=10))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(TEXT, encoding="utf-8")
    result = summarize_folder(
        [tmp_path / "in"],
        tmp_path / "out",
        settings=settings_for(fake_openai, tmp_path, doc_token_budget=10),
    )
    assert result.failed and "budget" in (result.failed[0].error or "")
    assert not fake_openai.chat_requests
    rows = [json.loads(x) for x in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert rows[0]["status"] == "failed"


def test_raw_newline_in_a_json_string_is_read_leniently_and_still_checked(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    """Small models put raw newlines in JSON strings; the answer is kept, then grounded."""
    body = json.dumps(good(), ensure_ascii=False).replace(
        "办结信访举报11宗。", "办结信访\n举报11宗。"
    )
    fake_openai.enqueue(malformed(body), malformed(body))
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    first = s.achievements[0]
    assert first.summary == "召开专题会议4次，办结信访\n举报11宗。"
    assert first.status == "repaired" and not ungrounded_figures(first)


def test_topic_reaches_the_item(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(answer(good()))
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    assert s.achievements[0].topic == "组织领导" and s.achievements[1].topic is None


# -- model scope: what the model is asked --------------------------------------------

TOPICAL = (
    "某市2022年法治政府建设年度报告\n"
    "2022年，我市坚持依法行政。现将有关情况报告如下：\n"
    "一、深化行政执法改革\n"
    "一是下放行政处罚事权12项。\n"
    "二是培训执法人员300人次。\n"
    "二、加强普法宣传\n"
    "开展法治宣传活动20场，发放资料5000份。\n"
    "三、存在的问题\n"
    "基层执法力量薄弱。\n"
    "四、下一步工作打算\n"
    "继续推进综合执法改革。\n"
)


def _asked_ids(fake: FakeOpenAI) -> list[list[str]]:
    out = []
    for r in fake.chat_requests:
        fmt = r.body.get("response_format") or {}
        schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema") or {}
        if not schema:
            tools = r.body.get("tools") or [{}]
            schema = (tools[0].get("function") or {}).get("parameters") or {}
        out.append(list(schema.get("required") or []))
    return out


def test_judgement_scope_sends_only_units_the_structure_leaves_open(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    # u1-u3 sit under topical headings (role from position); u4, u5 under
    # headings that state their role. The model judges u2 to be a plan.
    fake_openai.enqueue(answer({"u1": "achievement", "u2": "plan", "u3": "achievement"}))
    s = summarize(TOPICAL, settings=settings_for(fake_openai, tmp_path, model_scope="judgement"))
    assert _asked_ids(fake_openai) == [["u1", "u2", "u3"]]
    system = fake_openai.chat_requests[0].messages[0]["content"]
    assert system == template("judge", "zh").strip()
    assert s.metadata.model_scope == "judgement"
    assert [it.unit_ids for it in s.achievements] == [["u1"], ["u3"]]
    assert [it.unit_ids for it in s.plans] == [["u2"], ["u5"]]
    judged = s.plans[0]
    assert [n.code for n in judged.validation] == ["category_judged"]
    assert "培训执法人员300人次" in judged.summary  # the unit's lead, not the model's
    assert [f.text for f in s.achievements[0].figures] == ["12项"]
    # units the structure settles keep their category and lead, with no call
    assert s.shortcomings[0].summary.startswith("基层执法力量薄弱")
    assert s.metadata.usage.calls == 1
    assert not ungrounded_figures(s.achievements[0])


def test_judgement_scope_makes_no_call_when_headings_settle_every_role(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path, model_scope="judgement"))
    assert fake_openai.chat_requests == []
    assert len(s.items()) == 4 and s.metadata.usage.calls == 0


def test_judge_failure_falls_back_to_the_position_role(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(status(500), status(500))
    s = summarize(TOPICAL, settings=settings_for(fake_openai, tmp_path, model_scope="judgement"))
    assert [it.status for it in s.achievements] == ["fallback"] * 3
    assert any("used rules" in w for w in s.metadata.warnings)


def test_auto_scope_asks_everything_of_a_configured_endpoint(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(answer(good()))
    s = summarize(TEXT, settings=settings_for(fake_openai, tmp_path))
    assert s.metadata.model_scope == "all"
    assert _asked_ids(fake_openai) == [UNITS]


def test_unknown_model_scope_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="model_scope"):
        Settings(model_scope="some")  # type: ignore[arg-type]


def test_cli_does_not_show_library_errors_that_validation_handles(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    # instructor logs "Max retries exceeded" at ERROR when re-asks run out; the
    # item is repaired and the repair recorded, so users must not see an ERROR.
    import subprocess
    import sys

    bad = good(u1={"category": "achievement", "summary": "召开专题会议12次。", "figures": ["12次"]})
    fake_openai.enqueue(answer(bad), answer(bad))
    doc = tmp_path / "r.txt"
    doc.write_text(TEXT, encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SUMMARIZER_CACHE": "false",
        "SUMMARIZER_CHUNK_UNITS": "8",
        "SUMMARIZER_MAX_RETRIES": "1",
    }
    cmd = [sys.executable, "-m", "summarizer.cli", "run", str(doc), "-o", str(tmp_path / "out")]
    cmd += ["--base-url", fake_openai.base_url, "--model", "fake-model", "--api-key", "k"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(fake_openai.chat_requests) == 2  # the re-ask happened
    assert "ERROR" not in r.stderr and "instructor" not in r.stderr, r.stderr
    out = json.loads((tmp_path / "out" / "r.json").read_text(encoding="utf-8"))
    assert out["achievements"][0]["status"] == "repaired"
