"""Structured calls to any OpenAI-compatible endpoint: openai + instructor + tenacity.

Two loops, one inside the other, never mixed up
-----------------------------------------------
::

    LLMClient.structured()
      └─ instructor re-ask loop  (max_reasks + 1 answers; ValidationError/JSONDecodeError only)
           └─ _send(): transport loop (transport.send_with_retries: time budget, attempt cap)
                └─ openai.OpenAI(max_retries=0).chat.completions.create  (one HTTP request)

* **Transport retries live inside one "attempt" of instructor.** instructor is
  given ``_send`` as its ``create`` function (``instructor.patch(create=...)``,
  the same thing ``instructor.from_openai`` does with the SDK's method; patched
  once per client). ``_send`` retries 408/429/5xx, timeouts and connection
  errors as :mod:`summarizer.endpoint.transport` says: exponential backoff with jitter,
  never sooner than ``Retry-After``, bounded by a time budget (120 s) — a 429 or
  an answer with ``Retry-After`` does not use up ``settings.max_retries``, other
  failures do. The SDK's own retries are off (``max_retries=0``) so there is
  exactly one retry policy. Non-retryable 4xx (400/401/403/404/422...) propagate
  at once.
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
  edits them). instructor >= 1.5 renders message contents as Jinja templates
  whenever it is given a validation context, so it is never given one: the
  context reaches the validators through the response model's wire class
  (:mod:`summarizer.endpoint.wire_models`), which reads it from a context variable set for
  the call.
* **Per-model work is done once.** instructor wraps the response model in a
  generated subclass and builds its JSON schema on every call (≈ 1.2 ms of CPU,
  which batches of many small calls pay under one GIL);
  :func:`~summarizer.endpoint.wire_models.wire_model` builds that class once per response
  model, with its schema cached.
* **Truncation is an error, not a re-ask.** ``finish_reason == "length"`` raises
  ``ModelCallError(kind="truncated")``: with temperature 0 a re-ask would be cut at
  the same place, so the caller should split the chunk or raise
  ``max_output_tokens``.
* **Usage is metered per HTTP attempt in ``_send``**, not taken from instructor
  (which reports totals only in some paths, #2391): every attempt adds a call and
  its wall seconds (from when it has a slot among the ``concurrency`` in flight);
  every answer adds prompt/completion/cached tokens, whether it
  validated, was re-asked or failed. The sum is returned on success and carried by
  :class:`ModelCallError` (``.usage``, ``.reasons``) on failure.

Why not a retrying ``httpx`` transport under the SDK? It works, but httpx mounts
proxy transports from the environment that would bypass it, and it would have
to re-implement the SDK's error typing and parse bodies for usage. At the
``create`` level we get typed errors, ``e.response.headers`` and a parsed
``ChatCompletion`` for free.

**A circuit breaker guards the endpoint** (:mod:`summarizer.endpoint.breaker`,
one per client, shared by its threads): every failed HTTP attempt that is not a
busy answer counts as a failure, busy answers (429) count by how long they last,
a validated answer closes the run of failures. A caller that gets a
``kind="validation"`` error decides whether the last answer was usable after all
(a lenient read) and tells the breaker (:meth:`LLMClient.answer_usable`); once
the breaker is open, requests are refused without being sent
(``ModelCallError(kind="endpoint_down")``) and retry loops stop waiting.

Which instructor mode and JSON-schema dialect an endpoint gets is decided in
:mod:`summarizer.endpoint.modes`; transport retries in :mod:`summarizer.endpoint.transport`; keeping
the key out of errors in :mod:`summarizer.endpoint.redaction`.

Token counting (:func:`count_tokens`) never touches the network: see its docstring.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import instructor
import openai
from pydantic import BaseModel, ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from ..errors import ConfigError, ModelCallError
from ..schema import ModelCallKind, Usage
from ..settings import Settings
from .breaker import CircuitBreaker, EndpointDownError
from .modes import is_local_url, resolve_mode, response_format
from .ratelimit import RateLimiter
from .redaction import exception_chain, redact, safe_cause, scrub
from .resolved import ResolvedEndpoint, configured_endpoint
from .sdk import post_chat, sdk_client
from .tokens import count_tokens, estimate_tokens, tokenizer_name
from .transport import (
    RetryPolicy,
    TransportLog,
    describe,
    is_busy,
    is_retryable,
    retry_after,
    send_with_retries,
)
from .wire_models import (
    REASKABLE,
    remember_async_validator_checks,
    schema_of,
    validation_context,
    validation_errors,
    wire_model,
)

logger = logging.getLogger(__name__)

__all__ = [  # token counting lives in tokens.py; re-exported here for callers of the client
    "AnswerCache",
    "LLMClient",
    "ModelCallError",
    "RetryPolicy",
    "count_tokens",
    "estimate_tokens",
    "is_local_url",
    "resolve_mode",
    "tokenizer_name",
]

M = TypeVar("M", bound=BaseModel)

NO_KEY = "sk-no-key"  # placeholder: the SDK refuses an empty key, local servers ignore it


class _Cached(Protocol):
    @property
    def data(self) -> str:
        """The stored answer as JSON."""


class AnswerCache(Protocol):
    """What the client needs from a cache (``summarizer.endpoint.cache.ResponseCache`` fits)."""

    def get(self, key: str) -> _Cached | None:
        """The stored answer JSON for ``key``, or None."""

    def put(self, key: str, data: str, usage: Usage | None = None, *, model: str = "") -> None:
        """Store the validated answer JSON for ``key``."""


CACHE_FORMAT = "1"  # bump to orphan every cached answer


@dataclass
class _Meter:
    """Usage of one :meth:`LLMClient.structured` call, added up per HTTP attempt."""

    usage: Usage = field(default_factory=Usage)
    last_raw: str | None = None
    transport: TransportLog = field(default_factory=TransportLog)  #: the last transport loop

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


#: The meter of this thread's current :meth:`LLMClient.structured` call.
_METER: ContextVar[_Meter] = ContextVar("summarizer_meter")


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
        endpoint: ResolvedEndpoint | None = None,
        cache: AnswerCache | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        """Build the SDK client for ``endpoint``.

        Args:
            settings: ``timeout``, ``max_retries``, ``reasks``, ``temperature``,
                ``max_output_tokens``, ``concurrency`` and the rate limits.
            endpoint: what to talk to (URL, model, mode, key); default: the one
                ``settings.base_url`` names (:func:`configured_endpoint`).
            cache: response cache consulted before any HTTP call (None: no cache).
            retry: transport backoff, time budget and attempt cap; defaults to
                :class:`~summarizer.endpoint.transport.RetryPolicy` (120 s of retrying).
            sleep: how to wait between transport attempts (tests may speed it up).
            breaker: the endpoint's circuit breaker (default: one from the
                ``breaker_*`` settings).

        Raises:
            ConfigError: no ``endpoint`` and no ``base_url`` or ``model`` in the settings.
        """
        self.endpoint = endpoint if endpoint is not None else configured_endpoint(settings)
        self.settings = settings
        self.model = self.endpoint.model
        self.mode = self.endpoint.mode
        self._llama_cpp_dialect = self.endpoint.local
        self.cache = cache
        self.retry = retry or RetryPolicy()
        #: waits between attempts: cut short by the breaker opening, unless a test's own
        self._sleep = sleep
        self._secret = self.endpoint.api_key.get_secret_value()
        self.breaker = breaker or CircuitBreaker(
            f"{self.endpoint.model} at {self.endpoint.url}",
            failures=settings.breaker_failures,
            cooldown=settings.breaker_cooldown,
            busy_seconds=settings.breaker_busy_seconds,
        )
        self._openai = sdk_client(
            self.endpoint.url, self._secret or NO_KEY, timeout=settings.timeout
        )
        remember_async_validator_checks()
        # patched once: the per-call meter reaches ``_send`` through ``_METER``
        self._patched = instructor.patch(create=self._create, mode=self.mode)
        # one budget per client, shared by every thread that uses it: at most
        # ``concurrency`` requests in flight, and the per-minute rate limits
        self._in_flight = threading.BoundedSemaphore(settings.concurrency)
        self.limiter = RateLimiter(
            settings.requests_per_minute, settings.tokens_per_minute, sleep=sleep
        )
        if sleep is time.sleep:
            self._sleep = self.breaker.sleep

    def __repr__(self) -> str:
        url = self.endpoint.url
        return f"LLMClient(base_url={url!r}, model={self.model!r}, mode={self.mode.value!r})"

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
        re_ask = Retrying(
            stop=stop_after_attempt(reasks + 1),
            retry=retry_if_exception_type(REASKABLE),
            reraise=False,
            sleep=lambda _s: None,
        )
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": _own_copy(messages),
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens,
            "response_model": wire_model(response_model),
            "max_retries": re_ask,
            "strict": False,
        }  # no validation context for instructor: it would render the messages as Jinja
        try:
            with validation_context(dict(context or {})):
                token = _METER.set(meter)
                try:
                    answer = self._patched(**kwargs)
                finally:
                    _METER.reset(token)
        except Exception as e:
            failure = self._failure(e, meter)
            # failed attempts are counted as they happen; what is left: a busy answer that
            # outlasted its retry budget, or an answer that cannot be used at all
            if failure.kind in ("truncated", "response") or (
                failure.kind == "transport" and meter.transport.busy == meter.transport.attempts
            ):
                self.breaker.record_failure(failure.reasons[0] if failure.reasons else failure.kind)
            raise failure from safe_cause(e, self._secret)
        self.breaker.record_success()
        # instructor returns an instance of a generated subclass; hand back the
        # caller's own class (already validated: no second validation run)
        obj = response_model.model_construct(_fields_set=answer.model_fields_set, **dict(answer))
        if self.cache is not None:
            self.cache.put(key, obj.model_dump_json(), meter.usage, model=self.model)
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
            model=self.model,
            mode=self.mode.value,
            temperature=self.settings.temperature,
            max_tokens=max_tokens,
            schema=schema_of(response_model),
            schema_name=f"{response_model.__module__}.{response_model.__qualname__}",
            messages=[dict(m) for m in messages],
            extra=extra,
        )
        canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                               default=str)  # fmt: skip
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    # -- one instructor attempt = one transport loop -------------------------------

    def _create(self, *args: Any, **kwargs: Any) -> Any:
        """instructor's ``create``: one transport loop, metered on the current call's meter."""
        meter = _METER.get()
        return self._send(meter, *args, **kwargs)

    def _send(self, meter: _Meter, *args: Any, **kwargs: Any) -> Any:
        if self.mode is instructor.Mode.JSON_SCHEMA and "response_format" in kwargs:
            kwargs["response_format"] = response_format(
                kwargs["response_format"], llama_cpp=self._llama_cpp_dialect
            )
        tokens = _prompt_tokens(kwargs.get("messages")) if self.limiter.tokens else 0

        def attempt() -> Any:
            waited = self.limiter.acquire(tokens)  # every attempt counts against the limits
            if waited:
                logger.info("rate limit: waited %.1f s", waited)
            with self._in_flight:  # a slot; waiting for one is not part of the attempt's time
                # with the slot: a hold or an opening while it waited for one still applies
                ticket = self.breaker.before_request()  # refused, not sent, while open
                start = time.monotonic()
                try:
                    completion = self._post(args, kwargs)
                except Exception as e:
                    meter.add(time.monotonic() - start)
                    redact(e, self._secret)  # before instructor or the retry loop log it
                    if not is_busy(e) or retry_after(e) is None:  # a bare 429 is a failure
                        self.breaker.record_failure(describe(e, self._secret), ticket)
                    raise
                meter.add(time.monotonic() - start, completion)
            time.sleep(0)  # let a thread waiting for the slot send its request now
            return completion

        meter.transport = TransportLog()
        return send_with_retries(
            attempt,
            policy=self.retry,
            max_retries=self.settings.max_retries,
            log=meter.transport,
            sleep=self._sleep,
            on_retry=self._log_retry,
        )

    def _post(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """One ``POST /chat/completions`` through the SDK (:func:`~.sdk.post_chat`)."""
        return post_chat(self._openai, args, kwargs)

    def answer_usable(self, usable: bool, reason: str = "") -> None:
        """Tell the breaker whether a call's invalid last answer could be used after all.

        After a ``kind="validation"`` :class:`ModelCallError` the client does not
        know whether the caller can repair the answer; the caller says so here:
        a usable answer closes the run of failures, an unusable one adds to it.
        """
        if usable:
            self.breaker.record_success()
        else:
            self.breaker.record_failure(reason or "unusable answer")

    def _log_retry(self, exc: BaseException, wait: float, attempts: int, log: TransportLog) -> None:
        # the breaker may stop the loop here: it opened meanwhile, or busy answers lasted too long
        asked = retry_after(exc)
        if asked is not None:  # busy answers that say when are counted by how long they last
            self.breaker.record_busy(wait, describe(exc, self._secret), asked=asked)
        self.breaker.check()
        # busy answers (429, Retry-After) are expected under a provider's cap: info, not warning
        logger.log(
            logging.INFO if is_busy(exc) else logging.WARNING,
            "%s; retrying in %.2f s (attempt %d, %.1f s of the %g s retry budget)",
            describe(exc, self._secret), wait, attempts + 1, log.seconds, self.retry.budget,
        )  # fmt: skip

    def _failure(self, exc: Exception, meter: _Meter) -> ModelCallError:
        endpoint = f"{self.model} at {self.endpoint.url}"
        chain = exception_chain(exc)
        down = next((e for e in chain if isinstance(e, EndpointDownError)), None)
        if down is not None:
            return ModelCallError(str(down), usage=meter.usage, reasons=[down.reason],
                                  kind="endpoint_down", last_raw=meter.last_raw)  # fmt: skip
        api_error = next((e for e in chain if isinstance(e, openai.APIError)), None)
        if api_error is not None:  # instructor >= 1.4 wraps it; older versions do not
            reason = describe(api_error, self._secret)
            kind: ModelCallKind
            if is_retryable(api_error):
                kind = "transport"
                reason = f"{reason} ({meter.transport.gave_up or 'gave up'})"
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
        errors = validation_errors(chain)
        if errors:
            reasons = [scrub(r, self._secret) for r in errors]
            return ModelCallError(
                f"{endpoint}: no valid answer after {meter.usage.calls} call(s): {reasons[0]}",
                usage=meter.usage, reasons=reasons, kind="validation", last_raw=meter.last_raw,
            )  # fmt: skip
        reason = describe(exc, self._secret)
        return ModelCallError(f"{endpoint}: {reason}", usage=meter.usage, reasons=[reason],
                              kind="response", last_raw=meter.last_raw)  # fmt: skip


def _own_copy(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Messages instructor may append to and edit, leaving the caller's untouched.

    A copy of each message dict is enough for text contents (strings are
    immutable); anything else (content parts) is deep-copied.
    """
    out = [dict(m) for m in messages]
    if all(isinstance(m.get("content"), str | None) for m in out):
        return out
    return copy.deepcopy(out)


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
