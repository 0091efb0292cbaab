"""Fold Vietnamese text to bare lower-case letters, one character for one character.

Rules that look for labels ("Người phải thi hành án:") and numbers must tolerate the tone marks
OCR gets wrong (thẩm/thầm, đơn/don, Đ read as D or Ð). Matching on folded text does that, and
because folding never changes the length of the string, a match's offsets in the folded text are
its offsets in the original too, so the printed words can be cut out unchanged.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters that have no decomposition but fold all the same.
_SPECIAL = {"đ": "d", "Đ": "d", "Ð": "d", "ð": "d", "Ɖ": "d"}


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x00C0, 0x2000):
        char = chr(code)
        if char in _SPECIAL:
            table[code] = _SPECIAL[char]
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
        )
        lowered = base.lower()
        if len(lowered) == 1 and lowered != char:
            table[code] = lowered
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code).lower()
    return table


def fold(text: str) -> str:
    """``text`` without diacritics, lower-cased, đ as d; exactly as long as ``text``.

    Expects NFC input (the stored form): a decomposed character's combining marks would each
    stay one character long, so the length still matches, but they would not be removed.
    """
    folded = text.translate(_table())
    return folded if len(folded) == len(text) else _slow_fold(text)


def _slow_fold(text: str) -> str:
    """Character by character, for the rare letter whose lower case is two characters."""
    out = []
    for char in text:
        mapped = char.translate(_table())
        out.append(mapped if len(mapped) == 1 else char)
    return "".join(out)
