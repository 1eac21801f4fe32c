"""The model backend: chunks -> one grounded judgement per unit -> items.

Flow for one document: units (from :mod:`sections`) are packed into chunks
(:mod:`chunking`), each chunk is sent with a per-chunk response model
(:mod:`validation`) through :class:`~summarizer.endpoint.client.LLMClient` (openai +
instructor; transport retries apart from validation re-asks), answers become
items whose evidence is the cited unit and whose figures are the unit's own
(:mod:`grounding`). What the model may decide:

* the **summary** of every unit (validated: only figures the unit contains);
* the **category** of units whose role the structure leaves open
  (``role_source`` in ``OPEN_SOURCES``: ``position``, or only a weak ``cue`` such
  as an opening ``但…``); where a heading states the role, the heading
  wins and a disagreement is recorded as a note;
* that a unit states nothing (``none``) — again only where no heading says otherwise.

How much of that the model is asked is the resolved ``model_scope``, one
strategy per task in :mod:`~summarizer.extract.tasks`: ``all`` sends
every unit for category, summary and figures; ``judgement`` sends only the
units whose role the structure leaves open, for their category alone (short
answers, several units a call, each unit cut to its opening), and every other
unit keeps its structural category and its lead clause as summary. ``auto``
picks ``judgement`` for the embedded model — a small CPU model restates a
unit's opening sentence at best, and pays seconds per unit for it — and
``all`` for any endpoint the user configures, whose model they chose.

A chunk that still fails after retries falls back to the rules result for its
units, marked ``status="fallback"`` with the reason. A document fails only
when nothing can be produced.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from types import TracebackType

from ..endpoint.client import LLMClient
from ..endpoint.resolved import ResolvedEndpoint
from ..errors import BudgetExceededError
from ..ingest.documents import Document
from ..schema import CallRecord, Item, Usage, ValidationNote
from ..settings import Settings
from ..structure.sections import Outline
from .chunking import Chunk, make_chunks
from .grounding import ExtractResult
from .prompting import Language, Task, detect_language, prompt_version
from .rules import rule_item
from .tasks import ChunkResult, ModelTask, task_for

log = logging.getLogger(__name__)
PROMPT_OVERHEAD_PER_CALL = 40  #: chat template and section header tokens per call, for estimates


class LLMBackend:
    """Extractor that calls an OpenAI-compatible endpoint (or the embedded local server).

    A context manager: entering it resolves the endpoint once (starting the
    embedded server when ``settings.base_url`` is empty), opens the response
    cache and the client; leaving it closes all three. Every document is then
    summarised with what it was opened with.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = ExitStack()
        self.client: LLMClient | None = None
        self.endpoint: ResolvedEndpoint | None = None
        self._system_counts: dict[tuple[Task, Language], int] = {}

    def __enter__(self) -> LLMBackend:
        from ..endpoint.localmodel import local_endpoint

        try:
            endpoint = self._stack.enter_context(local_endpoint(self.settings))
            cache = None
            if self.settings.cache:
                from ..endpoint.cache import ResponseCache

                cache = self._stack.enter_context(
                    ResponseCache(self.settings.cache_dir / "responses.sqlite3")
                )
            self.client = self._stack.enter_context(
                LLMClient(self.settings, endpoint=endpoint, cache=cache)
            )
        except BaseException:
            self._stack.close()
            raise
        self.endpoint = endpoint
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()
        self.client = self.endpoint = None

    # -- one document -------------------------------------------------------------

    def __call__(self, document: Document, outline: Outline) -> ExtractResult:
        if self.client is None or self.endpoint is None:
            raise RuntimeError("LLMBackend used outside its with-block")
        settings, endpoint = self.settings, self.endpoint
        language: Language = detect_language(outline.text)
        task = task_for(endpoint.scope)
        units = list(outline.units)
        asked, kept = task.split(units)
        chunks = make_chunks(
            asked,
            count_tokens=endpoint.count_tokens,
            budget=settings.chunk_tokens,
            max_units=settings.chunk_units or task.units_per_call(local=endpoint.local),
            max_unit_chars=task.max_unit_chars,
        )
        per_call = self._system_tokens(task, language) + PROMPT_OVERHEAD_PER_CALL
        estimate = (
            sum(c.tokens for c in chunks)
            + per_call * len(chunks)
            + task.output_per_unit * len(asked)
        )
        if settings.doc_token_budget and estimate > settings.doc_token_budget:
            raise BudgetExceededError(
                f"{document.doc_id}: about {estimate} tokens needed, over the budget of "
                f"{settings.doc_token_budget} (raise SUMMARIZER_DOC_TOKEN_BUDGET or split it)"
            )
        version = prompt_version(language, task=task.task)
        by_id = {u.id: u for u in units}
        client = self.client

        def ask(c: Chunk) -> ChunkResult:
            return task.run(client, c, [by_id[i] for i in c.unit_ids], outline, language, version)

        if len(chunks) <= 1:  # one call: no pool, no thread start (it waits for the GIL)
            results = [ask(c) for c in chunks]
        else:
            with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
                results = list(pool.map(ask, chunks))
        items: list[Item] = [it for u in kept if (it := rule_item(u, outline.text)) is not None]
        usage = Usage()
        warnings: list[str] = []
        removed: list[ValidationNote] = []
        calls: list[CallRecord] = []
        for chunk, result in zip(chunks, results, strict=True):
            items.extend(result.items)
            removed.extend(result.removed)
            usage = usage + result.usage
            if result.fallback:
                warnings.append(result.fallback)
            repaired = any(it.status != "ok" for it in result.items)
            calls.append(
                CallRecord(
                    chunk=chunk.index,
                    unit_ids=list(chunk.unit_ids),
                    status="fallback" if result.fallback else ("repaired" if repaired else "ok"),
                    usage=result.usage,
                )
            )
        if chunks and all(r.fallback for r in results):
            log.warning("%s: every chunk fell back to rules", document.doc_id)
        log.info(
            "%s: model scope %s, %d of %d units sent in %d calls",
            document.doc_id,
            endpoint.scope,
            len(asked),
            len(units),
            len(chunks),
        )
        return ExtractResult(
            items,
            backend="llm",
            usage=usage,
            model=endpoint.model,
            prompt_version=version,
            warnings=warnings,
            removed=removed,
            estimated_tokens=estimate,
            calls=calls,
            model_scope=endpoint.scope,
        )

    def _system_tokens(self, task: ModelTask, language: Language) -> int:
        """Tokens of the task's system prompt (counted once per backend, not per document)."""
        key = (task.task, language)
        if key not in self._system_counts and self.endpoint is not None:
            self._system_counts[key] = self.endpoint.count_tokens(task.system_prompt(language))
        return self._system_counts.get(key, 0)
