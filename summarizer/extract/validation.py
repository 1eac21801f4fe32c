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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from ..figures.indicators import INDICATOR_NAMED, INDICATOR_REJECTED
from ..figures.numbers import Figure, find_figures, parse_figure, values_match
from ..schema import Category, FigureOut, Item, ValidationNote

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


GroundingCode = Literal["not_a_figure", "ungrounded_figure", "ungrounded_summary"]
AnswerCode = Literal[GroundingCode, "off_unit_summary"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with what a model (or an item) states, as data.

    Attributes:
        code: what is wrong (the :class:`~summarizer.schema.ValidationNote` code
            a repair records).
        value: what was stated: the figure as written, or the summary.
        for_model: the sentence a re-ask shows the model.
    """

    code: AnswerCode
    value: str
    for_model: str = ""


def _allowed(value: float, allowed: Sequence[float]) -> bool:
    """Whether a stated figure value is one of the values found in the source."""
    return any(values_match(value, v) for v in allowed)


def grounding_problems(
    allowed: Sequence[float],
    *,
    figures: Iterable[str | FigureOut] = (),
    summary: str = "",
    unit_id: str = "",
) -> list[Problem]:
    """The one grounding check: stated figures and summary figures not in ``allowed``.

    Used by the answer validator (what the model reads on a re-ask), by
    :func:`repair` and by the final check of every item (:func:`ungrounded_figures`).

    Args:
        allowed: the values of the figures found in the cited source text.
        figures: figures as the model wrote them (parsed here), or figures of an
            item (their values already normalised).
        summary: a summary whose own figures must be allowed too.
        unit_id: names the unit in the messages for the model.
    """
    problems = []
    for raw in figures:
        if isinstance(raw, FigureOut):
            text, value = raw.text, raw.value
        else:
            parsed = parse_figure(raw)
            if parsed is None:
                problems.append(
                    Problem("not_a_figure", raw, f"{unit_id}: '{raw}' in figures is not a "
                            "number; list only numbers")
                )  # fmt: skip
                continue
            text, value = raw, parsed.value
        if not _allowed(value, allowed):
            problems.append(
                Problem("ungrounded_figure", text, f"{unit_id}: figure '{text}' is not in the "
                        f"text of {unit_id}; use only figures written in {unit_id}, or none")
            )  # fmt: skip
    for f in find_figures(summary):
        if not _allowed(f.value, allowed):
            problems.append(
                Problem("ungrounded_summary", f.text, f"{unit_id}: the summary states "
                        f"'{f.text}', which is not in the text of {unit_id}; use only figures "
                        f"written in {unit_id}")
            )  # fmt: skip
    return problems


def answer_problems(
    unit_id: str, answer: UnitAnswer, allowed: Sequence[float], unit_text: str | None = None
) -> list[Problem]:
    """Everything wrong with one unit's answer: ungrounded figures, and a summary off its unit.

    The relevance of the summary is checked only for answers that say the unit
    states something (a ``none`` answer describes nothing), by the validator and
    by :func:`repair` alike.
    """
    problems = grounding_problems(
        allowed, figures=answer.figures, summary=answer.summary, unit_id=unit_id
    )
    if unit_text is not None and answer.category != "none":
        why = relevance_problem(unit_id, answer.summary, unit_text)
        if why:
            problems.append(Problem("off_unit_summary", answer.summary, why))
    return problems


_CJK = re.compile("[\u4e00-\u9fff]")
_LATIN_WORD = re.compile("[a-z]{3,}")  #: of the lowercased text: ASCII letters only
_LATIN_LETTER = re.compile("[A-Za-z]")


@lru_cache(maxsize=8192)
def _terms(text: str) -> frozenset[str]:
    """CJK character bigrams (of the CJK characters in order) and lowercased Latin words
    of 3+ letters. Cached: a unit's text is checked on every answer and repair."""
    cjk = "".join(_CJK.findall(text))
    terms = {cjk[i : i + 2] for i in range(len(cjk) - 1)}
    terms.update(_LATIN_WORD.findall(text.lower()))
    return frozenset(terms)


def relevance_problem(unit_id: str, summary: str, unit_text: str) -> str | None:
    """Why ``summary`` does not describe its unit (None when enough of its terms occur there)."""
    terms = _terms(summary)
    if not terms:
        return f"{unit_id}: the summary is empty; write one sentence about {unit_id}"
    cjk_unit = len(_CJK.findall(unit_text)) > len(unit_text) / 3
    if cjk_unit and len(_LATIN_LETTER.findall(summary)) > 8:
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
            found = answer_problems(unit_id, answer, figures.get(unit_id, ()), texts.get(unit_id))
            problems += [p.for_model for p in found]
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
    fallback_summary: str | Callable[[], str],
    unit_text: str | None = None,
) -> tuple[UnitAnswer, list[ValidationNote]]:
    """Drop ungrounded figures; replace a summary that states one or is off its unit.

    The problems are the validator's (:func:`answer_problems`). Returns the
    repaired answer and a note for every change. ``fallback_summary`` may be a
    function: it is then called only when the summary is replaced.
    """
    problems = answer_problems(unit_id, answer, allowed, unit_text)
    removed = {
        "not_a_figure": "not a number; removed",
        "ungrounded_figure": f"figure not found in {unit_id}; removed",
    }
    notes = [
        ValidationNote(code=p.code, message=removed[p.code], value=p.value)
        for p in problems
        if p.code in removed
    ]
    dropped = {p.value for p in problems if p.code in removed}
    kept = [raw for raw in answer.figures if raw not in dropped]
    summary = answer.summary
    bad = [p.value for p in problems if p.code == "ungrounded_summary"]
    if bad:
        notes.append(
            ValidationNote(
                code="ungrounded_summary",
                message=f"summary stated {', '.join(bad)}, not in {unit_id}; replaced by its lead",
                value=summary,
            )
        )
        summary = _resolve(fallback_summary)
    elif any(p.code == "off_unit_summary" for p in problems):
        notes.append(
            ValidationNote(
                code="off_unit_summary",
                message=f"summary did not describe {unit_id}; replaced by the unit's lead",
                value=summary,
            )
        )
        summary = _resolve(fallback_summary)
    return answer.model_copy(update={"figures": kept, "summary": summary}), notes


def _resolve(summary: str | Callable[[], str]) -> str:
    return summary if isinstance(summary, str) else summary()


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
    return [p.value for p in grounding_problems(values, figures=item.figures, summary=item.summary)]
