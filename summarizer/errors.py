"""Errors raised by summarizer.

Every error the library raises on purpose derives from :class:`SummarizerError`,
so callers can catch one class. The tree::

    SummarizerError
    ├── InputError            bad input: unreadable file, unknown format, empty text
    ├── ConfigError           bad settings: missing model, unknown backend, bad URL
    ├── ModelError            the model endpoint failed after retries
    │   ├── ModelCallError        one structured call failed (what it cost, why)
    │   └── BudgetExceededError   a document is over its token budget
    └── DatasetError          an eval dataset or gold file is invalid

Messages say what went wrong and what to do about it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: errors sit below every other module
    from .schema import ModelCallKind, Usage


class SummarizerError(Exception):
    """Root of every error summarizer raises on purpose."""


class InputError(SummarizerError):
    """A document could not be read or has no usable text."""


class ConfigError(SummarizerError):
    """Settings are missing or inconsistent."""


class ModelError(SummarizerError):
    """The model endpoint could not produce an answer."""


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
        kind: ModelCallKind,
        last_raw: str | None = None,
    ) -> None:
        super().__init__(message)
        self.usage: Usage = usage
        self.reasons: list[str] = reasons
        self.kind: ModelCallKind = kind
        self.last_raw: str | None = last_raw


class BudgetExceededError(ModelError):
    """A document needs more tokens than the configured budget allows."""


class DatasetError(SummarizerError):
    """An evaluation dataset or its gold annotations are invalid."""
