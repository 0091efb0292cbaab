"""Document numbers: find them in OCR text and put them in one canonical form.

A number is matched and stored as ``25/2020/DS-ST``, ``1161/2025/QĐST-DS`` or ``215/QĐ-CCTHADS``:
hyphenated, ``Đ`` as U+0110, no spaces. Printed forms vary (``15/2018/DSST``,
``63 /2017/ DS - GĐT``, en and em dashes, ``472A/...``) and OCR damages them (``Đ`` read as ``D``
or ``Ð``, ``1`` as ``I`` or ``l``, ``0`` as ``O``); every such form maps to the one canonical
string, and the printed form is kept beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Case-type codes and court levels (domain file, "Number formats").
CASE_TYPES = ("DS", "HS", "HNGĐ", "KDTM", "LĐ", "HC")
LEVELS = ("ST", "PT", "GĐT", "TT")
# What may stand left of the hyphen in a number that has a year, when the right side is a case
# type: decisions (QĐST, QĐPT, QĐXXST, QĐCNHG...) and case acceptances (TLST, TLPT).
_DECISION_KINDS = (
    "QĐ",
    "QĐST",
    "QĐPT",
    "QĐXXST",
    "QĐXXPT",
    "QĐCNHG",
    "QĐCNTT",
    "QĐĐC",
    "QĐGĐT",
    "QĐTT",
    "TLST",
    "TLPT",
    "TLGĐT",
)
_TERM = re.compile(r"QH([0-9OIL|]{2})$")
_TERM_DIGITS = str.maketrans({"O": "0", "I": "1", "L": "1", "|": "1"})
_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "i": "1"})
_DASH = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212~"
# Parts an enforcement number is made of (215/QĐ-CCTHADS, 30/TB-THADS, 66/CCTHADS-VP).
ENFORCEMENT_KINDS = ("QĐ", "TB", "BB", "KH", "CV")
OFFICES = ("CCTHADS", "CTHADS", "THADS", "THA", "CCTHA", "CTHA")
# Letters OCR confuses in upper-case codes: swapping one for the other costs half an edit.
_CONFUSABLE = {
    frozenset(pair)
    for pair in ("GC", "PĐ", "DĐ", "OĐ", "OD", "OQ", "1I", "1L", "IL", "0O", "HN", "UV", "SB")
}

_DIGIT = r"[0-9OoIl|]"
_LETTERS = r"[A-ZĐÐƉ]"
_CODE_CHAR = r"[A-ZĐÐƉ1]"  # OCR puts a stray 1 for an I or L inside a code
_SEP = r"\s{0,2}/\s{0,2}"
_HYPHEN = rf"\s{{0,2}}[{_DASH}]{{1,3}}\s{{0,2}}"  # OCR reads an em dash as "-—"
# A National Assembly body ends its code with its term: 326/2016/UBTVQH14, 92/2015/QH13.
_CODE_PART = rf"{_LETTERS}{_CODE_CHAR}{{1,9}}(?:(?<=QH)[0-9OIl|]{{2}})?"
_TAIL = r"(?:[a-zđ]{1,2})?(?![\w])"  # a speck read as a lower-case letter after the code
WITH_YEAR = re.compile(
    rf"(?<![\w/])(?P<n>{_DIGIT}{{1,5}}[A-Z]?){_SEP}(?P<y>[12Il]{_DIGIT}{{3}}){_SEP}"
    rf"(?P<code>{_CODE_PART}(?:{_HYPHEN}{_CODE_PART})?){_TAIL}"
)
NO_YEAR = re.compile(
    rf"(?<![\w/])(?P<n>{_DIGIT}{{1,5}}[A-Z]?){_SEP}"
    rf"(?P<code>{_CODE_PART}{_HYPHEN}{_CODE_PART}){_TAIL}"
)


@dataclass(frozen=True)
class NumberMatch:
    """A number found in text: canonical form, printed form, and where it stands."""

    canonical: str
    printed: str
    start: int
    end: int


def _letters(code: str) -> str:
    """Upper-case code letters with Đ restored where OCR read D or Ð."""
    code = code.upper().replace("Ð", "Đ").replace("Ɖ", "Đ")
    parts = re.split(rf"[{_DASH}]+", re.sub(r"\s+", "", code))
    fixed = []
    for part in parts:
        if part.startswith("QD"):
            part = "QĐ" + part[2:]
        part = part.replace("HNGD", "HNGĐ").replace("GDT", "GĐT")
        if part == "LD":
            part = "LĐ"
        if part.startswith("QĐDC"):
            part = "QĐĐC"
        fixed.append(part)
    return "-".join(fixed)


def _cost(a: str, b: str) -> float:
    """Edit distance where swapping letters OCR confuses (G/C, P/Đ, 1/I) costs half."""
    previous = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        current = [float(i)]
        for j, cb in enumerate(b, 1):
            swap = 0.0 if ca == cb else 0.5 if frozenset((ca, cb)) in _CONFUSABLE else 1.0
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + swap))
        previous = current
    return previous[-1]


def _snap(part: str, known: tuple[str, ...]) -> tuple[str, float]:
    """The known code part nearest ``part``, and the cost; ``part`` itself when it is known."""
    if part in known:
        return part, 0.0
    costs = sorted((_cost(part, k), k) for k in known)
    best, second = costs[0], costs[1] if len(costs) > 1 else (99.0, "")
    if best[0] <= 1.0 and best[0] < second[0]:
        return best[1], best[0]
    return part, 99.0


_GRAMMARS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (CASE_TYPES, LEVELS),
    (_DECISION_KINDS, CASE_TYPES),
    (("QĐ",), LEVELS),  # 67/2025/QĐ-PT
)


def _repair(code: str, with_year: bool) -> str:
    """Snap an OCR-damaged code onto the number grammar (HNGP -> HNGĐ, T1LST -> TLST).

    Only a repair that costs at most one edit over the whole code is taken; anything else is
    left as read, so a code hoso does not know (a new office's) is never forced into one it does.
    """
    if "-" not in code:
        return code
    left, right = code.split("-", 1)
    grammars = _GRAMMARS if with_year else ((ENFORCEMENT_KINDS, OFFICES), (OFFICES, ("VP",)))
    best = (99.0, code)
    for lefts, rights in grammars:
        new_left, cost_left = _snap(left, lefts)
        new_right, cost_right = _snap(right, rights)
        if cost_left + cost_right < best[0]:
            best = (cost_left + cost_right, f"{new_left}-{new_right}")
    return best[1] if best[0] <= 1.0 else code


def _split_joined(code: str) -> str:
    """Put the hyphen back into a code printed without one (``DSST`` -> ``DS-ST``)."""
    if "-" in code:
        return code
    for cut in range(2, len(code) - 1):
        left, right = code[:cut], code[cut:]
        if left in CASE_TYPES and right in LEVELS:
            return f"{left}-{right}"
        if left in _DECISION_KINDS and right in CASE_TYPES:
            return f"{left}-{right}"
    for cut in range(2, len(code) - 1):  # OCR dropped the Đ: "QDSTLD" was fixed part-wise only
        left, right = _letters(code[:cut]), _letters(code[cut:])
        if (left in CASE_TYPES and right in LEVELS) or (
            left in _DECISION_KINDS and right in CASE_TYPES
        ):
            return f"{left}-{right}"
    return code


def _digits(text: str) -> str:
    return text.translate(_DIGITS)


def _number_part(raw: str) -> str:
    """The serial number: digits repaired, a letter suffix (472A) kept."""
    raw = raw.strip()
    if raw[-1:].isalpha() and raw[-1:] not in "OoIl|":
        return _digits(raw[:-1]) + raw[-1].upper()
    return _digits(raw)


def canonical_number(printed: str) -> str | None:
    """The canonical form of one printed number, or None when it is not a document number."""
    text = printed.strip()
    match = WITH_YEAR.fullmatch(text) or NO_YEAR.fullmatch(text)
    if match is None:
        return None
    return canonical_of(match)


def canonical_of(match: re.Match[str]) -> str | None:
    """The canonical number a match of WITH_YEAR or NO_YEAR stands for, or None if it is none."""
    serial = _number_part(match["n"])
    if not serial[:1].isdigit():
        return None
    with_year = "y" in match.groupdict() and match["y"] is not None
    code = _repair(_split_joined(_letters(match["code"])), with_year)
    code = _TERM.sub(lambda m: "QH" + m.group(1).translate(_TERM_DIGITS), code)
    if any(c.isdigit() for c in _TERM.sub("QH", code)):
        return None
    if with_year:
        year = _digits(match["y"])
        if not (year.isdigit() and 1945 <= int(year) <= 2099):
            return None
        return f"{serial}/{year}/{code}"
    if "-" not in code:
        return None
    return f"{serial}/{code}"


def find_numbers(text: str) -> list[NumberMatch]:
    """Every document number in ``text``, in order of appearance, canonical and as printed."""
    found: list[NumberMatch] = []
    taken: list[tuple[int, int]] = []
    for pattern in (WITH_YEAR, NO_YEAR):
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            canonical = canonical_of(match)
            if canonical is None:
                continue
            taken.append((match.start(), match.end()))
            found.append(NumberMatch(canonical, match.group(0), match.start(), match.end()))
    return sorted(found, key=lambda m: m.start)


def case_type_of(canonical: str) -> str:
    """The case type a court number states (``DS`` from ``25/2020/DS-ST`` or ``QĐST-DS``)."""
    code = canonical.rsplit("/", 1)[-1]
    left, _, right = code.partition("-")
    if left in CASE_TYPES:
        return left
    if right in CASE_TYPES:
        return right
    return ""
