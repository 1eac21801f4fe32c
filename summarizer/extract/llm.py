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

How much of that the model is asked is ``settings.model_scope``: ``all`` sends
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

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from types import TracebackType
from typing import Any

from ..endpoint.client import LLMClient, is_local_url
from ..endpoint.tokens import count_tokens
from ..errors import BudgetExceededError, ConfigError, ModelError
from ..figures.numbers import Figure
from ..ingest.documents import Document
from ..schema import CATEGORIES, CallRecord, Category, Item, Usage, ValidationNote
from ..settings import ModelScope, Settings
from ..structure.sections import OPEN_SOURCES, Outline, Unit
from .chunking import Chunk, make_chunks
from .grounding import ExtractResult, build_item, unit_figures
from .prompting import Language, Task, build_messages, detect_language, prompt_version, template
from .rules import item_id, rule_category, rule_item, rule_summary
from .validation import UnitAnswer, answer_model, category_model, repair, ungrounded_figures

log = logging.getLogger(__name__)
#: What one chunk yields: its items, the usage spent, the fallback reason (None when
#: the model answered) and what was removed, with reasons.
ChunkResult = tuple[list[Item], Usage, str | None, list[ValidationNote]]
EXPECTED_OUTPUT_PER_UNIT = 70  #: completion tokens one unit's answer takes, for estimates
PROMPT_OVERHEAD_PER_CALL = 40  #: chat template and section header tokens per call, for estimates
OUTPUT_CAP_PER_UNIT = 320  #: completion tokens allowed per unit (stops a looping model early)
JUDGE_OUTPUT_PER_UNIT = 12  #: completion tokens of one ``"u12": "achievement"`` answer
JUDGE_UNITS = 8  #: units per call in the judge task (answers are one word each)
JUDGE_UNIT_CHARS = 120  #: characters of a unit shown for judging its category


class LLMBackend:
    """Extractor that calls an OpenAI-compatible endpoint (or the embedded local server)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = ExitStack()
        self.client: LLMClient | None = None
        self.model = settings.model
        self.local = False
        self._configured_url = settings.base_url
        #: what the model is asked, resolved from the settings as configured
        #: (before the embedded server fills in its own URL)
        self.scope: ModelScope = settings.effective_model_scope
        self._count: Callable[[str], int] = len
        self._system_counts: dict[tuple[Task, Language], int] = {}

    def __enter__(self) -> LLMBackend:
        from ..endpoint.localmodel import local_endpoint

        self._configured_url = self.settings.base_url
        self.scope = self.settings.effective_model_scope
        self.local = not self.settings.base_url or is_local_url(self.settings.base_url)
        settings = self._stack.enter_context(local_endpoint(self.settings))
        if not settings.model:
            raise ConfigError(
                "--model is required with --base-url (the model name at that endpoint)"
            )
        cache = None
        if settings.cache:
            from ..endpoint.cache import ResponseCache

            cache = ResponseCache(settings.cache_dir / "responses.sqlite3")
        self.settings, self.model = settings, settings.model
        self._count = lambda t: count_tokens(t, settings.model)
        if not self._configured_url:  # the embedded model: count with its own tokenizer
            from ..endpoint.localmodel import resolve_model_path, token_counter

            self._count = token_counter(resolve_model_path(self.settings))
        self.client = self._stack.enter_context(LLMClient(settings, cache=cache))
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()

    # -- one document -------------------------------------------------------------

    def __call__(self, document: Document, outline: Outline, _settings: Settings) -> ExtractResult:
        if self.client is None:
            raise RuntimeError("LLMBackend used outside its with-block")
        settings = self.settings
        language: Language = detect_language(outline.text)
        scope = self.scope
        task: Task = "judge" if scope == "judgement" else "summarise"
        units = list(outline.units)
        asked = [u for u in units if u.role_source in OPEN_SOURCES] if task == "judge" else units
        kept = [u for u in units if u.role_source not in OPEN_SOURCES] if task == "judge" else []
        chunks = make_chunks(
            asked,
            count_tokens=self._count,
            budget=settings.chunk_tokens,
            max_units=settings.chunk_units or _units_per_call(task, local=self.local),
            max_unit_chars=JUDGE_UNIT_CHARS if task == "judge" else 360,
        )
        per_call = self._system_tokens(task, language) + PROMPT_OVERHEAD_PER_CALL
        per_unit = JUDGE_OUTPUT_PER_UNIT if task == "judge" else EXPECTED_OUTPUT_PER_UNIT
        estimate = sum(c.tokens for c in chunks) + per_call * len(chunks) + per_unit * len(asked)
        if settings.doc_token_budget and estimate > settings.doc_token_budget:
            raise BudgetExceededError(
                f"{document.doc_id}: about {estimate} tokens needed, over the budget of "
                f"{settings.doc_token_budget} (raise SUMMARIZER_DOC_TOKEN_BUDGET or split it)"
            )
        version = prompt_version(language, task=task)
        by_id = {u.id: u for u in units}
        ask = self._judge_chunk if task == "judge" else self._chunk

        def judge(c: Chunk) -> ChunkResult:
            return ask(c, by_id, outline, language, version)

        if len(chunks) <= 1:  # one call: no pool, no thread start (it waits for the GIL)
            results = [judge(c) for c in chunks]
        else:
            with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
                results = list(pool.map(judge, chunks))
        items: list[Item] = [it for u in kept if (it := rule_item(u, outline.text)) is not None]
        usage = Usage()
        warnings: list[str] = []
        removed: list[ValidationNote] = []
        calls: list[CallRecord] = []
        for chunk, (chunk_items, chunk_usage, warning, chunk_removed) in zip(
            chunks, results, strict=True
        ):
            items.extend(chunk_items)
            removed.extend(chunk_removed)
            usage = usage + chunk_usage
            if warning:
                warnings.append(warning)
            repaired = any(it.status != "ok" for it in chunk_items)
            calls.append(
                CallRecord(
                    chunk=chunk.index,
                    unit_ids=list(chunk.unit_ids),
                    status="fallback" if warning else ("repaired" if repaired else "ok"),
                    usage=chunk_usage,
                )
            )
        if chunks and all(r[2] for r in results):
            log.warning("%s: every chunk fell back to rules", document.doc_id)
        log.info(
            "%s: model scope %s, %d of %d units sent in %d calls",
            document.doc_id,
            scope,
            len(asked),
            len(units),
            len(chunks),
        )
        return ExtractResult(
            items,
            usage=usage,
            model=settings.model,
            prompt_version=version,
            warnings=warnings,
            removed=removed,
            estimated_tokens=estimate,
            calls=calls,
            model_scope=scope,
        )

    def _system_tokens(self, task: Task, language: Language) -> int:
        """Tokens of the task's system prompt (counted once per backend, not per document)."""
        key = (task, language)
        if key not in self._system_counts:
            name = "judge" if task == "judge" else "system"
            self._system_counts[key] = self._count(template(name, language))
        return self._system_counts[key]

    def _judge_chunk(
        self,
        chunk: Chunk,
        by_id: dict[str, Unit],
        outline: Outline,
        language: Language,
        version: str,
    ) -> ChunkResult:
        """The ``judge`` task: the model gives each unit of ``chunk`` a category, nothing else.

        The summary is the unit's lead clause and the figures are the unit's own,
        so nothing the model says can introduce a number.
        """
        assert self.client is not None  # set in __enter__; internal invariant
        units = [by_id[i] for i in chunk.unit_ids]
        try:
            answer, usage = self.client.structured(
                build_messages(chunk, language=language, task="judge"),
                category_model(chunk.unit_ids),
                cache_key_extra=version,
                max_tokens=min(
                    self.settings.max_output_tokens, JUDGE_OUTPUT_PER_UNIT * len(units) + 32
                ),
            )
        except ModelError as e:
            reason = f"chunk {chunk.index} ({', '.join(chunk.unit_ids)}): {e}; used rules"
            log.warning(reason)
            spent = getattr(e, "usage", None) or Usage()
            return _fallback(units, outline, reason), spent, reason, []
        categories = answer.categories()
        items = []
        for u in units:
            said = categories[u.id]
            notes = []
            if said != rule_category(u):
                notes.append(
                    ValidationNote(
                        code="category_judged",
                        message=f"the position suggested {u.role}; the model judged {said}",
                    )
                )
            items.append(
                build_item(
                    item_id(u),
                    text=outline.text,
                    units=[u],
                    category=said,
                    summary=rule_summary(u),
                    notes=notes,
                )
            )
        return items, usage, None, []

    def _chunk(
        self,
        chunk: Chunk,
        by_id: dict[str, Unit],
        outline: Outline,
        language: Language,
        version: str,
    ) -> ChunkResult:
        assert self.client is not None  # set in __enter__; internal invariant
        units = [by_id[i] for i in chunk.unit_ids]
        found = {u.id: unit_figures(outline.text, [u]) for u in units}  # once per unit
        allowed = {uid: [f.value for f in figs] for uid, figs in found.items()}
        messages = build_messages(chunk, language=language)
        t = time.perf_counter()
        try:
            answer, usage = self.client.structured(
                messages,
                answer_model(chunk.unit_ids),
                context={"figures": allowed, "texts": {u.id: u.text for u in units}},
                cache_key_extra=version,
                max_tokens=min(self.settings.max_output_tokens, OUTPUT_CAP_PER_UNIT * len(units)),
            )
            answers, reasked = answer.answers(), False
        except ModelError as e:
            usage = getattr(e, "usage", None) or Usage()
            raw = getattr(e, "last_raw", None)
            lenient = _lenient(raw, chunk.unit_ids)
            if lenient is None:
                reason = f"chunk {chunk.index} ({', '.join(chunk.unit_ids)}): {e}; used rules"
                log.warning(reason)
                return _fallback(units, outline, reason), usage, reason, []
            answers, reasked = lenient, True
        log.debug("chunk %d: %d units in %.1f s", chunk.index, len(units), time.perf_counter() - t)
        items, removed = [], []
        for u in units:
            item = _item(u, answers.get(u.id), found[u.id], outline, reasked)
            if item is not None:
                items.append(item)
            elif rule_category(u) is not None:  # the model judged it states nothing
                removed.append(
                    ValidationNote(
                        code="judged_not_an_item",
                        message=f"{u.id} ({u.role_source} role {u.role}) judged 'none'",
                        value=u.text[:80],
                    )
                )
        return items, usage, None, removed


def _units_per_call(task: Task, *, local: bool) -> int:
    """Default units per call: small local models drift across units when summarising."""
    if task == "judge":
        return JUDGE_UNITS
    return 1 if local else 8


def _lenient(raw: Any, unit_ids: tuple[str, ...]) -> dict[str, UnitAnswer] | None:
    """Read the model's last (invalid) answer without the grounding check, to repair it."""
    if raw is None:
        return None
    model = answer_model(unit_ids, validate=False)
    try:  # strict=False: small models put raw newlines inside JSON strings
        data = json.loads(raw, strict=False) if isinstance(raw, str) else raw
        parsed = model.model_validate(data)
    except (ValueError, TypeError):  # unreadable (pydantic's ValidationError is a ValueError)
        return None
    return parsed.answers()


def _fallback(units: list[Unit], outline: Outline, reason: str) -> list[Item]:
    note = ValidationNote(code="fallback_rules", message=reason)
    made = (rule_item(u, outline.text, status="fallback", notes=[note]) for u in units)
    return [it for it in made if it is not None]


def _item(
    unit: Unit, answer: UnitAnswer | None, figures: list[Figure], outline: Outline, reasked: bool
) -> Item | None:
    allowed = [f.value for f in figures]
    notes: list[ValidationNote] = []
    rule_cat = rule_category(unit)
    if answer is None:  # cannot happen with a schema-valid answer; kept for lenient reads
        missing = ValidationNote(code="missing_answer", message="the model gave no answer")
        return rule_item(unit, outline.text, status="fallback", notes=[missing])
    answer, repairs = repair(unit.id, answer, allowed, rule_summary(unit), unit.text)
    notes += repairs
    category: Category | None
    if unit.role_source in OPEN_SOURCES:  # structure leaves the role open: the model judges
        category = answer.category if answer.category in CATEGORIES else None
    else:
        category = rule_cat
        if answer.category != (rule_cat or "none"):
            notes.append(
                ValidationNote(
                    code="category_kept",
                    message=(
                        f"model said {answer.category}; "
                        f"the structure says {rule_cat} ({unit.role_source})"
                    ),
                )
            )
    if category is None:
        return None
    summary = answer.summary.strip() or rule_summary(unit)
    item = build_item(
        item_id(unit),
        text=outline.text,
        units=[unit],
        category=category,
        figures=figures,
        summary=summary,
        topic=(answer.topic or "").strip() or None,
        status="repaired" if (repairs or reasked) else "ok",
        notes=notes,
    )
    bad = ungrounded_figures(item)
    if bad:  # last line of defence: never ship an ungrounded figure
        item = item.model_copy(
            update={
                "summary": rule_summary(unit),
                "status": "repaired",
                "validation": [
                    *item.validation,
                    ValidationNote(
                        code="ungrounded_summary",
                        message="summary replaced by the unit's lead",
                        value=", ".join(bad),
                    ),
                ],
            }
        )
    return item
