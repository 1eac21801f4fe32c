"""The OpenAI SDK as the client uses it: one SDK client per backend, one direct post per call.

Kept apart from :mod:`summarizer.endpoint.client` (retries, re-asks, the breaker,
the cache) because it is about the SDK's own costs per request, measured in
``benchmarks/ideal_bound.py``:

- :func:`post_chat` sends the body instructor prepared as it is (plain JSON
  already) instead of through the SDK's ``create``, which first walks it against
  its typed-dict annotations to change nothing, and reads the answer raw
  (:func:`completion`: one pydantic-core pass instead of the SDK's
  field-by-field construction).
- :func:`sdk_client` builds every client of a process on one TLS context: httpx
  builds a new one per client, reading the CA bundle each time (~20 ms, most of
  the time it took to open a backend).
"""

from __future__ import annotations

import functools
import json
import ssl
from typing import Any

import httpx2  # openai 3.x's HTTP client
import openai
from openai import NotGiven
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

__all__ = ["completion", "post_chat", "sdk_client"]


def sdk_client(url: str, api_key: str, *, timeout: float) -> openai.OpenAI:
    """An SDK client for ``url`` (no SDK retries: :mod:`.transport` does them)."""
    return openai.OpenAI(
        base_url=url,
        api_key=api_key,
        timeout=timeout,
        max_retries=0,
        http_client=openai.DefaultHttpxClient(verify=_tls_context()),
    )


def post_chat(client: openai.OpenAI, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """One ``POST /chat/completions``: the body as instructor prepared it, the answer
    parsed by :func:`completion`. Anything unusual (positional arguments, fields not
    in :data:`PLAIN_BODY_KEYS`, streaming) goes through the SDK's ``create``."""
    if args or not kwargs.keys() <= PLAIN_BODY_KEYS or kwargs.get("stream"):
        return client.chat.completions.create(*args, **kwargs)
    body = {k: v for k, v in kwargs.items() if v is not None and not isinstance(v, NotGiven)}
    raw = client.post("/chat/completions", body=body, cast_to=httpx2.Response,
                      options=_POST_OPTIONS)  # fmt: skip
    return completion(raw)


#: Request fields sent as they are (JSON already); any other field goes through ``create``.
PLAIN_BODY_KEYS = frozenset({
    "model", "messages", "temperature", "max_tokens", "max_completion_tokens", "response_format",
    "tools", "tool_choice", "top_p", "seed", "stop", "n", "parallel_tool_calls", "stream",
})  # fmt: skip
_POST_OPTIONS: Any = {"security": {"bearer_auth": True}}  # what ``create`` asks for: the key


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The TLS settings of every client in this process, built once: the same context
    httpx builds for each new client (reading the CA bundle, ~20 ms — most of the
    time it takes to open a backend)."""
    return httpx2.create_ssl_context()


def completion(raw: httpx2.Response) -> ChatCompletion:
    """A chat completion from the endpoint's answer.

    Validated in one pass when it is well formed; otherwise built leniently, as
    the SDK does (some OpenAI-compatible servers leave out fields such as
    ``created``).

    Raises:
        openai.APIResponseValidationError: the answer is not a JSON object.
    """
    try:
        return ChatCompletion.model_validate_json(raw.content)
    except ValidationError:
        pass
    try:
        data = json.loads(raw.content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise openai.APIResponseValidationError(
            response=raw,
            body=raw.text[:200],
            message="the endpoint answered with something that is not a chat completion "
            "(a JSON object was expected)",
        )
    return ChatCompletion.construct(**data)
