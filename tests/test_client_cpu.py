"""Per-request work removed from the client keeps the wire and the checks as they were."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from fake_openai import FakeOpenAI, answer
from pydantic import BaseModel

from summarizer import Settings
from summarizer.endpoint.client import LLMClient
from summarizer.endpoint.wire_models import remember_async_validator_checks

KEY = "sk-cpu-test-0123456789"


class Verdict(BaseModel):
    ok: bool
    note: str = ""


@pytest.mark.parametrize("mode", ["json_schema", "tools"])
def test_the_direct_post_sends_what_create_would(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request body and headers are the same whether or not the SDK's create is used."""
    messages = [{"role": "system", "content": "说明"}, {"role": "user", "content": "[u1] 文"}]
    before = [dict(m) for m in messages]
    bodies: list[dict[str, Any]] = []
    for direct in (True, False):
        with FakeOpenAI(default=answer({"ok": True, "note": "好"})) as fake:
            settings = Settings(
                backend="llm", base_url=fake.base_url, model="m", api_key=KEY, mode=mode,
                cache=False,
            )  # fmt: skip
            with LLMClient(settings) as client:
                if not direct:  # the SDK's own create, with its transform
                    monkeypatch.setattr(
                        client, "_post",
                        lambda a, k: client._openai.chat.completions.create(*a, **k),
                    )  # fmt: skip
                verdict, usage = client.structured(messages, Verdict)
            assert verdict.ok and usage.calls == 1
            (request,) = fake.chat_requests
            assert request.headers["authorization"] == f"Bearer {KEY}"
            assert request.headers["content-type"] == "application/json"
            bodies.append(request.body)
    assert bodies[0] == bodies[1]
    assert messages == before  # the caller's messages are untouched


def test_async_validator_checks_are_remembered_only_for_classes_that_pass() -> None:
    checks = importlib.import_module("instructor.v2.validation.async_validators")
    assert remember_async_validator_checks()
    assert remember_async_validator_checks()  # idempotent
    check = checks.reject_async_validators
    assert getattr(check, "_remembers", False)
    patch = importlib.import_module("instructor.v2.core.patch")
    assert patch.reject_async_validators is check

    class Bad(BaseModel):
        x: int = 0

        def later(self) -> None:
            pass

    setattr(Bad.later, checks.ASYNC_VALIDATOR_KEY, "x")
    for _ in range(2):  # a class that fails is checked, and fails, every time
        with pytest.raises(ValueError, match="async validators"):
            check(Bad)
    check(Verdict)
    check(Verdict)


def test_an_answer_is_read_in_one_pass_and_leniently_when_it_must_be() -> None:
    """Well-formed answers validate; one without ``created`` is still read (as the SDK
    would); a body that is not a JSON object is a clear response error."""
    import httpx2
    import openai

    from summarizer.endpoint.sdk import completion as _completion

    whole = {
        "id": "c1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "{\"ok\": true}"}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }  # fmt: skip
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")

    def reply(body: bytes) -> httpx2.Response:
        return httpx2.Response(200, content=body, request=request)

    import json

    read = _completion(reply(json.dumps(whole).encode()))
    assert read.choices[0].message.content == '{"ok": true}' and read.usage is not None
    assert read.usage.total_tokens == 5
    partial = {k: v for k, v in whole.items() if k != "created"}
    lenient = _completion(reply(json.dumps(partial).encode()))
    assert lenient.choices[0].message.content == '{"ok": true}'
    for body in (b"<html>busy</html>", b"[1, 2]"):
        with pytest.raises(openai.APIResponseValidationError, match="not a chat completion"):
            _completion(reply(body))
