"""The two forms text is indexed and searched in: exact (canonical tone placement) and folded."""

from __future__ import annotations

import re
import unicodedata

from pipeline.text.fold import fold

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
# Old-style placement puts the tone on the second vowel of oa, oe, uy without a final consonant
# ("hoà", "thuỷ"); hoso indexes the new style ("hòa", "thủy"), so both spellings meet.
_PAIRS = ("oa", "oe", "uy")
# Only words ending in o/u plus a vowel with its tone can be spelled the old way: hoà, khoẻ, thuỷ.
_OLD_STYLE = re.compile(r"\w*(?:o[àáảãạèéẻẽẹ]|u[ỳýỷỹỵ])(?!\w)")


def _canonical_tone(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in TONES]
    if len(tones) != 1:  # a Vietnamese syllable has one tone; anything else is left as it is
        return word
    tone = tones[0]
    base = decomposed.replace(tone, "")
    plain = "".join(c for c in base if not unicodedata.combining(c)).lower()
    if not plain.endswith(_PAIRS) or plain.endswith("quy"):  # in "quý" the u belongs to q
        return word
    # Put the tone after the first letter of the final pair (and after its own marks).
    letters = [i for i, c in enumerate(base) if not unicodedata.combining(c)]
    first = letters[-2]
    insert = first + 1
    while insert < len(base) and unicodedata.combining(base[insert]):
        insert += 1
    return unicodedata.normalize("NFC", base[:insert] + tone + base[insert:])


def exact(text: str) -> str:
    """NFC, lower case, one tone placement: the form a query with diacritics is matched in."""
    text = unicodedata.normalize("NFC", text).lower()
    return _OLD_STYLE.sub(lambda m: _canonical_tone(m.group(0)), text)


def folded(text: str) -> str:
    """No tone marks, đ as d, lower case: the form a query without diacritics is matched in."""
    return fold(unicodedata.normalize("NFC", text))
