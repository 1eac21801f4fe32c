"""Prompt templates (``prompts/*.txt``, shipped in the package) -> chat messages.

Templates are plain files so they can be read, diffed and changed without
touching code. :func:`prompt_version` hashes every template together with the
response schema; the hash is recorded in every output, and it is part of the
cache key, so changing a prompt never serves a stale cached answer.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Literal

from .chunking import Chunk

Language = Literal["zh", "en"]
ROLE_HINTS: dict[Language, dict[str, str]] = {
    "zh": {
        "achievement": "achievement（成效）",
        "shortcoming": "shortcoming（问题）",
        "plan": "plan（计划）",
        "other": "none（非要点）",
    },
    "en": {
        "achievement": "achievement",
        "shortcoming": "shortcoming",
        "plan": "plan",
        "other": "none",
    },
}
Task = Literal["summarise", "judge"]
#: The system template of each task: ``summarise`` asks for category, summary,
#: figures and topic of every unit; ``judge`` only for the category of units
#: whose role the structure leaves open.
_SYSTEM: dict[Task, str] = {"summarise": "system", "judge": "judge"}
_SHARED = ("user", "section")


@cache
def template(name: str, language: Language) -> str:
    """The text of ``prompts/<name>.<language>.txt``."""
    return (resources.files("summarizer") / "prompts" / f"{name}.{language}.txt").read_text(
        encoding="utf-8"
    )


def system_template(task: Task, language: Language) -> str:
    """The system template of ``task`` as stored (the message sends it stripped)."""
    return template(_SYSTEM[task], language)


def detect_language(text: str) -> Language:
    """``zh`` when a good share of the letters are CJK, else ``en``."""
    sample = text[:4000]
    cjk = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
    letters = sum(1 for c in sample if c.isalpha())
    return "zh" if letters and cjk / letters > 0.2 else "en"


def prompt_version(
    language: Language, schema: dict[str, object] | None = None, *, task: Task = "summarise"
) -> str:
    """``<language>-<sha256[:12]>`` of the task's templates (and the schema, when given)."""
    h = hashlib.sha256()
    for name in (_SYSTEM[task], *_SHARED):
        h.update(template(name, language).encode("utf-8"))
    if schema is not None:
        h.update(json.dumps(schema, sort_keys=True).encode("utf-8"))
    return f"{language}-{h.hexdigest()[:12]}"


def render_units(chunk: Chunk, language: Language) -> str:
    """The user-message body: each section header, then its units as ``[id] text``."""
    parts = []
    for group in chunk.groups:
        units = "\n".join(f"[{u.id}] {u.text}" for u in group.units)
        parts.append(
            template("section", language).format(
                path=" > ".join(group.path) or "-",
                hint=ROLE_HINTS[language].get(group.hint, group.hint),
                units=units,
            )
        )
    return "".join(parts)


def build_messages(
    chunk: Chunk, *, language: Language, task: Task = "summarise"
) -> list[dict[str, str]]:
    """System + user messages for one chunk.

    The system message is the same for every call of a task and language, so
    a server's prefix cache can reuse it. The report's title is not sent: it
    adds tokens to every call and small models copy it into their summaries.
    """
    user = template("user", language).format(sections=render_units(chunk, language))
    return [
        {"role": "system", "content": system_template(task, language).strip()},
        {"role": "user", "content": user.strip()},
    ]
