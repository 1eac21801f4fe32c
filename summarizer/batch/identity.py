"""Run identity: one hash of the configuration a summary was made with, resolved.

A batch reuses a finished output only when it was made from the same input
*and* under the same run identity (:mod:`summarizer.batch.folder`). The
identity is the SHA-256 of these parts (:func:`identity_parts`):

==================  ==========================================================
``version``         the package version (an upgrade redoes everything)
``backend``         ``rules`` or ``llm``
``model``           the embedded model's GGUF SHA-256 (hashed once and cached,
                    :func:`summarizer.endpoint.modelfiles.model_digest`), or the
                    endpoint URL and model name
``scope``           what the model is asked (``all`` / ``judgement``, resolved)
``sampling``        temperature, output cap, instructor mode, re-asks, chunking
``prompts``         every prompt template, the response schemas the model is
                    given and the output schema version
==================  ==========================================================

With the rules backend only ``version`` and ``backend`` apply. The parts are
recorded in the manifest too, so a run can say *what* changed
(:func:`changed_parts`). Nothing here starts a model or calls an endpoint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from .._version import __version__
from ..extract.validation import answer_model, category_model
from ..schema import SCHEMA_VERSION
from ..settings import Settings

__all__ = ["changed_parts", "identity_parts", "prompts_version", "run_identity"]

#: The package's prompt templates (a module attribute so tests can point it elsewhere).
PROMPTS: Traversable = resources.files("summarizer") / "prompts"


def prompts_version(prompts: Traversable | None = None) -> str:
    """SHA-256 (16 hex) of every prompt template, the response schemas and the output schema."""
    folder = prompts if prompts is not None else PROMPTS
    h = hashlib.sha256()
    for f in sorted(folder.iterdir(), key=lambda t: t.name):
        if f.is_file() and f.name.endswith(".txt"):
            h.update(f.name.encode("utf-8") + b"\0" + f.read_bytes() + b"\0")
    h.update(_schemas().encode("utf-8"))
    return h.hexdigest()[:16]


@cache
def _schemas() -> str:
    ids = ("u1", "u2")
    return json.dumps(
        {
            "output": SCHEMA_VERSION,
            "answer": answer_model(ids).model_json_schema(),
            "category": category_model(ids).model_json_schema(),
        },
        sort_keys=True,
        ensure_ascii=False,
    )


def identity_parts(settings: Settings, *, version: str | None = None) -> dict[str, Any]:
    """What the run identity is made of (see the module docstring).

    Args:
        settings: the run's settings, as configured (the embedded model is
            resolved here, without starting it).
        version: the package version (default: this package's).

    Raises:
        ConfigError: the embedded model cannot be resolved.
    """
    parts: dict[str, Any] = {
        "version": version if version is not None else __version__,
        "backend": settings.backend,
    }
    if settings.backend != "llm":
        return parts
    if settings.base_url:
        model = f"{settings.base_url.rstrip('/')}#{settings.model}"
    else:
        from ..endpoint.modelfiles import model_digest

        model = f"gguf:sha256:{model_digest(settings)}"
    parts.update(
        model=model,
        scope=settings.effective_model_scope,
        sampling={
            "temperature": settings.temperature,
            "max_output_tokens": settings.max_output_tokens,
            "mode": settings.mode,
            "reasks": settings.reasks,
            "chunk_tokens": settings.chunk_tokens,
            "chunk_units": settings.chunk_units,
        },
        prompts=prompts_version(),
    )
    return parts


def run_identity(parts: Mapping[str, Any]) -> str:
    """The run identity of :func:`identity_parts`: ``<backend>-<sha256[:16]>``."""
    canonical = json.dumps(dict(parts), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{parts.get('backend', '?')}-{digest[:16]}"


def changed_parts(before: Any, now: Mapping[str, Any]) -> list[str]:
    """Names of the parts that differ between a recorded identity and this run's.

    ``sampling`` is broken down into its settings (``temperature``...); an
    unreadable record gives ``["configuration"]``.
    """
    if not isinstance(before, Mapping):
        return ["configuration"]
    changed = []
    for key in sorted(set(before) | set(now)):
        old, new = before.get(key), now.get(key)
        if old == new:
            continue
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            changed += [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        else:
            changed.append(key)
    return changed or ["configuration"]
