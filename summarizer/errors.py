"""Errors raised by summarizer.

Every error the library raises on purpose derives from :class:`SummarizerError`,
so callers can catch one class. The tree::

    SummarizerError
    ├── InputError            bad input: unreadable file, unknown format, empty text
    ├── ConfigError           bad settings: missing model, unknown backend, bad URL
    ├── ModelError            the model endpoint failed after retries
    │   └── BudgetExceededError   a document is over its token budget
    └── DatasetError          an eval dataset or gold file is invalid

Messages say what went wrong and what to do about it.
"""

from __future__ import annotations


class SummarizerError(Exception):
    """Root of every error summarizer raises on purpose."""


class InputError(SummarizerError):
    """A document could not be read or has no usable text."""


class ConfigError(SummarizerError):
    """Settings are missing or inconsistent."""


class ModelError(SummarizerError):
    """The model endpoint could not produce an answer."""


class BudgetExceededError(ModelError):
    """A document needs more tokens than the configured budget allows."""


class DatasetError(SummarizerError):
    """An evaluation dataset or its gold annotations are invalid."""
