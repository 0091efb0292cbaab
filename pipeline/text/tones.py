"""One tone placement for syllables that are written two ways (hoà and hòa, thuỷ and thủy).

Both placements are in use in the same case files. They are one syllable, so text is matched,
indexed and counted in one form (the new style, the tone on the first vowel of oa, oe, uy
without a final consonant), while the printed text is kept as printed.
"""

from __future__ import annotations

import re
import unicodedata

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
# Old-style placement puts the tone on the second vowel of oa, oe, uy without a final consonant
# ("hoà", "thuỷ"); hoso indexes the new style ("hòa", "thủy"), so both spellings meet.
_PAIRS = ("oa", "oe", "uy")
# Only words ending in o/u plus a vowel with its tone can be spelled the old way: hoà, khoẻ, thuỷ.
_OLD_STYLE = re.compile(r"\w*(?:o[àáảãạèéẻẽẹ]|u[ỳýỷỹỵ])(?!\w)")


def canonical_tone(word: str) -> str:
    """One syllable in the new-style placement; a word that is not one is returned as it is."""
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


def one_placement(text: str) -> str:
    """``text`` with every old-style placement moved to the new style ("hoà" -> "hòa")."""
    return _OLD_STYLE.sub(lambda m: canonical_tone(m.group(0)), text)
