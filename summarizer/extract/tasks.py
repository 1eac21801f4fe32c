"""What the model is asked: one strategy per model task.

``settings.model_scope`` (resolved once per session, see
:class:`~summarizer.endpoint.resolved.ResolvedEndpoint`) picks the task:

* :class:`SummariseTask` (scope ``all``): every unit is sent; the model gives
  category, summary, figures and topic; answers are validated against the
  unit's own figures and text (re-asked, then repaired) and become items.
* :class:`JudgeTask` (scope ``judgement``): only the units whose role the
  structure leaves open are sent, cut to their opening, several a call; the
  model gives a category and nothing else; summary and figures are the unit's
  own. The other units keep their structural category.

A strategy owns everything the two tasks differ in — the units chosen, the
messages, the response model and validation context, the token cap, the
estimate per unit, and how answers (or a failed call) become items — so
:class:`~summarizer.extract.llm.LLMBackend` only chunks, calls and adds up.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel

from ..endpoint.client import LLMClient
from ..errors import ModelCallError, ModelError
from ..figures.numbers import Figure
from ..schema import CATEGORIES, Category, Item, ResolvedScope, Usage, ValidationNote
from ..structure.sections import OPEN_SOURCES, Outline, Unit
from .chunking import Chunk
from .grounding import build_item, unit_figures
from .prompting import Language, Task, build_messages, system_template
from .rules import item_id, rule_category, rule_item, rule_summary
from .validation import (
    ChunkAnswerBase,
    ChunkCategoriesBase,
    UnitAnswer,
    answer_model,
    category_model,
    indicator_notes,
    repair,
    ungrounded_figures,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """What one chunk yields."""

    items: list[Item]
    usage: Usage
    #: why the chunk fell back to rules (None when the model answered)
    fallback: str | None = None
    #: what was left out, with reasons (never silently)
    removed: list[ValidationNote] = field(default_factory=list)
    #: why the endpoint gave no usable answer, when the chunk fell back (it is then degraded)
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One structured call: what :meth:`LLMClient.structured` is given."""

    messages: list[dict[str, str]]
    response_model: type[BaseModel]
    max_tokens: int
    context: Mapping[str, Any] | None = None
    #: the figures found in each unit (read once per unit, for the context and the items)
    figures: Mapping[str, list[Figure]] = field(default_factory=dict)


class ModelTask(ABC):
    """A model task: the units it asks about, the call per chunk, answers -> items."""

    task: ClassVar[Task]
    units_per_call_local: ClassVar[int]  #: default units per call, local server
    units_per_call_hosted: ClassVar[int]  #: default units per call, hosted endpoint
    max_unit_chars: ClassVar[int]  #: characters of a unit sent
    output_per_unit: ClassVar[int]  #: completion tokens one unit's answer takes (estimates)

    @abstractmethod
    def split(self, units: Sequence[Unit]) -> tuple[list[Unit], list[Unit]]:
        """``(asked, kept)``: the units sent to the model, and those kept from the structure."""

    def units_per_call(self, *, local: bool) -> int:
        """Default most units per call (``settings.chunk_units`` = 0)."""
        return self.units_per_call_local if local else self.units_per_call_hosted

    def system_prompt(self, language: Language) -> str:
        """The system template of the task (counted once per backend for estimates)."""
        return system_template(self.task, language)

    @abstractmethod
    def call(self, chunk: Chunk, units: Sequence[Unit], outline: Outline,
             language: Language, max_output_tokens: int) -> Call:  # fmt: skip
        """The structured call for ``chunk``."""

    @abstractmethod
    def items(
        self, answer: BaseModel, units: Sequence[Unit], outline: Outline, call: Call,
        *, reasked: bool,
    ) -> tuple[list[Item], list[ValidationNote]]:  # fmt: skip
        """Items (and removals) from a validated (or recovered) answer to ``call``."""

    def recover(self, error: ModelError, chunk: Chunk) -> BaseModel | None:
        """An answer read from a failed call, to repair (None: fall back to rules)."""
        return None

    def run(
        self,
        client: LLMClient,
        chunk: Chunk,
        units: Sequence[Unit],
        outline: Outline,
        language: Language,
        version: str,
    ) -> ChunkResult:
        """Ask about one chunk; items, usage and what happened. Never raises ``ModelError``."""
        call = self.call(chunk, units, outline, language, client.settings.max_output_tokens)
        t = time.perf_counter()
        try:
            answer, usage = client.structured(
                call.messages,
                call.response_model,
                context=call.context,
                cache_key_extra=version,
                max_tokens=call.max_tokens,
            )
            reasked = False
        except ModelError as e:
            usage = e.usage if isinstance(e, ModelCallError) else Usage()
            recovered = self.recover(e, chunk)
            kind = e.kind if isinstance(e, ModelCallError) else ""
            if kind == "validation":  # the breaker counts answers not usable even leniently
                client.answer_usable(recovered is not None, "unusable answer after re-asks")
            if recovered is None:
                reason = f"chunk {chunk.index} ({', '.join(chunk.unit_ids)}): {e}; used rules"
                # once the breaker is open it has said why, once: the chunks it stops are debug
                log.log(logging.DEBUG if kind == "endpoint_down" else logging.WARNING, reason)
                return ChunkResult(
                    _fallback(units, outline, reason), usage, fallback=reason, cause=str(e)
                )
            answer, reasked = recovered, True
        log.debug("chunk %d: %d units in %.1f s", chunk.index, len(units), time.perf_counter() - t)
        items, removed = self.items(answer, units, outline, call, reasked=reasked)
        return ChunkResult(items, usage, removed=removed)


class JudgeTask(ModelTask):
    """Scope ``judgement``: the category of units whose role the structure leaves open."""

    task = "judge"
    units_per_call_local = units_per_call_hosted = 8  # answers are one word each
    max_unit_chars = 120  #: enough of a unit to judge its category
    output_per_unit = 12  #: completion tokens of one ``"u12": "achievement"`` answer

    def split(self, units: Sequence[Unit]) -> tuple[list[Unit], list[Unit]]:
        asked = [u for u in units if u.role_source in OPEN_SOURCES]
        return asked, [u for u in units if u.role_source not in OPEN_SOURCES]

    def call(self, chunk: Chunk, units: Sequence[Unit], outline: Outline,
             language: Language, max_output_tokens: int) -> Call:  # fmt: skip
        return Call(
            build_messages(chunk, language=language, task="judge"),
            category_model(chunk.unit_ids),
            max_tokens=min(max_output_tokens, self.output_per_unit * len(units) + 32),
        )

    def items(
        self, answer: BaseModel, units: Sequence[Unit], outline: Outline, call: Call,
        *, reasked: bool,
    ) -> tuple[list[Item], list[ValidationNote]]:  # fmt: skip
        """The summary is the unit's lead clause and the figures the unit's own, so nothing
        the model says can introduce a number."""
        if not isinstance(answer, ChunkCategoriesBase):
            raise TypeError(f"expected a category answer, got {type(answer).__name__}")
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
                build_item(item_id(u), text=outline.text, units=[u], category=said,
                           summary=rule_summary(u), notes=notes)
            )  # fmt: skip
        return items, []


class SummariseTask(ModelTask):
    """Scope ``all``: category, summary, figures and topic of every unit, validated."""

    task = "summarise"
    units_per_call_local = 1  # small local models drift across units in one answer
    units_per_call_hosted = 8
    max_unit_chars = 360
    output_per_unit = 70
    output_cap_per_unit = 320  #: completion tokens allowed per unit (stops a looping model)

    def split(self, units: Sequence[Unit]) -> tuple[list[Unit], list[Unit]]:
        return list(units), []

    def call(self, chunk: Chunk, units: Sequence[Unit], outline: Outline,
             language: Language, max_output_tokens: int) -> Call:  # fmt: skip
        found = {u.id: unit_figures(outline.text, [u]) for u in units}  # once per unit
        allowed = {uid: [f.value for f in figs] for uid, figs in found.items()}
        return Call(
            build_messages(chunk, language=language),
            answer_model(chunk.unit_ids),
            max_tokens=min(max_output_tokens, self.output_cap_per_unit * len(units)),
            context={"figures": allowed, "texts": {u.id: u.text for u in units}},
            figures=found,
        )

    def recover(self, error: ModelError, chunk: Chunk) -> BaseModel | None:
        """The last (invalid) answer read without the grounding check, to repair it."""
        raw = error.last_raw if isinstance(error, ModelCallError) else None
        if raw is None:
            return None
        model = answer_model(chunk.unit_ids, validate=False)
        try:  # strict=False: small models put raw newlines inside JSON strings
            return model.model_validate(json.loads(raw, strict=False))
        except (ValueError, TypeError):  # unreadable (pydantic's ValidationError is a ValueError)
            return None

    def items(
        self, answer: BaseModel, units: Sequence[Unit], outline: Outline, call: Call,
        *, reasked: bool,
    ) -> tuple[list[Item], list[ValidationNote]]:  # fmt: skip
        if not isinstance(answer, ChunkAnswerBase):
            raise TypeError(f"expected a unit answer, got {type(answer).__name__}")
        answers = answer.answers()
        items, removed = [], []
        for u in units:
            item = _item(u, answers.get(u.id), call.figures[u.id], outline, reasked)
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
        return items, removed


def task_for(scope: ResolvedScope) -> ModelTask:
    """The strategy of a resolved model scope."""
    return JudgeTask() if scope == "judgement" else SummariseTask()


def _fallback(units: Sequence[Unit], outline: Outline, reason: str) -> list[Item]:
    note = ValidationNote(code="fallback_rules", message=reason)
    made = (rule_item(u, outline.text, status="fallback", notes=[note]) for u in units)
    return [it for it in made if it is not None]


def _item(
    unit: Unit, answer: UnitAnswer | None, figures: list[Figure], outline: Outline, reasked: bool
) -> Item | None:
    """One unit's item from its answer: repaired, category settled, finally checked."""
    if answer is None:  # cannot happen with a schema-valid answer; kept for lenient reads
        missing = ValidationNote(code="missing_answer", message="the model gave no answer")
        return rule_item(unit, outline.text, status="fallback", notes=[missing])
    lead = functools.cache(lambda: rule_summary(unit))  # only when the model's is not kept
    answer, repairs = repair(unit.id, answer, [f.value for f in figures], lead, unit.text)
    notes: list[ValidationNote] = list(repairs)
    notes += indicator_notes(unit.id, answer, unit.text, figures)
    rule_cat = rule_category(unit)
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
    # a 'none' answer describes nothing (its summary is not checked): the unit's lead
    said = answer.summary.strip() if answer.category != "none" else ""
    item = build_item(
        item_id(unit),
        text=outline.text,
        units=[unit],
        category=category,
        figures=figures,
        summary=said or lead(),
        topic=(answer.topic or "").strip() or None,
        status="repaired" if (repairs or reasked) else "ok",
        notes=notes,
    )
    bad = ungrounded_figures(item)
    if bad:  # last line of defence: never ship an ungrounded figure
        note = ValidationNote(
            code="ungrounded_summary",
            message="summary replaced by the unit's lead",
            value=", ".join(bad),
        )
        item = item.model_copy(
            update={"summary": lead(), "status": "repaired",
                    "validation": [*item.validation, note]}
        )  # fmt: skip
    return item
