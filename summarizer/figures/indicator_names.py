"""How an indicator's name is completed from the names around it.

A list ``A、B<tail>`` gives each part the tail it shares (:func:`split_names`); a
ratio written with the last name's head is that name's ratio (:func:`continued_name`);
a breakdown after ``其中`` names a part of the last indicator (:func:`whole_of`).

May import: ``summarizer.errors`` and ``summarizer.schema``.
"""

from __future__ import annotations

import re
from typing import Final

from .vocabulary import Vocabulary

__all__ = ["RATIO_RE", "continued_name", "shared_tail", "split_names", "whole_of"]

#: Words that make a name a ratio.
RATIO_RE: Final = re.compile("(?:率|比重|占比|比例|比率|指数|强度)")


def shared_tail(prev: str, last: str, vocab: Vocabulary) -> str:
    """What the last part of ``A、B<tail>`` adds that ``A`` shares, when no shared head says.

    ``接待省外游客、入境过夜游客人次``: A's last word (游客) stands in B, what follows it
    (人次) is shared. ``绿电、绿证交易规模``: A names nothing measurable by itself; the
    parts of such a list are parallel modifiers of one length (城镇、农村; 绿电、绿证),
    so B past A's length (交易规模) is shared when it ends with a head.
    """
    for k in range(min(len(prev), len(last)), 1, -1):
        at = last.find(prev[-k:])
        if at >= 0 and at + k < len(last):
            return last[at + k :]
    tail = last[len(prev) :]
    if (
        not prev.endswith(vocab.heads)
        and len(tail) >= 2
        and tail.endswith(vocab.heads)
    ):
        return tail
    return ""


def split_names(name: str, vocab: Vocabulary) -> list[str]:
    """``城市、县城建成区面积`` -> both names with the shared head; ``城乡…`` -> 城镇…, 农村…."""
    m = re.match(r"^一、?二、?三产(业)?(.+)$", name)
    if m:
        return [f"{n}产{m[1] or ''}{m[2]}" for n in ("一", "二", "三")]
    parts = [p for p in re.split("[、]", name) if p]
    if len(parts) == 1 and "和" in name:
        parts = [p for p in name.split("和") if p]
    if len(parts) == 1:
        if name.startswith("城乡") and len(name) > 4:
            return ["城镇" + name[2:], "农村" + name[2:]]
        return parts
    last = parts[-1]
    shared = ""
    cut = len(parts[-2])
    if len(last) > cut and any(last[cut:].startswith(h) for h in vocab.shared_heads):
        shared = last[cut:]
    else:
        shared = next((h for h in vocab.shared_heads if last.endswith(h) and last != h), "")
    if not shared:
        shared = shared_tail(parts[-2], last, vocab)
    names = []
    for p in parts[:-1]:
        # 数字产业、新材料产业增加值: the part already ends with the head's first word
        overlap = next((k for k in range(len(shared), 0, -1) if p.endswith(shared[:k])), 0)
        names.append(p + shared[overlap:])
    names.append(last)
    return names


def continued_name(name: str, subject: str | None, vocab: Vocabulary) -> str:
    """A ratio of the last name's head is the last name's ratio.

    ``研发经费投入增长25%、投入强度达到1.4%``: 投入强度 is the 研发经费投入's; not
    ``接待游客…，游客花费…`` (花费 is a quantity of its own, not a ratio).
    """
    if subject is None or name in vocab.canonical:
        return name
    for k in range(min(len(subject) - 1, len(name) - 1), 1, -1):
        head = subject[-k:]
        if head in vocab.heads and name.startswith(head) and RATIO_RE.fullmatch(name[k:]):
            return subject[:-k] + name
    return name


def whole_of(subject: str, vocab: Vocabulary) -> str | None:
    """The indicator a name is a part of: its longest ending that is a name or a head."""
    for i in range(1, len(subject) - 1):
        tail = subject[i:]
        if tail in vocab.canonical or (tail in vocab.heads and tail not in vocab.too_generic):
            return tail
    return None
