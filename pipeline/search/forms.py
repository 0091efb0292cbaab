"""The two forms text is indexed and searched in: exact (canonical tone placement) and folded."""

from __future__ import annotations

import itertools
import re
import unicodedata

from pipeline.text.fold import fold

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
# Old-style placement puts the tone on the second vowel of oa, oe, uy without a final consonant
# ("hoà", "thuỷ"); hoso indexes the new style ("hòa", "thủy"), so both spellings meet.
_PAIRS = ("oa", "oe", "uy")
# Only words ending in o/u plus a vowel with its tone can be spelled the old way: hoà, khoẻ, thuỷ.
_TOKEN = re.compile(r"\w+")
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


def pair_tokens(words: list[str] | tuple[str, ...]) -> list[str]:
    """Neighbouring words joined into one token ("vu0minh"), for the index's ``pairs`` column.

    A phrase of common words ("vũ minh nam": "nam" is also "năm", on every dated page) makes
    the full-text engine walk every row holding each word; its pairs are rare, so asking for them
    alongside the phrase narrows the walk to a few rows. A pair only ever narrows a phrase match
    that is still checked, so two pairs that happen to join to the same token cost time, never
    a wrong result. Pairs with a number in them are left out.
    """
    return [a + "0" + b for a, b in itertools.pairwise(words) if a.isalpha() and b.isalpha()]


def pairs(folded_text: str) -> str:
    """The pair tokens of a folded text, space-separated, as the ``pairs`` column holds them."""
    return " ".join(pair_tokens(_TOKEN.findall(folded_text)))
