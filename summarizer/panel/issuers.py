"""One key per jurisdiction, and the check of each document against a catalogue.

A report's header names its issuer in many ways: ``保定市满城区人民政府``,
``满城区人民政府``, ``满城区``; a county that became a district (``清苑县`` ->
``清苑区``) is the same jurisdiction. :func:`issuer_key` keeps the last
administrative unit of the name (``保定市满城区`` -> ``满城区``) and drops its
level word when two or more characters are left (``满城区`` -> ``满城``,
``清苑县`` -> ``清苑``); a one-character stem keeps it (``唐县``, ``易县``). Keys
are compared whole, never by containment, so ``唐县`` and ``高唐县`` (key
``高唐``), or ``易县`` and ``米易县`` (``米易``), stay two issuers.

Known limit: two jurisdictions with the same stem in different provinces
(``朝阳区`` of one city and ``朝阳县`` of another) would share a key; the
panel's ``documents.csv`` lists the full names behind each key.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

__all__ = ["Catalogue", "CatalogueEntry", "issuer_key", "load_catalogue", "unit_name"]

_GOVERNMENT_RE = re.compile(r"(?:人民政府|政府)$")
_UNIT_RE = re.compile(
    r"[\u4e00-\u9fff]+?(?:自治县|自治州|自治区|自治旗|特别行政区|省|市|县|区|旗|州|盟)"
)
_LEVEL_RE = re.compile(r"(?:自治县|自治州|自治区|自治旗|省|市|县|区|旗|州|盟)$")


def unit_name(issuer: str) -> str:
    """The last administrative unit of an issuer: ``保定市满城区人民政府`` -> ``满城区``."""
    name = _GOVERNMENT_RE.sub("", issuer.strip())
    units = _UNIT_RE.findall(name)
    if not units:
        return name
    last = units[-1]
    # 唐县 after 保定市 is found as 唐县; a unit of one level word only (县) is no name
    return last if len(last) > 1 else name


def issuer_key(issuer: str) -> str:
    """The key that is the same for every way of writing one jurisdiction (see module doc)."""
    unit = unit_name(issuer)
    stem = _LEVEL_RE.sub("", unit)
    return stem if len(stem) >= 2 else unit


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """What a catalogue says about one file."""

    file: str
    issuer: str
    year: int | None  #: the year the report was delivered (its review year + 1)


class Catalogue(dict[str, CatalogueEntry]):
    """Catalogue entries by file name."""


def load_catalogue(path: Path) -> Catalogue:
    """Read a catalogue CSV with columns ``file``, ``county`` (or ``issuer``) and ``year``.

    Raises:
        InputError: the file cannot be read or lacks those columns.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            fields = set(reader.fieldnames or [])
            who = "county" if "county" in fields else "issuer" if "issuer" in fields else None
            if "file" not in fields or who is None or "year" not in fields:
                raise InputError(
                    f"{path}: a catalogue needs the columns file, county (or issuer) and year; "
                    f"found {sorted(fields)}"
                )
            out = Catalogue()
            for row in reader:
                year = row.get("year", "").strip()
                out[row["file"].strip()] = CatalogueEntry(
                    file=row["file"].strip(),
                    issuer=row[who].strip(),
                    year=int(year) if year.isdigit() else None,
                )
            return out
    except OSError as e:
        raise InputError(f"{path}: cannot read the catalogue: {e}") from e
