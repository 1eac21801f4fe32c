"""The indicator vocabulary: ``indicators.yaml`` (data shipped in the package), parsed.

Name endings that make a statistic, canonical keys of the headline indicators
and the names reports use for them, words that mark one programme's figures,
jurisdiction words. Edit the YAML, not code, to teach the tagger a new name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from ..errors import ConfigError

__all__ = ["Vocabulary", "canonical_key", "load_vocabulary", "strip_jurisdiction"]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The data file ``indicators.yaml``, parsed."""

    heads: tuple[str, ...]
    shared_heads: tuple[str, ...]
    not_indicator: tuple[str, ...]
    jurisdiction: tuple[str, ...]
    canonical: dict[str, str]  #: name -> canonical key
    completions: dict[str, str]
    too_generic: frozenset[str]
    flows: frozenset[str]  #: canonical keys counted per year: a five-year level is a sum


def _strings(data: dict[str, object], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"indicators.yaml: {key!r} must be a list of strings")
    return tuple(sorted(value, key=len, reverse=True))


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The indicator vocabulary shipped with the package (``figures/indicators.yaml``)."""
    raw = resources.files(__package__).joinpath("indicators.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    if not isinstance(data, dict):
        raise ConfigError("indicators.yaml: expected a mapping at the top level")
    canonical: dict[str, str] = {}
    for key, names in (data.get("canonical") or {}).items():
        if not isinstance(names, list):
            raise ConfigError(f"indicators.yaml: canonical {key!r} must list names")
        for n in names:
            canonical[str(n)] = str(key)
    completions = {str(k): str(v) for k, v in (data.get("completions") or {}).items()}
    return Vocabulary(
        heads=_strings(data, "heads"),
        shared_heads=_strings(data, "shared_heads"),
        not_indicator=_strings(data, "not_indicator"),
        jurisdiction=_strings(data, "jurisdiction"),
        canonical=canonical,
        completions=completions,
        too_generic=frozenset(_strings(data, "too_generic")),
        flows=frozenset(_strings(data, "flows")),
    )


def canonical_key(name: str, vocab: Vocabulary | None = None) -> str | None:
    """The canonical key of an indicator name, or None when it is not a headline one."""
    v = vocab or load_vocabulary()
    bare = strip_jurisdiction(name.strip(), v)
    return v.canonical.get(bare) or v.canonical.get(v.completions.get(bare, ""))


def strip_jurisdiction(name: str, vocab: Vocabulary) -> str:
    """``全省地区生产总值`` -> ``地区生产总值`` (the name is kept when nothing would be left)."""
    if not name.startswith(vocab.jurisdiction):  # the common case, in one C call
        return name
    for w in vocab.jurisdiction:
        if name.startswith(w) and len(name) > len(w):
            return name[len(w) :]
    return name
