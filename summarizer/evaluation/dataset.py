"""Eval datasets: documents, their gold annotations, and a small YAML naming them.

A dataset lives under ``evals/``. Either a YAML config such as ``evals/seed.yaml``::

    name: seed
    description: Five hand-annotated reports.
    docs: seed/docs      # relative to the YAML file
    gold: seed/gold

or a directory holding ``docs/`` and ``gold/`` (its name is the dataset's name).
Every ``gold/NAME.json`` annotates ``docs/NAME.<ext>`` and follows
``evals/seed/GUIDELINES.md``. Loading validates the gold strictly and raises
:class:`~summarizer.errors.DatasetError` naming the file, the item index and what
is wrong, so a broken annotation is never scored silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import DatasetError, InputError
from ..ingest.documents import load_document
from ..schema import Category

__all__ = [
    "Case",
    "Dataset",
    "DatasetConfig",
    "Gold",
    "GoldItem",
    "load_dataset",
    "read_document_text",
    "validate_items",
]

#: Most problems listed in one DatasetError (the rest are counted).
_MAX_LISTED = 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatasetConfig(_Strict):
    """The YAML file that names a dataset (paths relative to the YAML)."""

    name: str = Field(min_length=1)
    description: str = ""
    docs: str = Field(min_length=1, description="Folder of documents, relative to the YAML.")
    gold: str = Field(min_length=1, description="Folder of gold JSON files, relative to the YAML.")


class GoldIndicator(_Strict):
    """One figure of an item tagged as a jurisdiction-wide statistical indicator.

    ``start``/``end`` index the document text like the item's, and
    ``text[start:end] == text`` (the figure exactly as in the item's figures).
    """

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    indicator: str = Field(min_length=1, description="The indicator as the report names it.")
    measure: Literal["level", "change"]
    kind: Literal["actual", "target"]
    period: str = Field(description="The year ('2024') or range ('2021-2025') the value is for.")


class GoldItem(_Strict):
    """One annotated achievement, shortcoming or plan.

    ``start``/``end`` index the document text (end exclusive) and
    ``text[start:end] == quote``.
    """

    category: Category
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str
    figures: list[str] = Field(default_factory=list)
    summary: str | None = Field(default=None, description="The reference summary (GUIDELINES.md).")
    indicators: list[GoldIndicator] = Field(default_factory=list)


class Gold(_Strict):
    """The annotation of one document (``gold/NAME.json``)."""

    doc: str = Field(description="File name of the document in docs/, e.g. '000_x.txt'.")
    title: str | None = None
    issuer: str | None = None
    year: int | None = None
    items: list[GoldItem] = Field(default_factory=list)


class Case(_Strict):
    """One document of a dataset with its gold annotation.

    Attributes:
        doc_id: the document's file stem; predictions are keyed by it.
        doc_path: the document file.
        gold_path: the gold JSON file.
        gold: the validated annotation.
        text: the document text every offset refers to (not serialised).
    """

    doc_id: str
    doc_path: Path
    gold_path: Path
    gold: Gold
    text: str = Field(default="", repr=False, exclude=True)


class Dataset(_Strict):
    """A named set of annotated documents, in doc-id order."""

    name: str
    description: str = ""
    path: Path = Field(description="The YAML config or the dataset directory it was loaded from.")
    cases: list[Case]

    def case(self, doc_id: str) -> Case:
        """The case whose document stem is ``doc_id``.

        Raises:
            KeyError: no such document in the dataset.
        """
        for c in self.cases:
            if c.doc_id == doc_id:
                return c
        raise KeyError(doc_id)

    @property
    def doc_ids(self) -> list[str]:
        """Document ids in dataset order."""
        return [c.doc_id for c in self.cases]


def read_document_text(path: Path) -> str:
    """The text that gold and predicted offsets refer to: ``load_document(path).text``.

    For ``.txt`` files that is the file decoded (UTF-8 first) with universal
    newlines, as GUIDELINES.md specifies; other formats give their extracted text.

    Raises:
        DatasetError: the file cannot be read or decoded.
    """
    try:
        return load_document(path).text
    except InputError as e:
        raise DatasetError(f"{path}: cannot load the document: {e}") from e


def load_dataset(path: str | Path) -> Dataset:
    """Load and validate a dataset from its YAML config or its directory.

    Args:
        path: a YAML file (``name``, ``description``, ``docs``, ``gold``) or a
            directory containing ``docs/`` and ``gold/``.

    Returns:
        The dataset, one case per gold file, sorted by doc id.

    Raises:
        DatasetError: the config, a gold file or a document is missing or invalid;
            the message names the file, the item index and the problem.
    """
    path = Path(path)
    if path.is_dir():
        docs_dir, gold_dir = path / "docs", path / "gold"
        name, description = path.resolve().name, ""
        if not docs_dir.is_dir() or not gold_dir.is_dir():
            raise DatasetError(
                f"{path}: a dataset directory needs docs/ and gold/ subfolders "
                "(or pass the dataset's YAML file)"
            )
    elif path.is_file():
        config = _load_config(path)
        docs_dir = path.parent / config.docs
        gold_dir = path.parent / config.gold
        name, description = config.name, config.description
        for label, folder in (("docs", docs_dir), ("gold", gold_dir)):
            if not folder.is_dir():
                raise DatasetError(f"{path}: {label} folder {folder} does not exist")
    else:
        raise DatasetError(f"{path}: no such dataset file or directory")

    docs = {p.stem: p for p in sorted(docs_dir.iterdir()) if p.is_file() and _visible(p)}
    gold_files = sorted(p for p in gold_dir.glob("*.json") if _visible(p))
    if not gold_files:
        raise DatasetError(f"{gold_dir}: no gold .json files")
    cases = [_load_case(g, docs_dir) for g in gold_files]
    unannotated = sorted(set(docs) - {c.doc_id for c in cases})
    if unannotated:
        raise DatasetError(
            f"{docs_dir}: documents without a gold file: {', '.join(unannotated)} "
            f"(add gold/NAME.json for each, or move them out of {docs_dir.name}/)"
        )
    return Dataset(name=name, description=description, path=path, cases=cases)


def _visible(p: Path) -> bool:
    return not p.name.startswith(".")


def _load_config(path: Path) -> DatasetConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise DatasetError(f"{path}: cannot read the dataset config: {e}") from e
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: the dataset config must be a mapping (name, docs, gold)")
    try:
        return DatasetConfig.model_validate(raw)
    except ValidationError as e:
        raise DatasetError(_problems(path, _pydantic_problems(e))) from e


def _load_case(gold_path: Path, docs_dir: Path) -> Case:
    try:
        raw = json.loads(gold_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DatasetError(f"{gold_path}: cannot read the gold file: {e}") from e
    try:
        gold = Gold.model_validate(raw)
    except ValidationError as e:
        raise DatasetError(_problems(gold_path, _pydantic_problems(e))) from e

    doc_path = docs_dir / gold.doc
    if Path(gold.doc).name != gold.doc or Path(gold.doc).stem != gold_path.stem:
        raise DatasetError(
            f"{gold_path}: 'doc' is {gold.doc!r} but must be the file name of "
            f"{docs_dir.name}/{gold_path.stem}.<ext> (gold and document share a stem)"
        )
    if not doc_path.is_file():
        raise DatasetError(f"{gold_path}: document {doc_path} does not exist")
    text = read_document_text(doc_path)
    problems = validate_items(gold.items, text)
    if problems:
        raise DatasetError(_problems(gold_path, problems))
    return Case(doc_id=gold_path.stem, doc_path=doc_path, gold_path=gold_path, gold=gold, text=text)


def validate_items(items: list[GoldItem], text: str) -> list[str]:
    """Problems with gold items against their document text, one line each.

    Checks offsets within the text, ``text[start:end] == quote``, document order,
    no overlaps, and that every figure is written in its quote.
    """
    problems: list[str] = []
    prev_end = 0
    for i, item in enumerate(items):
        where = f"item {i} ({item.category} {item.start}:{item.end})"
        if item.end <= item.start:
            problems.append(f"{where}: end must be greater than start")
        elif item.end > len(text):
            problems.append(f"{where}: end is past the end of the document ({len(text)} chars)")
        elif text[item.start : item.end] != item.quote:
            problems.append(
                f"{where}: quote does not match the document text at these offsets "
                f"(document has {_short(text[item.start : item.end])}, "
                f"quote is {_short(item.quote)})"
            )
        if i and item.start < prev_end:
            if item.start < items[i - 1].start:
                problems.append(f"{where}: out of document order (item {i - 1} starts later)")
            else:
                problems.append(f"{where}: overlaps item {i - 1} (which ends at {prev_end})")
        prev_end = max(prev_end, item.end)
        for figure in item.figures:
            if not figure.strip():
                problems.append(f"{where}: empty figure")
            elif figure not in item.quote:
                problems.append(f"{where}: figure {figure!r} is not written in the quote")
    return problems


def _pydantic_problems(e: ValidationError) -> list[str]:
    out = []
    for err in e.errors():
        loc = list(err["loc"])
        if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
            head = f"item {loc[1]}"
            rest = ".".join(str(x) for x in loc[2:])
            where = f"{head}: {rest}" if rest else head
        else:
            where = ".".join(str(x) for x in loc) or "file"
        out.append(f"{where}: {err['msg']}{_input_hint(err)}")
    return out


def _input_hint(err: Any) -> str:
    if err.get("type") in ("missing", "extra_forbidden"):
        return ""
    value = err.get("input")
    return f" (got {_short(str(value))})" if isinstance(value, (str, int, float)) else ""


def _problems(path: Path, problems: list[str]) -> str:
    shown = problems[:_MAX_LISTED]
    more = len(problems) - len(shown)
    lines = [f"{path}: {p}" for p in shown]
    if more:
        lines.append(f"{path}: … and {more} more problems")
    return "\n".join(lines)


def _short(s: str, limit: int = 40) -> str:
    return repr(s if len(s) <= limit else s[: limit - 1] + "…")
