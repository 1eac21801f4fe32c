"""Settings: one frozen object, read from the environment only at the edge.

Library code receives a :class:`Settings`; only :meth:`Settings.from_env` (called
by the CLI and by the top-level API when no settings are given) reads
``SUMMARIZER_*`` variables and the OpenAI SDK's own ``OPENAI_API_KEY`` /
``OPENAI_BASE_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError

Backend = Literal["rules", "llm"]
Mode = Literal["auto", "tools", "json_schema", "md_json"]
ModelScope = Literal["auto", "all", "judgement"]

BACKENDS: tuple[str, ...] = ("rules", "llm")
MODES: tuple[str, ...] = ("auto", "tools", "json_schema", "md_json")
MODEL_SCOPES: tuple[str, ...] = ("auto", "all", "judgement")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/summarizer`` or ``~/.cache/summarizer``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "summarizer"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that changes how documents are summarised.

    Attributes:
        backend: ``rules`` (no model) or ``llm`` (any OpenAI-compatible endpoint;
            the embedded local model when ``base_url`` is empty).
        base_url: OpenAI-compatible endpoint; empty means start the local server.
        api_key: key for the endpoint (never logged or written).
        model: model name sent to the endpoint.
        mode: instructor mode; ``auto`` picks per endpoint kind.
        temperature: sampling temperature.
        max_output_tokens: cap on completion tokens per call.
        timeout: seconds before one HTTP call is abandoned.
        max_retries: retries of 5xx answers, timeouts and dropped connections,
            separate from re-asks. Answers that ask to wait (429, ``Retry-After``)
            do not count against it: they are retried for up to 120 s per request.
        reasks: validation re-asks per chunk.
        concurrency: chunks/documents in flight at once.
        chunk_tokens: prompt-token budget of one chunk.
        chunk_units: most units in one call; 0 = auto (1 for local servers, whose
            small models drift across units in one answer; 8 for hosted endpoints).
        doc_token_budget: refuse documents whose estimated tokens exceed it (0: no limit).
        cache: use the on-disk response cache.
        cache_dir: where the cache and assembled local models live.
        local_model: path to a GGUF file for the embedded server (else the installed default).
        requests_per_minute: most HTTP requests to the endpoint per minute (0 = no limit).
        tokens_per_minute: most estimated prompt tokens sent per minute (0 = no limit).
        model_scope: what the model is asked. ``all``: category, summary and figures
            of every unit. ``judgement``: only the category of the units whose role
            the structure leaves open (no role-stating heading or wording); the
            other units keep their structural category and their lead clause as
            summary. ``auto``: ``judgement`` for the embedded small model (no
            ``base_url``), ``all`` for any configured endpoint.
        breaker_failures: consecutive failures (failed requests, unusable answers)
            after which the endpoint is not called any more (0: never stop).
        breaker_cooldown: seconds before a stopped endpoint is probed again.
        breaker_busy_seconds: seconds of nothing but busy answers (HTTP 429) after
            which the endpoint is stopped too (0: never).
    """

    backend: Backend = "llm"
    base_url: str = ""
    api_key: str = ""
    model: str = ""
    mode: Mode = "auto"
    temperature: float = 0.0
    max_output_tokens: int = 1024
    timeout: float = 120.0
    max_retries: int = 4
    reasks: int = 1
    concurrency: int = 2
    chunk_tokens: int = 1500
    chunk_units: int = 0
    doc_token_budget: int = 0
    cache: bool = True
    cache_dir: Path = Path()
    local_model: str = ""
    requests_per_minute: int = 0
    tokens_per_minute: int = 0
    model_scope: ModelScope = "auto"
    breaker_failures: int = 5
    breaker_cooldown: float = 30.0
    breaker_busy_seconds: float = 20.0

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown backend {self.backend!r}; choose one of {BACKENDS}")
        if self.mode not in MODES:
            raise ConfigError(f"unknown instructor mode {self.mode!r}; choose one of {MODES}")
        if self.model_scope not in MODEL_SCOPES:
            raise ConfigError(
                f"unknown model scope {self.model_scope!r}; choose one of {MODEL_SCOPES}"
            )
        if self.concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        if self.requests_per_minute < 0 or self.tokens_per_minute < 0:
            raise ConfigError("requests_per_minute and tokens_per_minute must be >= 0 (0 = off)")
        if self.timeout <= 0:
            raise ConfigError("timeout must be positive (seconds)")
        if self.breaker_failures < 0 or self.breaker_cooldown < 0 or self.breaker_busy_seconds < 0:
            raise ConfigError(
                "breaker_failures, breaker_cooldown and breaker_busy_seconds must be >= 0"
            )
        if self.cache_dir == Path():
            object.__setattr__(self, "cache_dir", default_cache_dir())

    @property
    def effective_model_scope(self) -> Literal["all", "judgement"]:
        """``model_scope`` with ``auto`` resolved: ``judgement`` for the embedded model."""
        if self.model_scope != "auto":
            return self.model_scope
        return "all" if self.base_url else "judgement"

    def with_(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def __repr__(self) -> str:  # never show the key
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        if shown["api_key"]:
            shown["api_key"] = "***"
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``SUMMARIZER_*`` / ``OPENAI_*`` variables, then ``overrides``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        conv: dict[str, Any] = {
            "temperature": float,
            "timeout": float,
            "max_output_tokens": int,
            "max_retries": int,
            "reasks": int,
            "concurrency": int,
            "chunk_tokens": int,
            "chunk_units": int,
            "doc_token_budget": int,
            "requests_per_minute": int,
            "tokens_per_minute": int,
            "breaker_failures": int,
            "breaker_cooldown": float,
            "breaker_busy_seconds": float,
            "cache": _to_bool,
            "cache_dir": Path,
        }
        for f in fields(cls):
            raw = env.get(f"SUMMARIZER_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            try:
                values[f.name] = conv.get(f.name, str)(raw)
            except ValueError as e:
                raise ConfigError(f"SUMMARIZER_{f.name.upper()}={raw!r} is not valid: {e}") from e
        values.setdefault("api_key", env.get("OPENAI_API_KEY", ""))
        values.setdefault("base_url", env.get("OPENAI_BASE_URL", ""))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _to_bool(raw: str) -> bool:
    low = raw.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true/false")
