"""One document end to end: load -> metadata -> outline -> items -> summary."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from ._version import __version__
from .errors import InputError
from .extract.grounding import ExtractResult
from .extract.rules import rules_items
from .extract.validation import instruction_like
from .figures.indicators import tag_item
from .ingest.documents import SUPPORTED_SUFFIXES, Document, document_from_text, load_document
from .ingest.metadata import guess_metadata
from .schema import (
    CATEGORY_FIELDS,
    DocumentSummary,
    ExcludedSpan,
    Item,
    RunMetadata,
    ValidationNote,
)
from .settings import Settings
from .structure.sections import Outline, parse_outline


class Extractor(Protocol):
    """A backend, opened: turns a document's outline into items, usage, model and warnings.

    It summarises with what it was opened with (settings, resolved endpoint);
    :func:`open_backend` opens the built-in ones.
    """

    def __call__(self, document: Document, outline: Outline, /) -> ExtractResult:
        """The items of one document (with the backend and model that made them)."""
        ...


def as_document(source: str | Path | Document, *, doc_id: str | None = None) -> Document:
    """A :class:`Document` from a path or a document (or, for old callers, a text).

    A ``Path`` is always a file. A ``str`` is a file when it names one; when it
    looks like a path — one line with a supported suffix or a path separator —
    but names no file, it is an :class:`InputError`, never summarised as text.
    Any other ``str`` is read as the document's text; new code passes text
    explicitly (:func:`text_document`, ``summarize(text=…)``).

    Raises:
        InputError: no such file, an unreadable file, or empty text.
    """
    if isinstance(source, Document):
        return source
    if isinstance(source, Path):
        return load_document(source, doc_id=doc_id)
    if looks_like_path(source):
        if Path(source).is_file():
            return load_document(source, doc_id=doc_id)
        raise InputError(
            f"no such file: {source!r} (to summarise a text, pass it as text=… or use "
            "summarize_text)"
        )
    return text_document(source, doc_id=doc_id)


def looks_like_path(source: str) -> bool:
    """Whether ``source`` reads as a file name: one short line with a supported suffix or a
    path separator (``reports/a.txt``, ``a.pdf``), not a document's text."""
    if len(source) >= 4096 or "\n" in source or not source.strip():
        return False
    return source.lower().endswith(SUPPORTED_SUFFIXES) or "/" in source or os.sep in source


def text_document(text: str, *, doc_id: str | None = None) -> Document:
    """A :class:`Document` of ``text`` itself (never read as a path).

    Raises:
        InputError: the text is empty.
    """
    if not text.strip():
        raise InputError("the text is empty: nothing to summarise")
    return document_from_text(text, doc_id=doc_id or "text")


def rules_extract(document: Document, outline: Outline, /) -> ExtractResult:
    """The ``rules`` backend: items from the structure alone, no model."""
    return ExtractResult(rules_items(outline), backend="rules")


@contextmanager
def open_backend(settings: Settings) -> Iterator[Extractor]:
    """The extractor for ``settings.backend``, with whatever it needs kept open.

    For ``llm`` this builds the client once and, when no endpoint is configured,
    starts the embedded local server for the duration of the ``with`` block.
    """
    if settings.backend == "rules":
        yield rules_extract
        return
    from .extract.llm import LLMBackend  # heavy imports (openai, instructor) only when needed

    with LLMBackend(settings) as backend:
        yield backend


def _flag_instructions(item: Item) -> Item:
    """Note an item whose evidence contains text addressed to a model (prompt injection)."""
    found = next((m for span in item.evidence if (m := instruction_like(span.text))), None)
    if found is None:
        return item
    note = ValidationNote(
        code="instruction_like_text",
        message="the source text here addresses a language model; its figures are as written "
        "in the source, not results the model was told to report",
        value=found,
    )
    return item.model_copy(update={"validation": [*item.validation, note]})


def summarize_document(
    source: str | Path | Document,
    *,
    settings: Settings,
    doc_id: str | None = None,
    extractor: Extractor | None = None,
) -> DocumentSummary:
    """Summarise one document with the given settings (see :func:`summarizer.summarize`)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    document = as_document(source, doc_id=doc_id)
    timings["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    meta = guess_metadata(document)
    outline = parse_outline(document, year=meta.year)
    timings["sections"] = time.perf_counter() - t

    t = time.perf_counter()
    if extractor is None:
        with open_backend(settings) as ex:
            result = ex(document, outline)
    else:
        result = extractor(document, outline)
    timings["extract"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

    warnings = list(result.warnings)
    items = [tag_item(_flag_instructions(it), document.text, meta.year) for it in result.items]
    flagged = [
        it.id for it in items if any(n.code == "instruction_like_text" for n in it.validation)
    ]
    if flagged:
        warnings.append(
            f"text addressed to a language model in {', '.join(flagged)}: "
            "the output stays grounded in the source, but check these items"
        )
    if not outline.sections:
        warnings.append("no headings found: every paragraph was read as one unit")
    if not result.items:
        warnings.append("no achievements, shortcomings or plans were found")
    by_field: dict[str, list[Item]] = {f: [] for f in CATEGORY_FIELDS.values()}
    for item in sorted(items, key=lambda it: (it.evidence[0].start, it.id)):
        by_field[CATEGORY_FIELDS[item.category]].append(item)
    return DocumentSummary(
        doc_id=document.doc_id,
        source_path=document.source_path,
        title=meta.title,
        issuer=meta.issuer,
        year=meta.year,
        removed=result.removed,
        metadata=RunMetadata(
            summarizer_version=__version__,
            backend=result.backend,
            model=result.model,
            prompt_version=result.prompt_version,
            model_scope=result.model_scope,
            usage=result.usage,
            estimated_tokens=result.estimated_tokens,
            calls=result.calls,
            timings={k: round(v, 4) for k, v in timings.items()},
            warnings=warnings,
            text_sha256=hashlib.sha256(document.text.encode("utf-8")).hexdigest(),
            excluded=[
                ExcludedSpan(
                    start=s, end=e, text=document.text[s:e], reason=document.exclusion_reason(k)
                )
                for k, (s, e) in enumerate(document.excluded)
            ],
        ),
        **by_field,
    )
