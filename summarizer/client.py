"""Structured calls to any OpenAI-compatible endpoint: openai + instructor + tenacity.

Two loops, one inside the other, never mixed up
-----------------------------------------------
::

    LLMClient.structured()
      └─ instructor re-ask loop  (max_reasks + 1 answers; ValidationError/JSONDecodeError only)
           └─ _send(): tenacity transport loop (settings.max_retries + 1 HTTP attempts)
                └─ openai.OpenAI(max_retries=0).chat.completions.create  (one HTTP request)

* **Transport retries live inside one "attempt" of instructor.** instructor is
  given ``_send`` as its ``create`` function (``instructor.patch(create=...)``,
  the same thing ``instructor.from_openai`` does with the SDK's method). ``_send``
  retries 408/429/5xx, timeouts and connection errors with exponential backoff
  and jitter, honouring ``Retry-After`` / ``retry-after-ms`` (capped). The SDK's
  own retries are off (``max_retries=0``) so there is exactly one retry policy.
  Non-retryable 4xx (400/401/403/404/422...) propagate at once.
* **Only validation failures are re-asked.** instructor gets an explicit
  ``tenacity.Retrying`` whose predicate accepts pydantic ``ValidationError``,
  ``JSONDecodeError`` (and instructor 1.3's ``InstructorRetryException`` wrapper of
  those). The default predicate of instructor 1.x retries *every* exception,
  which burns re-asks on API errors (instructor #1907); here an exhausted
  transport loop, an HTTP 4xx or a truncated answer leaves the re-ask loop at
  once, and the model never sees a transport error. Errors are classified by
  walking the exception chain, so instructor's wrappers (which differ between
  1.3 and 1.17) do not matter.
* **Messages arrive verbatim.** They are deep-copied (instructor appends to and
  edits them), and with instructor >= 1.5, which renders message contents as
  Jinja templates whenever a validation context is given, text containing
  ``{{``/``{%``/``{#`` is wrapped in a raw block so it renders to itself.
* **Truncation is an error, not a re-ask.** ``finish_reason == "length"`` raises
  ``ModelCallError(kind="truncated")``: with temperature 0 a re-ask would be cut at
  the same place, so the caller should split the chunk or raise
  ``max_output_tokens``.
* **Usage is metered per HTTP attempt in ``_send``**, not taken from instructor
  (which reports totals only in some paths, #2391): every attempt adds a call and
  its wall seconds; every answer adds prompt/completion/cached tokens, whether it
  validated, was re-asked or failed. The sum is returned on success and carried by
  :class:`ModelCallError` (``.usage``, ``.reasons``) on failure.

Why not a retrying ``httpx`` transport under the SDK? It works, but httpx mounts
proxy transports from the environment that would bypass it, and it would have
to re-implement the SDK's error typing and parse bodies for usage. At the
``create`` level we get typed errors, ``e.response.headers`` and a parsed
``ChatCompletion`` for free.

Mode selection (``settings.mode == "auto"``)
--------------------------------------------
====================================================  ============  =========================
endpoint                                              mode          why
====================================================  ============  =========================
empty base_url (embedded llama.cpp), localhost,       JSON_SCHEMA   ``response_format`` with the
127.x/::1, private IPs, ports 8000/8080/11434                       schema: llama.cpp builds a
(vLLM, llama.cpp, Ollama)                                           grammar, every answer parses
api.openai.com, \\*.openai.azure.com                   TOOLS         native forced tool calls
api.deepseek.com, dashscope(-intl).aliyuncs.com       TOOLS         OpenAI-style tool calling
any other remote host                                 TOOLS         most hosted OpenAI-compatible
                                                                    APIs implement tool calling
====================================================  ============  =========================

``tools`` / ``json_schema`` / ``md_json`` in settings force a mode. In JSON_SCHEMA
mode the wire format is fixed here, not by the instructor version: local
endpoints get ``{"type": "json_object", "schema": S}`` (what llama-cpp-python's
server understands; it rejects OpenAI's ``json_schema`` type with a 422), remote
ones OpenAI's ``{"type": "json_schema", "json_schema": {"name", "schema"}}``.

Token counting (:func:`count_tokens`) never touches the network: see its docstring.
"""

from __future__ import annotations

import copy
import email.utils
import functools
import hashlib
import importlib
import importlib.util
import inspect
import ipaddress
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from json import JSONDecodeError
from typing import Any, Protocol, TypeVar
from urllib.parse import urlparse

import instructor
import openai
from pydantic import BaseModel, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
)

from .errors import ConfigError, ModelError
from .ratelimit import RateLimiter
from .schema import Usage
from .settings import Settings
from .tokens import count_tokens, estimate_tokens, tokenizer_name

logger = logging.getLogger(__name__)

__all__ = [  # token counting lives in tokens.py; re-exported here for callers of the client
    "AnswerCache",
    "LLMClient",
    "ModelCallError",
    "RetryPolicy",
    "count_tokens",
    "estimate_tokens",
    "resolve_mode",
    "tokenizer_name",
]

M = TypeVar("M", bound=BaseModel)

NO_KEY = "sk-no-key"  # placeholder: the SDK refuses an empty key, local servers ignore it
RETRYABLE_STATUS = frozenset({408, 429})  # plus every 5xx
TOOL_HOSTS = ("api.openai.com", "api.deepseek.com", "dashscope.aliyuncs.com",
              "dashscope-intl.aliyuncs.com")  # fmt: skip
LOCAL_PORTS = frozenset({8000, 8080, 11434})
_MODES = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}


class ModelCallError(ModelError):
    """A structured call failed; carries what it cost and why.

    Attributes:
        usage: tokens, calls and seconds spent on every attempt.
        reasons: the last validation errors (or the transport/HTTP failure).
        kind: ``validation`` | ``truncated`` | ``transport`` | ``status`` | ``response``.
        last_raw: text of the model's last answer (JSON content or tool-call
            arguments), e.g. to read it leniently; None if no answer arrived.
    """

    def __init__(
        self,
        message: str,
        *,
        usage: Usage,
        reasons: list[str],
        kind: str,
        last_raw: str | None = None,
    ) -> None:
        super().__init__(message)
        self.usage = usage
        self.reasons = reasons
        self.kind = kind
        self.last_raw = last_raw


class _Cached(Protocol):
    @property
    def data(self) -> str:
        """The stored answer as JSON."""


class AnswerCache(Protocol):
    """What the client needs from a cache (``summarizer.cache.ResponseCache`` fits)."""

    def get(self, key: str) -> _Cached | None:
        """The stored answer JSON for ``key``, or None."""

    def put(self, key: str, data: str, usage: Usage | None = None, *, model: str = "") -> None:
        """Store the validated answer JSON for ``key``."""


CACHE_FORMAT = "1"  # bump to orphan every cached answer


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff of the transport loop (attempt count comes from ``settings.max_retries``).

    Attributes:
        initial: first backoff in seconds; doubles per attempt, plus up to
            ``initial`` seconds of random jitter.
        maximum: cap of one exponential backoff.
        retry_after_cap: cap on an honoured ``Retry-After``.
    """

    initial: float = 1.0
    maximum: float = 30.0
    retry_after_cap: float = 60.0


@dataclass
class _Meter:
    """Usage of one :meth:`LLMClient.structured` call, added up per HTTP attempt."""

    usage: Usage = field(default_factory=Usage)
    last_raw: str | None = None

    def add(self, seconds: float, completion: Any = None) -> None:
        if completion is not None:
            self.last_raw = _answer_text(completion)
        u = getattr(completion, "usage", None)
        prompt = int(getattr(u, "prompt_tokens", 0) or 0)
        out = int(getattr(u, "completion_tokens", 0) or 0)
        details = getattr(u, "prompt_tokens_details", None)
        cached = getattr(details, "cached_tokens", None)
        if cached is None:  # DeepSeek reports prompt_cache_hit_tokens instead
            cached = (getattr(u, "model_extra", None) or {}).get("prompt_cache_hit_tokens")
        self.usage = self.usage + Usage(
            prompt_tokens=prompt, completion_tokens=out, cached_tokens=int(cached or 0),
            calls=1, seconds=seconds,
        )  # fmt: skip


def _answer_text(completion: Any) -> str | None:
    """The answer's JSON text: first tool call's arguments, else the message content."""
    try:
        message = completion.choices[0].message
        calls = getattr(message, "tool_calls", None) or []
        if calls:
            return str(calls[0].function.arguments)
        content = message.content
    except (AttributeError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def resolve_mode(settings: Settings) -> instructor.Mode:
    """The instructor mode for ``settings`` (see the module docstring's table)."""
    if settings.mode != "auto":
        return _MODES[settings.mode]
    if not settings.base_url:
        return instructor.Mode.JSON_SCHEMA
    parsed = urlparse(settings.base_url)
    host = (parsed.hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in TOOL_HOSTS):
        return instructor.Mode.TOOLS
    if host.endswith(".openai.azure.com"):
        return instructor.Mode.TOOLS
    if _is_local_url(settings.base_url):
        return instructor.Mode.JSON_SCHEMA
    return instructor.Mode.TOOLS


def is_local_url(base_url: str) -> bool:
    """Whether ``base_url`` is a local server (loopback, private address, usual local ports)."""
    return _is_local_url(base_url)


def _is_local_url(base_url: str) -> bool:
    parsed = urlparse(base_url)
    return _is_local_host((parsed.hostname or "").lower()) or parsed.port in LOCAL_PORTS


def _response_format(fmt: Any, *, llama_cpp: bool) -> Any:
    """One wire format for JSON_SCHEMA mode whatever instructor version built it.

    instructor < 1.4 sends ``{"type": "json_object", "schema": S}`` (the llama.cpp
    dialect), later versions OpenAI's ``{"type": "json_schema", "json_schema":
    {"name": N, "schema": S}}``, which llama-cpp-python's server rejects (422).
    Local endpoints get the llama.cpp dialect, remote ones OpenAI's.
    """
    if not isinstance(fmt, Mapping):
        return fmt
    if fmt.get("type") == "json_schema" and isinstance(fmt.get("json_schema"), Mapping):
        schema, name = fmt["json_schema"].get("schema"), fmt["json_schema"].get("name", "Answer")
    elif fmt.get("type") == "json_object" and "schema" in fmt:
        schema = fmt["schema"]
        name = schema.get("title", "Answer") if isinstance(schema, Mapping) else "Answer"
    else:
        return fmt
    if llama_cpp:
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


def _is_local_host(host: str) -> bool:
    if host in {"localhost", "host.docker.internal"} or host.endswith((".local", ".localhost")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_unspecified or ip.is_link_local


def _is_transport_error(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    return False


def _retry_after(exc: BaseException) -> float | None:
    """Seconds asked for by ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class LLMClient:
    """Structured, validated, metered calls to one OpenAI-compatible endpoint.

    Thread-safe: one client can serve ``settings.concurrency`` worker threads.

    Example::

        client = LLMClient(settings, cache=ResponseCache(settings.cache_dir / "responses.sqlite"))
        answer, usage = client.structured(messages, ChunkAnswer, context={"unit_ids": ids})
    """

    def __init__(
        self,
        settings: Settings,
        *,
        cache: AnswerCache | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Build the SDK client and pick the mode.

        Args:
            settings: ``base_url``, ``api_key``, ``model``, ``mode``, ``timeout``,
                ``max_retries``, ``reasks``, ``temperature``, ``max_output_tokens``.
            cache: response cache consulted before any HTTP call (None: no cache).
            retry: transport backoff; defaults to :class:`RetryPolicy`.
            sleep: how to wait between transport attempts (tests may speed it up).

        Raises:
            ConfigError: no ``base_url`` (start the local server first) or no ``model``.
        """
        if not settings.base_url:
            raise ConfigError(
                "no model endpoint: set SUMMARIZER_BASE_URL, or start the embedded server "
                "with summarizer.localmodel.local_endpoint(settings)"
            )
        if not settings.model:
            raise ConfigError("no model name: set SUMMARIZER_MODEL (e.g. the server's model id)")
        self.settings = settings
        self.mode = resolve_mode(settings)
        self._llama_cpp_dialect = _is_local_url(settings.base_url)
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._secret = settings.api_key
        self._openai = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or NO_KEY,
            timeout=settings.timeout,
            max_retries=0,
        )
        self._context_kw = _context_keyword()
        # one budget per client, shared by every thread that uses it: at most
        # ``concurrency`` requests in flight, and the per-minute rate limits
        self._in_flight = threading.BoundedSemaphore(settings.concurrency)
        self.limiter = RateLimiter(
            settings.requests_per_minute, settings.tokens_per_minute, sleep=sleep
        )

    def __repr__(self) -> str:
        s = self.settings
        return f"LLMClient(base_url={s.base_url!r}, model={s.model!r}, mode={self.mode.value!r})"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._openai.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the call -----------------------------------------------------------------

    def structured(
        self,
        messages: Sequence[Mapping[str, Any]],
        response_model: type[M],
        *,
        context: Mapping[str, Any] | None = None,
        max_reasks: int | None = None,
        max_tokens: int | None = None,
        cache_key_extra: str = "",
    ) -> tuple[M, Usage]:
        """Ask for one ``response_model`` answer, re-asking on validation errors.

        Args:
            messages: chat messages (never mutated).
            response_model: pydantic model; its validators may read
                ``info.context`` and their ``ValueError`` text is what the model
                sees on a re-ask, so write it for the model.
            context: validation context passed to the validators.
            max_reasks: validation re-asks after the first answer
                (default ``settings.reasks``).
            max_tokens: completion cap (default ``settings.max_output_tokens``).
            cache_key_extra: extra cache-key material, e.g. the prompt version.

        Returns:
            The validated answer and the usage spent (``cache_hits=1, calls=0`` on
            a cache hit).

        Raises:
            ModelCallError: after exhausted re-asks (``kind="validation"``), a
                truncated answer, exhausted transport retries or a non-retryable
                HTTP status; ``.usage`` and ``.reasons`` say what it cost and why.
        """
        reasks = self.settings.reasks if max_reasks is None else max_reasks
        if reasks < 0:
            raise ConfigError("max_reasks must be >= 0")
        max_tokens = max_tokens or self.settings.max_output_tokens
        key = ""
        if self.cache is not None:
            key = self.cache_key(messages, response_model, max_tokens, cache_key_extra)
            hit = self.cache.get(key)
            if hit is not None:
                try:
                    obj = response_model.model_validate_json(hit.data, context=dict(context or {}))
                except ValidationError:
                    logger.info("cached answer no longer validates; asking the model")
                else:
                    return obj, Usage(cache_hits=1)
        meter = _Meter()

        def create(*args: Any, **kwargs: Any) -> Any:
            return self._send(meter, *args, **kwargs)

        patched = instructor.patch(create=create, mode=self.mode)
        re_ask = Retrying(
            stop=stop_after_attempt(reasks + 1),
            retry=retry_if_exception_type(_REASKABLE),
            reraise=False,
            sleep=lambda _s: None,
        )
        wire_messages = copy.deepcopy([dict(m) for m in messages])
        if context and _TEMPLATING:
            wire_messages = [_no_jinja(m) for m in wire_messages]
        kwargs: dict[str, Any] = {
            "model": self.settings.model,
            "messages": wire_messages,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens,
            "response_model": response_model,
            "max_retries": re_ask,
            "strict": False,
            self._context_kw: dict(context or {}),
        }
        try:
            answer = patched(**kwargs)
        except Exception as e:
            raise self._failure(e, meter) from _cause(e, self._secret)
        # instructor returns an instance of a generated subclass; hand back the
        # caller's own class (already validated: no second validation run)
        obj = response_model.model_construct(_fields_set=answer.model_fields_set, **dict(answer))
        if self.cache is not None:
            self.cache.put(key, obj.model_dump_json(), meter.usage, model=self.settings.model)
        return obj, meter.usage

    def cache_key(
        self,
        messages: Sequence[Mapping[str, Any]],
        response_model: type[BaseModel],
        max_tokens: int,
        extra: str = "",
    ) -> str:
        """Cache key of a call: SHA-256 of model, mode, sampling, schema, messages, ``extra``."""
        parts = dict(
            cache_format=CACHE_FORMAT,
            model=self.settings.model,
            mode=self.mode.value,
            temperature=self.settings.temperature,
            max_tokens=max_tokens,
            schema=response_model.model_json_schema(),
            schema_name=f"{response_model.__module__}.{response_model.__qualname__}",
            messages=[dict(m) for m in messages],
            extra=extra,
        )
        canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                               default=str)  # fmt: skip
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    # -- one instructor attempt = one transport loop -------------------------------

    def _send(self, meter: _Meter, *args: Any, **kwargs: Any) -> Any:
        attempts = self.settings.max_retries + 1
        if self.mode is instructor.Mode.JSON_SCHEMA and "response_format" in kwargs:
            kwargs["response_format"] = _response_format(
                kwargs["response_format"], llama_cpp=self._llama_cpp_dialect
            )
        transport = Retrying(
            stop=stop_after_attempt(attempts),
            retry=retry_if_exception(_is_transport_error),
            wait=self._backoff,
            sleep=self._sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )
        tokens = _prompt_tokens(kwargs.get("messages")) if self.limiter.tokens else 0
        for attempt in transport:
            with attempt:
                waited = self.limiter.acquire(tokens)  # every attempt counts against the limits
                if waited:
                    logger.info("rate limit: waited %.1f s", waited)
                start = time.monotonic()
                try:
                    with self._in_flight:
                        completion = self._openai.chat.completions.create(*args, **kwargs)
                except Exception as e:
                    meter.add(time.monotonic() - start)
                    _redact(e, self._secret)  # before instructor or tenacity log it
                    raise
                meter.add(time.monotonic() - start, completion)
                return completion
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, state: RetryCallState) -> float:
        """``Retry-After`` if the server sent one (capped), else exponential with jitter."""
        exc = state.outcome.exception() if state.outcome else None
        asked = _retry_after(exc) if exc is not None else None
        if asked is not None:
            return min(asked, self.retry.retry_after_cap)
        expo = self.retry.initial * 2 ** (state.attempt_number - 1)
        return min(self.retry.maximum, expo + random.uniform(0, self.retry.initial))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "%s; retrying in %.1f s (attempt %d of %d)",
            _describe(exc, self._secret) if exc else "error", wait,
            state.attempt_number + 1, self.settings.max_retries + 1,
        )  # fmt: skip

    def _failure(self, exc: Exception, meter: _Meter) -> ModelCallError:
        endpoint = f"{self.settings.model} at {self.settings.base_url}"
        chain = _walk(exc)
        api_error = next((e for e in chain if isinstance(e, openai.APIError)), None)
        if api_error is not None:  # instructor >= 1.4 wraps it; older versions do not
            reason = _describe(api_error, self._secret)
            if _is_transport_error(api_error):
                kind = "transport"
                reason = f"{reason} (gave up after {self.settings.max_retries + 1} attempts)"
            elif isinstance(api_error, openai.APIStatusError):
                kind = "status"
            else:
                kind = "response"
            return ModelCallError(f"{endpoint}: {reason}", usage=meter.usage, reasons=[reason],
                                  kind=kind, last_raw=meter.last_raw)  # fmt: skip
        if any(type(e).__name__ == "IncompleteOutputException" for e in chain):
            reason = (
                f"answer truncated at max_tokens (finish_reason=length, "
                f"{meter.usage.completion_tokens} completion tokens); split the input or "
                "raise max_output_tokens"
            )
            return ModelCallError(f"{endpoint}: {reason}", usage=meter.usage, reasons=[reason],
                                  kind="truncated", last_raw=meter.last_raw)  # fmt: skip
        errors = _validation_errors(chain)
        if errors:
            reasons = [_scrub(r, self._secret) for r in errors]
            return ModelCallError(
                f"{endpoint}: no valid answer after {meter.usage.calls} call(s): {reasons[0]}",
                usage=meter.usage, reasons=reasons, kind="validation", last_raw=meter.last_raw,
            )  # fmt: skip
        reason = _describe(exc, self._secret)
        return ModelCallError(f"{endpoint}: {reason}", usage=meter.usage, reasons=[reason],
                              kind="response", last_raw=meter.last_raw)  # fmt: skip


def _prompt_tokens(messages: Any) -> int:
    """Estimated prompt tokens of chat ``messages`` (for the tokens-per-minute limit)."""
    total = 0
    for m in messages or []:
        content = m.get("content") if isinstance(m, Mapping) else None
        if isinstance(content, str):
            total += estimate_tokens(content)
        elif content is not None:
            total += estimate_tokens(json.dumps(content, ensure_ascii=False))
    return total


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _reaskable() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the answer did not validate": the only ones re-asked.

    instructor < 1.4 wraps each parse error in ``InstructorRetryException`` inside
    its loop (``instructor.retry``), so that wrapper counts too there.
    """
    found: list[type[BaseException]] = [ValidationError, JSONDecodeError]
    if not _has_module("instructor.core"):  # old layout
        old = getattr(importlib.import_module("instructor.retry"), "InstructorRetryException", None)
        if isinstance(old, type) and issubclass(old, BaseException):
            found.append(old)
    return tuple(found)


_REASKABLE = _reaskable()


#: instructor >= 1.5 renders message contents as Jinja templates when a context is
#: given; report text containing ``{{`` / ``{%`` / ``{#`` must reach the model verbatim.
_TEMPLATING = _has_module("instructor.templating") or _has_module("instructor.v2.core.templating")
_JINJA = re.compile(r"\{\{|\{%|\{#")


def _no_jinja(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` with a string content protected from Jinja rendering (a raw block)."""
    content = message.get("content")
    if isinstance(content, str) and _JINJA.search(content) and "endraw" not in content:
        message["content"] = "{% raw %}" + content + "{% endraw %}"
    return message


@functools.cache
def _context_keyword() -> str:
    """``context`` on instructor >= 1.4.x, ``validation_context`` before."""
    probe = instructor.patch(create=lambda **_kw: None, mode=instructor.Mode.TOOLS)
    params = inspect.signature(probe, follow_wrapped=False).parameters
    return "context" if "context" in params else "validation_context"


def _walk(exc: BaseException | None) -> list[BaseException]:
    """``exc`` and everything it wraps (causes, contexts, tenacity's last attempt, args)."""
    seen: list[BaseException] = []
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        last = getattr(e, "last_attempt", None)
        if last is not None and getattr(last, "failed", False):
            stack.append(last.exception())
        stack.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        stack.extend([e.__cause__, e.__context__])
    return seen


def _validation_errors(chain: list[BaseException]) -> list[str]:
    for e in chain:
        if isinstance(e, ValidationError):
            return [
                f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
                for err in e.errors(include_url=False)
            ]
        if isinstance(e, JSONDecodeError):
            return [f"invalid JSON: {e}"]
    return []


def _describe(exc: BaseException, secret: str) -> str:
    if isinstance(exc, openai.APITimeoutError):
        text = "request timed out"
    elif isinstance(exc, openai.APIConnectionError):
        text = f"connection error: {exc.__cause__ or exc}"
    elif isinstance(exc, openai.APIStatusError):
        text = f"HTTP {exc.status_code}: {exc.message}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return _scrub(text, secret)


_BEARER = re.compile(r"(?i)(bearer\s+|api[_-]?key[\"'=:\s]+)[A-Za-z0-9._\-]{8,}")


def _scrub(text: str, secret: str) -> str:
    """``text`` without the API key (whole or any 8+ character fragment quoted back)."""
    if secret:
        text = text.replace(secret, "***")
        if len(secret) >= 16:  # providers echo a masked key: sk-abc***wxyz
            for frag in {secret[:12], secret[-8:]}:
                text = text.replace(frag, "***")
    return _BEARER.sub(r"\1***", text)


def _redact(exc: BaseException, secret: str) -> None:
    """Remove ``secret`` from an SDK error in place (message, args, body)."""
    if not secret:
        return
    exc.args = tuple(_scrub(a, secret) if isinstance(a, str) else a for a in exc.args)
    if isinstance(getattr(exc, "message", None), str):
        exc.message = _scrub(exc.message, secret)  # type: ignore[attr-defined]
    body = getattr(exc, "body", None)
    if body is not None:
        text = json.dumps(body, default=str, ensure_ascii=False)
        if secret in text:
            exc.body = json.loads(_scrub(text, secret))  # type: ignore[attr-defined]


def _cause(exc: Exception, secret: str) -> Exception | None:
    """``exc`` as the chained cause, unless its text would reveal the key."""
    for e in _walk(exc):
        if secret and secret in str(e):
            return None
        body = getattr(e, "body", None)
        if secret and body is not None and secret in json.dumps(body, default=str):
            return None
    return exc
