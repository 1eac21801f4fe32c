"""Output models: what a summary of one document looks like on disk.

These pydantic models are the public data contract. ``schemas/*.json`` is
generated from them (``python -m summarizer.schema``) and a test keeps it in sync.
Every item carries its grounding as data: exact evidence spans into the
document's plain text, the figures with their spans and normalised values,
and a validation status with notes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .settings import Backend, ResolvedScope

Category = Literal["achievement", "shortcoming", "plan"]
CATEGORIES: tuple[Category, ...] = ("achievement", "shortcoming", "plan")
#: Field of :class:`DocumentSummary` that holds each category's items.
CATEGORY_FIELDS: dict[Category, str] = {
    "achievement": "achievements",
    "shortcoming": "shortcomings",
    "plan": "plans",
}

SCHEMA_VERSION = "1"

# Backend (which backend produced a summary) and ResolvedScope (what the model was
# asked: ``model_scope`` with ``auto`` decided) are the settings' own Literals.
#: How an item (or a model call) ended: as answered, repaired, or from the rules.
ValidationStatus = Literal["ok", "repaired", "fallback"]
#: Why validation checked, changed or removed something.
ValidationCode = Literal[
    "not_a_figure",  # a "figure" the model listed is not a number: removed
    "ungrounded_figure",  # a figure not in the cited unit: removed
    "ungrounded_summary",  # the summary states a figure not in the unit: replaced by its lead
    "off_unit_summary",  # the summary does not describe its unit: replaced by its lead
    "category_kept",  # the model disagreed with a category the structure states
    "category_judged",  # the model judged a category the position only suggested
    "judged_not_an_item",  # the model judged a unit with a structural role to state nothing
    "missing_answer",  # the model gave no answer for a unit: rules used
    "fallback_rules",  # the model call failed after retries: rules used
    "instruction_like_text",  # the evidence addresses a language model (prompt injection)
    "indicator_named",  # the model named an indicator written in the unit
    "ungrounded_indicator_name",  # an indicator name the model gave is not in the unit: rejected
]
#: Why a model call failed (:class:`summarizer.errors.ModelCallError`).
ModelCallKind = Literal["validation", "truncated", "transport", "status", "response"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(_Model):
    """A character range of the document's plain text (end exclusive)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class Indicator(_Model):
    """What a figure measures, when it states a jurisdiction-wide statistic."""

    name: str = Field(description="The indicator as the report names it, e.g. '地区生产总值'.")
    canonical: str | None = Field(
        default=None, description="Stable key of a headline indicator, e.g. 'gdp'; None otherwise."
    )
    measure: Literal["level", "change"] = Field(
        description="'change' for a growth/decline rate or points; 'level' for an amount or ratio."
    )
    kind: Literal["actual", "target"] = Field(
        description="'actual' for a past result, 'target' for a value set for a future period."
    )
    period: str = Field(description="The year ('2024') or range ('2021-2025') the value is for.")


class ExcludedSpan(Span):
    """A range kept out of the units, with the reason."""

    reason: str = Field(
        default="furniture",
        description="'furniture' (page chrome), 'appendix' (after the report) or 'table' "
        "(a flattened table, one cell per line).",
    )


class FigureOut(_Model):
    """A quantity stated in the source, with its span and normalised value."""

    text: str = Field(description="The figure exactly as written, e.g. '2000多人次'.")
    value: float = Field(description="Normalised value with 万/亿 applied; 91% -> 91.0.")
    unit: str = Field(default="", description="Unit or measure word, e.g. '人次', '%', '亿元'.")
    qualifier: str = Field(default="", description="近/约/余/多/以上/左右/超过…, or ''.")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    indicator: Indicator | None = Field(
        default=None, description="Set when the figure states a statistical indicator."
    )


class ValidationNote(_Model):
    """Something validation checked, changed or removed, with the reason."""

    code: ValidationCode = Field(description="Machine-readable reason, e.g. 'ungrounded_figure'.")
    message: str
    value: str | None = Field(default=None, description="What was removed, if anything.")


class Item(_Model):
    """One achievement, shortcoming or plan, grounded in the source."""

    id: str
    category: Category
    summary: str = Field(description="One sentence in the document's language.")
    topic: str | None = None
    evidence: list[Span] = Field(min_length=1)
    figures: list[FigureOut] = Field(default_factory=list)
    section_path: list[str] = Field(default_factory=list)
    unit_ids: list[str] = Field(default_factory=list)
    status: ValidationStatus = "ok"
    validation: list[ValidationNote] = Field(default_factory=list)


class Usage(_Model):
    """Token and call accounting."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    calls: int = 0
    cache_hits: int = 0
    seconds: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            calls=self.calls + other.calls,
            cache_hits=self.cache_hits + other.cache_hits,
            seconds=self.seconds + other.seconds,
        )


class CallRecord(_Model):
    """What one model call (one chunk) cost and how it ended."""

    chunk: int
    unit_ids: list[str]
    status: ValidationStatus
    usage: Usage


class RunMetadata(_Model):
    """How a summary was produced."""

    schema_version: str = SCHEMA_VERSION
    summarizer_version: str
    backend: Backend
    model: str | None = None
    prompt_version: str | None = None
    model_scope: ResolvedScope | None = Field(
        default=None,
        description=(
            "What the model was asked: 'all' units (category, summary, figures), or "
            "'judgement' (only the category of units whose role the structure leaves open)."
        ),
    )
    usage: Usage = Field(default_factory=Usage)
    estimated_tokens: int | None = Field(
        default=None, description="Prompt + completion tokens estimated before any call."
    )
    calls: list[CallRecord] = Field(default_factory=list, description="Usage per model call.")
    timings: dict[str, float] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    text_path: str | None = Field(
        default=None, description="Plain text that every offset refers to, saved beside the output."
    )
    text_sha256: str | None = None
    excluded: list[ExcludedSpan] = Field(
        default_factory=list,
        description="Ranges kept out of the units (page furniture, appendices, flattened "
        "tables), with the reason; kept in the text, not deleted.",
    )


class DocumentSummary(_Model):
    """The grounded summary of one document."""

    doc_id: str
    source_path: str | None = None
    title: str | None = None
    issuer: str | None = None
    year: int | None = None
    achievements: list[Item] = Field(default_factory=list)
    shortcomings: list[Item] = Field(default_factory=list)
    plans: list[Item] = Field(default_factory=list)
    removed: list[ValidationNote] = Field(
        default_factory=list, description="What validation removed at document level, with reasons."
    )
    metadata: RunMetadata

    def items(self) -> list[Item]:
        """All items in document order."""
        every = [*self.achievements, *self.shortcomings, *self.plans]
        return sorted(every, key=lambda it: (it.evidence[0].start, it.evidence[0].end))


EXPORTED: dict[str, type[BaseModel]] = {"document_summary": DocumentSummary}


def write_json_schemas(directory: Path) -> list[Path]:
    """Write the JSON Schema of every exported model into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in EXPORTED.items():
        path = directory / f"{name}.schema.json"
        schema = model.model_json_schema()
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    for p in write_json_schemas(Path(__file__).resolve().parent.parent / "schemas"):
        print(p)
