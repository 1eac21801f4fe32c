"""Wire-level tests of endpoint.client: the real openai SDK + instructor against FakeOpenAI."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import instructor
import pytest
from fake_openai import (
    FakeOpenAI,
    answer,
    echo_auth,
    hang,
    malformed,
    status,
    truncated,
)
from pydantic import BaseModel, ValidationInfo, field_validator

from summarizer.endpoint import tokens as tokens_mod
from summarizer.endpoint.cache import ResponseCache
from summarizer.endpoint.client import (
    LLMClient,
    ModelCallError,
    RetryPolicy,
    count_tokens,
    estimate_tokens,
    resolve_mode,
    tokenizer_name,
)
from summarizer.errors import ConfigError, ModelError
from summarizer.settings import Settings

FAST = RetryPolicy(initial=0.01, maximum=0.05, retry_after_cap=5.0)
KEY = "sk-test-SECRET-0123456789abcdefXYZ"
CONTEXT = {"allowed": ["u1", "u2"]}


class Pick(BaseModel):
    """Toy response model whose validator reads the validation context."""

    ids: list[str]
    label: str = ""

    @field_validator("ids")
    @classmethod
    def known_units(cls, v: list[str], info: ValidationInfo) -> list[str]:
        allowed = (info.context or {}).get("allowed", [])
        for unit in v:
            if unit not in allowed:
                raise ValueError(f"unit {unit} does not exist; cite one of {', '.join(allowed)}")
        return v


MESSAGES = [
    {"role": "system", "content": "Pick the units that state an achievement."},
    {"role": "user", "content": "u1: 完成植树2000多株。\nu2: 存在不足。"},
]


def make_settings(fake: FakeOpenAI, tmp_path: Path, **changes: object) -> Settings:
    base = Settings(
        backend="llm", base_url=fake.base_url, api_key=KEY, model="fake-model",
        timeout=2.0, max_retries=2, reasks=1, cache=False, cache_dir=tmp_path,
    )  # fmt: skip
    return base.with_(**changes)


def make_client(fake: FakeOpenAI, tmp_path: Path, **changes: object) -> LLMClient:
    return LLMClient(make_settings(fake, tmp_path, **changes), retry=FAST)


# -- happy paths per mode ----------------------------------------------------------------


def test_valid_answer_json_schema_mode(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(answer({"ids": ["u1"], "label": "ok"}, usage=(120, 30, 7)))
    client = make_client(fake_openai, tmp_path)
    original = json.dumps(MESSAGES)

    obj, usage = client.structured(MESSAGES, Pick, context=CONTEXT)

    assert client.mode is instructor.Mode.JSON_SCHEMA
    assert (obj.ids, obj.label) == (["u1"], "ok")
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (1, 120, 30)
    assert usage.cached_tokens == 7 and usage.seconds > 0 and usage.cache_hits == 0
    [req] = fake_openai.chat_requests
    fmt = req.body["response_format"]
    assert fmt["type"] == "json_object" and fmt["schema"]["title"] == "Pick"
    assert req.body["model"] == "fake-model" and req.body["max_tokens"] == 1024
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert json.dumps(MESSAGES) == original  # the caller's messages are not mutated


def test_tools_mode_reads_the_tool_call(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(answer({"ids": ["u2"]}))
    client = make_client(fake_openai, tmp_path, mode="tools")
    obj, _ = client.structured(MESSAGES, Pick, context=CONTEXT)
    assert obj.ids == ["u2"]
    body = fake_openai.chat_requests[0].body
    assert body["tools"][0]["function"]["name"] == "Pick"
    assert body["tool_choice"]["function"]["name"] == "Pick"


def test_md_json_mode_reads_a_fenced_answer(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(answer({"ids": ["u1"]}, fenced=True))
    obj, _ = make_client(fake_openai, tmp_path, mode="md_json").structured(
        MESSAGES, Pick, context=CONTEXT
    )
    assert obj.ids == ["u1"]


def test_report_text_reaches_the_model_verbatim(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    tricky = [{"role": "user", "content": "目标{{ allowed }}与{% if x %}、{# 注 #}原样保留"}]
    fake_openai.enqueue(answer({"ids": ["u1"]}))
    make_client(fake_openai, tmp_path).structured(tricky, Pick, context=CONTEXT)
    sent = fake_openai.chat_requests[0].text()
    assert "目标{{ allowed }}与{% if x %}、{# 注 #}原样保留" in sent
    assert "raw %}" not in sent


# -- validation re-asks ---------------------------------------------------------------------


def test_malformed_json_is_reasked_then_succeeds(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(malformed('{"ids": ["u1", '), answer({"ids": ["u1"]}))
    obj, usage = make_client(fake_openai, tmp_path).structured(MESSAGES, Pick, context=CONTEXT)
    assert obj.ids == ["u1"]
    first, second = fake_openai.chat_requests
    assert len(second.messages) > len(first.messages)
    assert '{"ids": ["u1", ' in second.text()  # the bad answer is shown back
    assert usage.calls == 2 and usage.prompt_tokens == 200


def test_validator_reason_is_shown_on_reask(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(answer({"ids": ["u9"]}), answer({"ids": ["u2"]}))
    obj, usage = make_client(fake_openai, tmp_path).structured(MESSAGES, Pick, context=CONTEXT)
    assert obj.ids == ["u2"]
    first, second = fake_openai.chat_requests
    assert "u9 does not exist" not in first.text()
    assert "unit u9 does not exist; cite one of u1, u2" in second.text()
    assert usage.calls == 2


def test_exhausted_reasks_raise_with_reasons_usage_and_raw(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(answer({"ids": ["u9"]}), answer({"ids": ["u8"]}), answer({"ids": ["u1"]}))
    with pytest.raises(ModelCallError) as info:
        make_client(fake_openai, tmp_path).structured(MESSAGES, Pick, context=CONTEXT, max_reasks=1)
    err = info.value
    assert isinstance(err, ModelError)
    assert err.kind == "validation"
    assert any("unit u8 does not exist" in r for r in err.reasons)
    assert err.usage.calls == 2 and err.usage.prompt_tokens == 200
    assert err.last_raw is not None and "u8" in err.last_raw
    assert len(fake_openai.chat_requests) == 2  # the third reply was never asked for


def test_zero_reasks_means_one_request(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(answer({"ids": ["u9"]}), answer({"ids": ["u1"]}))
    with pytest.raises(ModelCallError):
        make_client(fake_openai, tmp_path).structured(MESSAGES, Pick, context=CONTEXT, max_reasks=0)
    assert len(fake_openai.chat_requests) == 1


def test_truncated_answer_is_an_error_not_a_reask(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(
        truncated({"ids": ["u1", "u2"], "label": "x" * 40}), answer({"ids": ["u1"]})
    )
    with pytest.raises(ModelCallError) as info:
        make_client(fake_openai, tmp_path).structured(MESSAGES, Pick, context=CONTEXT)
    assert info.value.kind == "truncated"
    assert "max_output_tokens" in info.value.reasons[0]
    assert info.value.usage.calls == 1 and info.value.usage.completion_tokens == 20
    assert len(fake_openai.chat_requests) == 1


# -- transport retries are invisible to the model ----------------------------------------


def test_429_honours_retry_after_and_is_not_reasked(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(status(429, retry_after=1), answer({"ids": ["u1"]}))
    obj, usage = make_client(fake_openai, tmp_path).structured(MESSAGES, Pick, context=CONTEXT)
    assert obj.ids == ["u1"]
    first, second = fake_openai.chat_requests
    assert second.at - first.at >= 1.0
    assert second.body["messages"] == first.body["messages"]  # nothing fed back to the model
    assert usage.calls == 2 and usage.prompt_tokens == 100  # the 429 cost a call, no tokens


def test_500_then_success(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(status(500), status(503), answer({"ids": ["u2"]}))
    obj, usage = make_client(fake_openai, tmp_path).structured(MESSAGES, Pick, context=CONTEXT)
    assert obj.ids == ["u2"]
    reqs = fake_openai.chat_requests
    assert len(reqs) == 3 and reqs[0].body["messages"] == reqs[2].body["messages"]
    assert usage.calls == 3


def test_hang_past_timeout_is_retried_then_fails(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(hang(5), hang(5), answer({"ids": ["u1"]}))
    client = make_client(fake_openai, tmp_path, timeout=0.3, max_retries=1)
    with pytest.raises(ModelCallError) as info:
        client.structured(MESSAGES, Pick, context=CONTEXT)
    err = info.value
    assert err.kind == "transport" and "timed out" in err.reasons[0]
    assert err.usage.calls == 2 and err.usage.seconds >= 0.6 and err.last_raw is None
    assert len(fake_openai.chat_requests) == 2


def test_exhausted_transport_retries_do_not_consume_reasks(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(*[status(502)] * 3, answer({"ids": ["u1"]}))
    with pytest.raises(ModelCallError) as info:
        make_client(fake_openai, tmp_path, max_retries=2, reasks=3).structured(
            MESSAGES, Pick, context=CONTEXT
        )
    assert info.value.kind == "transport" and "HTTP 502" in info.value.reasons[0]
    assert len(fake_openai.chat_requests) == 3  # not 3 x (reasks + 1)


def test_non_retryable_4xx_raises_at_once(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(status(400, message="bad schema"), answer({"ids": ["u1"]}))
    with pytest.raises(ModelCallError) as info:
        make_client(fake_openai, tmp_path).structured(MESSAGES, Pick, context=CONTEXT)
    assert info.value.kind == "status" and "HTTP 400" in str(info.value)
    assert len(fake_openai.chat_requests) == 1


def test_api_key_never_leaks(
    fake_openai: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake_openai.enqueue(echo_auth(401))
    caplog.set_level(logging.DEBUG)
    client = make_client(fake_openai, tmp_path)
    with pytest.raises(ModelCallError) as info:
        client.structured(MESSAGES, Pick, context=CONTEXT)
    err = info.value
    assert err.kind == "status" and "401" in str(err)
    texts = [str(err), repr(err), *err.reasons, repr(client), repr(client.settings), caplog.text]
    cause: BaseException | None = err
    while cause is not None:
        texts.append(str(cause))
        cause = cause.__cause__
    for text in texts:
        assert KEY not in text
        assert "SECRET-0123" not in text


def test_usage_is_summed_over_every_attempt(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(
        status(500),
        malformed("not json", usage=(50, 5, 0)),
        answer({"ids": ["u7"]}, usage=(60, 6, 10)),
        answer({"ids": ["u1"]}, usage=(70, 7, 20)),
    )
    obj, usage = make_client(fake_openai, tmp_path, reasks=2).structured(
        MESSAGES, Pick, context=CONTEXT
    )
    assert obj.ids == ["u1"]
    assert usage.calls == 4
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (180, 18, 30)


def test_threads_keep_their_own_usage(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.default = answer({"ids": ["u1"]}, usage=(10, 1, 0))
    client = make_client(fake_openai, tmp_path)
    results: list[int] = []

    def work() -> None:
        for _ in range(3):
            _, usage = client.structured(MESSAGES, Pick, context=CONTEXT)
            results.append(usage.calls)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1] * 6


# -- cache -----------------------------------------------------------------------------------


def test_cache_hit_makes_no_request(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(answer({"ids": ["u1"]}))
    settings = make_settings(fake_openai, tmp_path)
    with ResponseCache(tmp_path / "responses.sqlite") as cache:
        client = LLMClient(settings, cache=cache, retry=FAST)
        first, usage1 = client.structured(MESSAGES, Pick, context=CONTEXT, cache_key_extra="p1")
        second, usage2 = client.structured(MESSAGES, Pick, context=CONTEXT, cache_key_extra="p1")
        assert first == second
        assert usage1.calls == 1 and usage1.cache_hits == 0
        assert usage2.calls == 0 and usage2.cache_hits == 1 and usage2.prompt_tokens == 0
        assert len(fake_openai.chat_requests) == 1
        # another prompt version is another key
        fake_openai.enqueue(answer({"ids": ["u2"]}))
        third, _ = client.structured(MESSAGES, Pick, context=CONTEXT, cache_key_extra="p2")
        assert third.ids == ["u2"] and len(fake_openai.chat_requests) == 2


def test_cached_answer_is_revalidated_against_the_context(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(answer({"ids": ["u1"]}), answer({"ids": ["u3"]}))
    with ResponseCache(tmp_path / "responses.sqlite") as cache:
        client = LLMClient(make_settings(fake_openai, tmp_path), cache=cache, retry=FAST)
        client.structured(MESSAGES, Pick, context=CONTEXT)
        obj, usage = client.structured(MESSAGES, Pick, context={"allowed": ["u3"]})
    assert obj.ids == ["u3"] and usage.calls == 1
    assert len(fake_openai.chat_requests) == 2


def test_cache_key_covers_what_decides_an_answer(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    client = make_client(fake_openai, tmp_path)
    key = client.cache_key(MESSAGES, Pick, 1024)
    assert key == client.cache_key([dict(m) for m in MESSAGES], Pick, 1024)
    other_msgs = [MESSAGES[0], {"role": "user", "content": "u1: 其他"}]
    assert key != client.cache_key(other_msgs, Pick, 1024)
    assert key != client.cache_key(MESSAGES, Pick, 512)
    assert key != client.cache_key(MESSAGES, Pick, 1024, extra="prompt-v2")
    hotter = make_client(fake_openai, tmp_path, temperature=0.7)
    assert key != hotter.cache_key(MESSAGES, Pick, 1024)
    tools = make_client(fake_openai, tmp_path, mode="tools")
    assert key != tools.cache_key(MESSAGES, Pick, 1024)


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "mode", "expected"),
    [
        ("", "auto", instructor.Mode.JSON_SCHEMA),
        ("http://127.0.0.1:37001/v1", "auto", instructor.Mode.JSON_SCHEMA),
        ("http://localhost:11434/v1", "auto", instructor.Mode.JSON_SCHEMA),
        ("http://192.168.1.20:8000/v1", "auto", instructor.Mode.JSON_SCHEMA),
        ("http://gpu-box:8080/v1", "auto", instructor.Mode.JSON_SCHEMA),
        ("https://api.openai.com/v1", "auto", instructor.Mode.TOOLS),
        ("https://api.deepseek.com", "auto", instructor.Mode.TOOLS),
        ("https://dashscope.aliyuncs.com/compatible-mode/v1", "auto", instructor.Mode.TOOLS),
        ("https://example-llm.com/v1", "auto", instructor.Mode.TOOLS),
        ("https://api.openai.com/v1", "md_json", instructor.Mode.MD_JSON),
        ("http://127.0.0.1:8080/v1", "tools", instructor.Mode.TOOLS),
    ],
)
def test_resolve_mode(base_url: str, mode: str, expected: instructor.Mode) -> None:
    assert resolve_mode(Settings(base_url=base_url, mode=mode)) is expected  # type: ignore[arg-type]


def test_client_needs_an_endpoint_and_a_model() -> None:
    with pytest.raises(ConfigError, match="SUMMARIZER_BASE_URL"):
        LLMClient(Settings(backend="llm", model="m"))
    with pytest.raises(ConfigError, match="SUMMARIZER_MODEL"):
        LLMClient(Settings(backend="llm", base_url="http://127.0.0.1:9/v1"))


def test_local_servers_get_a_placeholder_key(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.enqueue(answer({"ids": ["u1"]}))
    make_client(fake_openai, tmp_path, api_key="").structured(MESSAGES, Pick, context=CONTEXT)
    assert fake_openai.chat_requests[0].headers["authorization"] == "Bearer sk-no-key"


# -- token counting ----------------------------------------------------------------------------


def test_count_tokens_works_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    def no_network(*_a: object, **_k: object) -> None:
        raise AssertionError("count_tokens tried the network")

    monkeypatch.setattr(requests, "get", no_network)
    text = "2023年完成植树2000多株，绿化率达到91%。"
    n = count_tokens(text, "qwen2.5-coder-0.5b-instruct-q4_k_m")
    assert 10 <= n <= 40
    assert count_tokens("", "gpt-4o") == 0
    assert tokenizer_name("qwen2.5") in {"o200k_base", "cl100k_base", "estimate"}


def test_encodings_load_only_from_local_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import requests

    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail("network used"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # empty cache: o200k is not there
    assert tokens_mod._load_encoding.__wrapped__("o200k_base") is None


def test_estimate_tokens_counts_cjk_per_character() -> None:
    assert estimate_tokens("植树造林") == 4
    assert estimate_tokens("hello world") == 4  # ceil(5/4) twice
    assert estimate_tokens("完成2000多株。") == 2 + 1 + 3
