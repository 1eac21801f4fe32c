"""Settings: one frozen, self-checking object, read from the environment only at the edge.

Library code receives a :class:`Settings`; only :meth:`Settings.from_env` (called
by the CLI and by the top-level API when no settings are given) reads
``SUMMARIZER_<FIELD>`` variables and the OpenAI SDK's own ``OPENAI_API_KEY`` /
``OPENAI_BASE_URL``. The typed fields drive both: an environment value is parsed
by the field's type (``"8"`` -> 8, ``"off"`` -> False) and every value, from the
environment or from Python, is checked against the field's constraints. A bad
value or an unknown name raises :class:`~summarizer.errors.ConfigError` naming the
field (or the variable it came from) and what it accepts.

The API key is a :class:`pydantic.SecretStr`: it shows as ``'**********'`` in every
repr and dump; ``settings.api_key.get_secret_value()`` is the one way to read it.

What is resolved when a session opens (the embedded server's URL, the model it
serves, the instructor mode, the model scope) is not a setting: see
:class:`summarizer.endpoint.resolved.ResolvedEndpoint`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import ConfigError

Backend = Literal["rules", "llm"]
#: ``model_scope`` with ``auto`` decided (recorded as ``RunMetadata.model_scope``).
ResolvedScope = Literal["all", "judgement"]
Mode = Literal["auto", "tools", "json_schema", "md_json"]
ModelScope = Literal["auto", "all", "judgement"]

BACKENDS: tuple[str, ...] = ("rules", "llm")
MODES: tuple[str, ...] = ("auto", "tools", "json_schema", "md_json")
MODEL_SCOPES: tuple[str, ...] = ("auto", "all", "judgement")

ENV_PREFIX = "SUMMARIZER_"
#: Variables of the OpenAI SDK read when the ``SUMMARIZER_`` one is not set.
OPENAI_FALLBACKS: dict[str, str] = {"api_key": "OPENAI_API_KEY", "base_url": "OPENAI_BASE_URL"}
#: Fields whose given value never appears in an error message.
_SECRET_FIELDS = frozenset({"api_key"})


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/summarizer`` or ``~/.cache/summarizer``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "summarizer"


def env_name(field: str) -> str:
    """The environment variable of a settings field: ``reasks`` -> ``SUMMARIZER_REASKS``."""
    return ENV_PREFIX + field.upper()


class Settings(BaseModel):
    """Everything that changes how documents are summarised (frozen; checked on creation).

    Build one with keywords (``Settings(backend="rules")``), from the environment
    (:meth:`from_env`) or from another (:meth:`with_`). Each field's description
    says what it does; its environment variable is ``SUMMARIZER_<NAME>``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    # -- what summarises ---------------------------------------------------------------
    backend: Backend = Field(
        default="llm",
        description="``rules`` (no model) or ``llm`` (any OpenAI-compatible endpoint; the "
        "embedded local model when ``base_url`` is empty).",
    )
    model_scope: ModelScope = Field(
        default="auto",
        description="What the model is asked. ``all``: category, summary and figures of every "
        "unit. ``judgement``: only the category of the units whose role the structure leaves "
        "open; the other units keep their structural category and their lead clause as "
        "summary. ``auto``: ``judgement`` for the embedded small model (no ``base_url``), "
        "``all`` for any configured endpoint.",
    )

    # -- the endpoint ------------------------------------------------------------------
    base_url: str = Field(
        default="", description="OpenAI-compatible endpoint; empty: start the embedded server."
    )
    api_key: SecretStr = Field(
        default=SecretStr(""), description="Key for the endpoint (never logged or written)."
    )
    model: str = Field(default="", description="Model name sent to the endpoint.")
    mode: Mode = Field(default="auto", description="instructor mode; ``auto`` picks per endpoint.")
    local_model: str = Field(
        default="",
        description="GGUF file (or registry name) for the embedded server; empty: the "
        "installed default.",
    )

    # -- one call ----------------------------------------------------------------------
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_output_tokens: int = Field(default=1024, ge=1, description="Completion tokens per call.")
    timeout: float = Field(
        default=120.0,
        gt=0,
        allow_inf_nan=False,
        description="Seconds before one HTTP call is abandoned.",
    )
    max_retries: int = Field(
        default=4,
        ge=0,
        description="Retries of 5xx answers, timeouts and dropped connections, separate from "
        "re-asks. Answers that ask to wait (429, ``Retry-After``) do not count against it: "
        "they are retried for up to 120 s per request.",
    )
    reasks: int = Field(default=1, ge=0, description="Validation re-asks per chunk.")

    # -- how a document is cut ---------------------------------------------------------
    chunk_tokens: int = Field(default=1500, ge=1, description="Prompt-token budget of a chunk.")
    chunk_units: int = Field(
        default=0,
        ge=0,
        description="Most units in one call; 0 = auto (1 for local servers, whose small models "
        "drift across units in one answer; 8 for hosted endpoints).",
    )
    doc_token_budget: int = Field(
        default=0, ge=0, description="Refuse documents whose estimated tokens exceed it (0: off)."
    )

    # -- throughput and limits ---------------------------------------------------------
    concurrency: int = Field(default=2, ge=1, description="Chunks/documents in flight at once.")
    workers: int = Field(
        default=0,
        ge=0,
        description="Processes a batch's documents are shared among (0 = auto: one per CPU, "
        "up to 4, one per 16 documents and, with an endpoint, one per 32 requests in flight; "
        "one with the embedded model, whose server uses every core). ``concurrency`` and the "
        "rate limits are split between them.",
    )
    requests_per_minute: int = Field(
        default=0, ge=0, description="Most HTTP requests to the endpoint per minute (0: off)."
    )
    tokens_per_minute: int = Field(
        default=0, ge=0, description="Most estimated prompt tokens sent per minute (0: off)."
    )
    breaker_failures: int = Field(
        default=5,
        ge=0,
        description="Consecutive failures (failed requests, unusable answers) after which the "
        "endpoint is not called any more; units not sent fall back and their documents are "
        "recorded degraded (0: never stop).",
    )
    breaker_cooldown: float = Field(
        default=30.0,
        ge=0,
        allow_inf_nan=False,
        description="Seconds before a stopped endpoint is probed again.",
    )
    breaker_busy_seconds: float = Field(
        default=15.0,
        ge=0,
        allow_inf_nan=False,
        description="Seconds of nothing but busy answers (HTTP 429 with Retry-After) after "
        "which the endpoint is stopped too (0: never).",
    )
    ray_connect_timeout: float = Field(
        default=30.0,
        gt=0,
        allow_inf_nan=False,
        description="Seconds to wait for a Ray cluster (``--ray-address``) to answer.",
    )

    # -- on disk -----------------------------------------------------------------------
    cache: bool = Field(default=True, description="Use the on-disk response cache.")
    cache_dir: Path = Field(
        default_factory=default_cache_dir,
        description="Where the response cache and assembled local models live.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _checked(
        cls, values: Any, handler: ModelWrapValidatorHandler[Settings], info: ValidationInfo
    ) -> Settings:
        """Any bad value becomes a :class:`ConfigError` naming the field (or its variable)."""
        try:
            return handler(values)
        except ValidationError as e:
            sources = (info.context or {}).get("sources", {})
            raise ConfigError(_explain(e, sources=sources)) from None

    @field_validator("cache_dir")
    @classmethod
    def _default_cache_dir(cls, value: Path) -> Path:
        return default_cache_dir() if value == Path() else value

    @property
    def effective_model_scope(self) -> ResolvedScope:
        """``model_scope`` with ``auto`` resolved: ``judgement`` for the embedded model."""
        if self.model_scope != "auto":
            return self.model_scope
        return "all" if self.base_url else "judgement"

    def with_(self, **changes: Any) -> Settings:
        """A checked copy with ``changes`` applied; ``None`` values are ignored.

        Raises:
            ConfigError: an unknown field or a bad value, naming the field.
        """
        values = {name: getattr(self, name) for name in type(self).model_fields}
        values.update({k: v for k, v in changes.items() if v is not None})
        return type(self)(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``SUMMARIZER_*`` / ``OPENAI_*`` variables, then ``overrides``.

        Empty variables count as unset; ``None`` overrides are ignored.

        Raises:
            ConfigError: a variable or override that is not valid, naming it.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name in cls.model_fields:
            for var in (env_name(name), OPENAI_FALLBACKS.get(name)):
                raw = env.get(var) if var else None
                if raw is not None and raw != "":
                    values[name], sources[name] = raw, str(var)
                    break
        for name, value in overrides.items():
            if value is not None:
                values[name] = value
                sources.pop(name, None)
        return cls.model_validate(values, context={"sources": sources})


def _explain(error: ValidationError, *, sources: Mapping[str, str]) -> str:
    """One line per bad value: the field (or its variable), the value, what it accepts."""
    lines = []
    for detail in error.errors(include_url=False):
        name = str(detail["loc"][0]) if detail["loc"] else "settings"
        if detail["type"] == "extra_forbidden":
            near = difflib.get_close_matches(name, list(Settings.model_fields), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            lines.append(f"unknown setting {name!r}{hint}")
            continue
        shown = "***" if name in _SECRET_FIELDS else repr(detail.get("input"))
        where = sources.get(name)
        label = f"{where}={shown}" if where else f"setting {name}={shown}"
        lines.append(f"{label} is not valid: {detail['msg']}")
    return "; ".join(lines)
