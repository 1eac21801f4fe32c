"""Grounding checks: every figure the model states must be in the units it cites.

The response model for a chunk is built per chunk (:func:`answer_model`): one
required field per unit id, so a grammar-constrained local model answers for
every unit and cannot invent an id. Its validator reads instructor's validation
context (the figures the regex found in each unit) and rejects figures that are
not there; the ``ValueError`` text is what the model reads on a re-ask, so it is
written for the model. What still fails after the re-asks is repaired here
(:func:`repair`): the ungrounded figure is dropped, a summary that states one is
replaced by the unit's lead clause, and each change is recorded as a
:class:`~summarizer.schema.ValidationNote`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from ..figures.indicators import INDICATOR_NAMED, INDICATOR_REJECTED
from ..figures.numbers import Figure, find_figures, parse_figure, values_match
from ..schema import Category, Item, ValidationNote

UnitCategory = Literal["achievement", "shortcoming", "plan", "none"]
SUMMARY_MAX = 80  #: characters; the prompt asks for 50 (zh) / 30 words (en)
MIN_SHARED = 0.3  #: share of a summary's terms that must occur in its unit


class NamedIndicator(BaseModel):
    """A figure of the unit and the statistical indicator it gives, both copied from the unit."""

    model_config = ConfigDict(extra="ignore")

    figure: str = Field(max_length=24)
    name: str = Field(max_length=30)


class UnitAnswer(BaseModel):
    """The model's judgement of one unit."""

    model_config = ConfigDict(extra="ignore")

    category: UnitCategory
    summary: str = Field(max_length=SUMMARY_MAX)
    figures: list[Annotated[str, Field(max_length=24)]] = Field(default_factory=list, max_length=6)
    topic: str | None = Field(default=None, max_length=12)
    indicators: list[NamedIndicator] = Field(default_factory=list, max_length=6)


def indicator_notes(
    unit_id: str, answer: UnitAnswer, unit_text: str, figures: Sequence[Figure]
) -> list[ValidationNote]:
    """The model's indicator names for the unit's figures, checked against the unit's text.

    A name is kept only when it is written in the unit (a substring of its text)
    and its figure is one of the unit's own; anything else is rejected and
    recorded, never used.
    """
    notes: list[ValidationNote] = []
    used: set[int] = set()
    for named in answer.indicators:
        name = named.name.strip()
        parsed = parse_figure(named.figure)
        fig = next(
            (
                f
                for f in figures
                if f.start not in used
                and (
                    f.text == named.figure.strip()
                    or (parsed and values_match(f.value, parsed.value))
                )
            ),
            None,
        )
        if not name or name not in unit_text or fig is None:
            why = "is not written in" if fig is not None else "names a figure that is not in"
            notes.append(
                ValidationNote(
                    code=INDICATOR_REJECTED,
                    message=f"{unit_id}: indicator name {why} the unit; rejected",
                    value=f"{named.figure} {name}"[:80],
                )
            )
            continue
        used.add(fig.start)
        notes.append(
            ValidationNote(
                code=INDICATOR_NAMED,
                message=f"{unit_id}: the model named the indicator of {fig.text}",
                value=f"{fig.start}:{fig.end}:{name}",
            )
        )
    return notes


def figure_problems(unit_id: str, answer: UnitAnswer, allowed: Sequence[float]) -> list[str]:
    """Why the figures in ``answer`` are not grounded in the unit (empty when they are)."""
    problems = []
    for raw in answer.figures:
        parsed = parse_figure(raw)
        if parsed is None:
            problems.append(f"{unit_id}: '{raw}' in figures is not a number; list only numbers")
        elif not any(values_match(parsed.value, v) for v in allowed):
            problems.append(
                f"{unit_id}: figure '{raw}' is not in the text of {unit_id}; "
                f"use only figures written in {unit_id}, or none"
            )
    for f in find_figures(answer.summary):
        if not any(values_match(f.value, v) for v in allowed):
            problems.append(
                f"{unit_id}: the summary states '{f.text}', which is not in the text of "
                f"{unit_id}; use only figures written in {unit_id}"
            )
    return problems


def _terms(text: str) -> set[str]:
    """CJK character bigrams and lowercased Latin words of 3+ letters."""
    cjk = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    terms = {a + b for a, b in pairwise(cjk)}
    word = ""
    for c in text.lower() + " ":
        if c.isascii() and c.isalpha():
            word += c
        else:
            if len(word) >= 3:
                terms.add(word)
            word = ""
    return terms


def relevance_problem(unit_id: str, summary: str, unit_text: str) -> str | None:
    """Why ``summary`` does not describe its unit (None when enough of its terms occur there)."""
    terms = _terms(summary)
    if not terms:
        return f"{unit_id}: the summary is empty; write one sentence about {unit_id}"
    cjk_unit = sum("\u4e00" <= c <= "\u9fff" for c in unit_text) > len(unit_text) / 3
    if cjk_unit and sum(c.isascii() and c.isalpha() for c in summary) > 8:
        return f"{unit_id}: write the summary in Chinese, the language of {unit_id}"
    shared = len(terms & _terms(unit_text)) / len(terms)
    if shared < MIN_SHARED:
        return (
            f"{unit_id}: the summary does not describe the text of {unit_id}; "
            f"summarise {unit_id} itself"
        )
    return None


class ChunkAnswerBase(BaseModel):
    """Base of the per-chunk answer model; fields are unit ids."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> ChunkAnswerBase:
        ctx = info.context or {}
        figures: Mapping[str, Sequence[float]] = ctx.get("figures", {})
        texts: Mapping[str, str] = ctx.get("texts", {})
        problems: list[str] = []
        for unit_id, answer in self.answers().items():
            problems += figure_problems(unit_id, answer, figures.get(unit_id, ()))
            if unit_id in texts and answer.category != "none":
                why = relevance_problem(unit_id, answer.summary, texts[unit_id])
                if why:
                    problems.append(why)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def answers(self) -> dict[str, UnitAnswer]:
        """Unit id -> answer."""
        return {k: v for k, v in self.__dict__.items() if isinstance(v, UnitAnswer)}


@lru_cache(maxsize=4096)
def _answer_model(unit_ids: tuple[str, ...], validate: bool) -> type[ChunkAnswerBase]:
    if validate:
        fields: dict[str, Any] = {uid: (UnitAnswer, ...) for uid in unit_ids}
        return create_model("ChunkAnswer", __base__=ChunkAnswerBase, **fields)
    optional: dict[str, Any] = {uid: (UnitAnswer | None, None) for uid in unit_ids}
    return create_model("ChunkAnswerLenient", __base__=_Lenient, **optional)


def answer_model(unit_ids: Sequence[str], *, validate: bool = True) -> type[ChunkAnswerBase]:
    """The response model for a chunk: one required :class:`UnitAnswer` per unit id.

    With ``validate=False`` the grounding validator is skipped (used to read a
    last answer leniently before repairing it).
    """
    return _answer_model(tuple(unit_ids), validate)


class ChunkCategoriesBase(BaseModel):
    """Base of the per-chunk answer model of the ``judge`` task; fields are unit ids."""

    model_config = ConfigDict(extra="forbid")

    def categories(self) -> dict[str, Category]:
        """Unit id -> category."""
        return dict(self.__dict__)


@lru_cache(maxsize=4096)
def _category_model(unit_ids: tuple[str, ...]) -> type[ChunkCategoriesBase]:
    fields: dict[str, Any] = {uid: (Category, ...) for uid in unit_ids}
    return create_model("ChunkCategories", __base__=ChunkCategoriesBase, **fields)


def category_model(unit_ids: Sequence[str]) -> type[ChunkCategoriesBase]:
    """The response model of a ``judge`` chunk: one required category per unit id.

    The choices are the three categories, without ``none``: the units judged are
    body paragraphs of a section (the preamble and closing formulas never get
    here), so what is open is their category, not whether they state something.
    Nothing in the answer can be ungrounded: the item's evidence, figures and
    summary come from the unit itself.
    """
    return _category_model(tuple(unit_ids))


class _Lenient(ChunkAnswerBase):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> _Lenient:
        return self


def repair(
    unit_id: str,
    answer: UnitAnswer,
    allowed: Sequence[float],
    fallback_summary: str,
    unit_text: str | None = None,
) -> tuple[UnitAnswer, list[ValidationNote]]:
    """Drop ungrounded figures; replace a summary that states one or is off its unit.

    Returns the repaired answer and a note for every change.
    """
    notes: list[ValidationNote] = []
    kept = []
    for raw in answer.figures:
        parsed = parse_figure(raw)
        if parsed is not None and any(values_match(parsed.value, v) for v in allowed):
            kept.append(raw)
        elif parsed is None:
            notes.append(
                ValidationNote(code="not_a_figure", message="not a number; removed", value=raw)
            )
        else:
            notes.append(
                ValidationNote(
                    code="ungrounded_figure",
                    message=f"figure not found in {unit_id}; removed",
                    value=raw,
                )
            )
    summary = answer.summary
    bad = [
        f.text for f in find_figures(summary) if not any(values_match(f.value, v) for v in allowed)
    ]
    if bad:
        notes.append(
            ValidationNote(
                code="ungrounded_summary",
                message=f"summary stated {', '.join(bad)}, not in {unit_id}; replaced by its lead",
                value=summary,
            )
        )
        summary = fallback_summary
    elif unit_text is not None and relevance_problem(unit_id, summary, unit_text):
        notes.append(
            ValidationNote(
                code="off_unit_summary",
                message=f"summary did not describe {unit_id}; replaced by the unit's lead",
                value=summary,
            )
        )
        summary = fallback_summary
    return answer.model_copy(update={"figures": kept, "summary": summary}), notes


#: Text addressed to a language model rather than to readers of a report.
_INSTRUCTION_LIKE = re.compile(
    r"(忽略|无视|忘记)(以上|上述|之前|前面|先前)?(所有|全部|一切)?的?(指令|指示|提示|要求|规则)"
    r"|(ignore|disregard|forget)\s+(all\s+)?(the\s+)?(previous|prior|above)\s+"
    r"(instructions|prompts?|rules)"
    r"|(system\s+prompt|you\s+are\s+(now\s+)?an?\s+(ai|assistant|language\s+model))",
    re.IGNORECASE,
)


def instruction_like(text: str) -> str | None:
    """The first passage of ``text`` that addresses a language model, if any."""
    m = _INSTRUCTION_LIKE.search(text)
    return m.group(0) if m else None


def ungrounded_figures(item: Item) -> list[str]:
    """Figures an item states (figure list or summary) that its evidence does not contain."""
    values = [f.value for span in item.evidence for f in find_figures(span.text)]
    bad = [f.text for f in item.figures if not any(values_match(f.value, v) for v in values)]
    bad += [
        f.text
        for f in find_figures(item.summary)
        if not any(values_match(f.value, v) for v in values)
    ]
    return bad
