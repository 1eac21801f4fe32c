"""One document end to end: load -> metadata -> outline -> items -> summary."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ._version import __version__
from .errors import InputError
from .extract.grounding import ExtractResult
from .extract.rules import rules_items
from .extract.validation import instruction_like
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

#: A backend turns an outline into items, usage, model name, prompt version and warnings.
Extractor = Callable[[Document, Outline, Settings], ExtractResult]


def as_document(source: str | Path | Document, *, doc_id: str | None = None) -> Document:
    """A :class:`Document` from a path, a text, or a document.

    A ``str`` is read as a path when it names an existing file with a supported
    suffix, otherwise as the document's text.
    """
    if isinstance(source, Document):
        return source
    if isinstance(source, Path):
        return load_document(source, doc_id=doc_id)
    if (
        len(source) < 4096
        and "\n" not in source
        and source.lower().endswith(SUPPORTED_SUFFIXES)
        and Path(source).is_file()
    ):
        return load_document(source, doc_id=doc_id)
    if not source.strip():
        raise InputError("the text is empty: nothing to summarise")
    return document_from_text(source, doc_id=doc_id or "text")


def _rules_extract(document: Document, outline: Outline, settings: Settings) -> ExtractResult:
    return ExtractResult(rules_items(outline))


@contextmanager
def open_backend(settings: Settings) -> Iterator[Extractor]:
    """The extractor for ``settings.backend``, with whatever it needs kept open.

    For ``llm`` this builds the client once and, when no endpoint is configured,
    starts the embedded local server for the duration of the ``with`` block.
    """
    if settings.backend == "rules":
        yield _rules_extract
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
            result = ex(document, outline, settings)
    else:
        result = extractor(document, outline, settings)
    timings["extract"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

    warnings = list(result.warnings)
    items = [_flag_instructions(it) for it in result.items]
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
            backend=settings.backend,
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
