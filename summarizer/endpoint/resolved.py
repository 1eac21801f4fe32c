"""The resolved endpoint: what the settings mean once a session is open.

:class:`~summarizer.settings.Settings` say what the user configured (an empty
``base_url`` means "start the embedded model"); a :class:`ResolvedEndpoint` says
what is actually talked to: the URL, the model name it answers to, the
instructor mode, whether it is a local server, the model scope and how prompt
tokens are counted. It is built once when a backend opens — by
:func:`configured_endpoint` for a configured URL, by
:func:`summarizer.endpoint.localmodel.local_endpoint` for the embedded server,
the only place whose URL appears — and never changes after.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import instructor
from pydantic import SecretStr

from ..errors import ConfigError
from ..settings import ResolvedScope, Settings
from .modes import is_local_url, resolve_mode
from .tokens import count_tokens, tokenizer_name

__all__ = ["ResolvedEndpoint", "ResolvedScope", "configured_endpoint"]


@dataclass(frozen=True, slots=True)
class ResolvedEndpoint:
    """The endpoint a session talks to, resolved once (frozen).

    Attributes:
        url: the OpenAI-compatible base URL (the embedded server's when ``embedded``).
        model: the model name sent in every request.
        mode: the instructor mode (``settings.mode``, ``auto`` decided for ``url``).
        local: a server on this machine or network (embedded, loopback, private
            address, usual local ports): small-model defaults, llama.cpp's JSON dialect.
        embedded: the llama.cpp server this session started.
        scope: what the model is asked (``settings.model_scope`` with ``auto`` decided).
        count_tokens: prompt tokens of a text for this model (the GGUF's own
            tokenizer for the embedded model, tiktoken otherwise).
        tokenizer: the counter's name, for logs.
        api_key: the key sent (empty for the embedded server).
    """

    url: str
    model: str
    mode: instructor.Mode
    local: bool
    embedded: bool
    scope: ResolvedScope
    count_tokens: Callable[[str], int] = field(repr=False, compare=False)
    tokenizer: str = ""
    api_key: SecretStr = field(default=SecretStr(""), repr=False)


def configured_endpoint(settings: Settings) -> ResolvedEndpoint:
    """The endpoint ``settings.base_url`` names (nothing is started).

    Raises:
        ConfigError: no ``base_url`` (the embedded model is opened by
            :func:`~summarizer.endpoint.localmodel.local_endpoint`) or no ``model``.
    """
    if not settings.base_url:
        raise ConfigError(
            "no model endpoint: set SUMMARIZER_BASE_URL, or start the embedded server "
            "with summarizer.endpoint.localmodel.local_endpoint(settings)"
        )
    if not settings.model:
        raise ConfigError(
            "no model name: set SUMMARIZER_MODEL or --model (the model's name at "
            f"{settings.base_url})"
        )
    return ResolvedEndpoint(
        url=settings.base_url,
        model=settings.model,
        mode=resolve_mode(settings),
        local=is_local_url(settings.base_url),
        embedded=False,
        scope=settings.effective_model_scope,
        count_tokens=functools.partial(count_tokens, model=settings.model),
        tokenizer=tokenizer_name(settings.model),
        api_key=settings.api_key,
    )


def embedded_endpoint(
    settings: Settings, *, url: str, model: str, count: Callable[[str], int], tokenizer: str
) -> ResolvedEndpoint:
    """The endpoint of the embedded server running at ``url`` (no key is sent to it)."""
    return ResolvedEndpoint(
        url=url,
        model=model,
        mode=resolve_mode(settings, url=url),
        local=True,
        embedded=True,
        scope=settings.effective_model_scope,
        count_tokens=count,
        tokenizer=tokenizer,
    )
