"""Dates as documents print them, read into ISO dates.

Printed forms (domain file): ``ngày 15 tháng 6 năm 2020``, ``Ngày: 15-6-2020``, ``15/6/2020``,
``Ngày 30 - 9 - 2020``. Matching runs on folded text (see :mod:`pipeline.text.fold`), so OCR's
tone-mark errors in "ngày"/"tháng"/"năm" do not hide a date; digits read as ``O``, ``I`` or
``l`` are repaired.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_D = r"[0-9OoIl]"
_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})

# "ngày 15 tháng 6 năm 2020" (folded).
WORDS = re.compile(
    rf"ngay\s{{0,3}}(?P<d>{_D}{{1,2}})\s{{0,3}}thang\s{{0,3}}(?P<m>{_D}{{1,2}})\s{{0,3}}"
    rf"nam\s{{0,3}}(?P<y>{_D}{{4}})"
)
# "15-6-2020", "15/6/2020", "30 - 9 - 2020", "15.6.2020".
NUMERIC = re.compile(
    rf"(?<![\w/])(?P<d>{_D}{{1,2}})\s{{0,2}}([-/.\u2013])\s{{0,2}}(?P<m>{_D}{{1,2}})\s{{0,2}}\2"
    rf"\s{{0,2}}(?P<y>{_D}{{4}})(?![\w/])"
)


@dataclass(frozen=True)
class DateMatch:
    """A date found in text and where it stands."""

    date: dt.date
    start: int
    end: int


def _to_date(day: str, month: str, year: str) -> dt.date | None:
    try:
        d, m, y = (int(part.translate(_DIGITS)) for part in (day, month, year))
        if not 1900 <= y <= 2099:
            return None
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | None:
    """The first valid date in ``text`` (already folded), or None."""
    found = find_dates(text)
    return found[0].date if found else None


def find_dates(folded: str) -> list[DateMatch]:
    """Every valid date in folded text, in order; impossible dates (31/2) are skipped."""
    found: list[DateMatch] = []
    for pattern in (WORDS, NUMERIC):
        for match in pattern.finditer(folded):
            date = _to_date(match["d"], match["m"], match["y"])
            if date is not None and not any(
                f.start < match.end() and match.start() < f.end for f in found
            ):
                found.append(DateMatch(date, match.start(), match.end()))
    return sorted(found, key=lambda f: f.start)
