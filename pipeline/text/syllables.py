"""Whether a folded word can be a Vietnamese syllable.

OCR damage mostly turns a syllable into a letter string no Vietnamese syllable spells ("Hùug",
"Ngayễn", "rnạnh"), so the shape alone separates damaged words from real ones without a
dictionary: an optional initial consonant and one of the rhymes below, with tone and vowel marks
removed (ă, â -> a; ê -> e; ô, ơ -> o; ư -> u; đ -> d). Search keeps only the words that fail
this test as candidates for fuzzy matching, so a query for "hung" may reach "huug" but is never
widened to the real, different name "hang".
"""

from __future__ import annotations

import functools
import re

_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
_RHYME_TABLE = """
a ac ach ai am an ang anh ao ap at au ay
e ec ech em en eng enh eo ep et eu
i ia ich iec iem ien ieng iep iet ieu im in inh ip it iu
o oa oac oach oai oam oan oang oanh oao oap oat oay oc oe oem oen oeo oet oi om on ong ooc oong
op ot
u ua uan uang uat uay uc ue uech uen uenh uet ui um un ung uo uoc uoi uom uon uong uop uot uou
up ut uu uy uya uych uyen uyet uynh uyp uyt uyu
y ych yem yen yet yeu ynh yt yu
"""
_RHYMES = _RHYME_TABLE.split()
_SYLLABLE = re.compile(f"(?:{_ONSETS})?(?:{'|'.join(sorted(_RHYMES, key=len, reverse=True))})")


@functools.lru_cache(maxsize=65536)
def is_syllable(folded_word: str) -> bool:
    """True when ``folded_word`` (lower case, no marks) is spelled like a Vietnamese syllable."""
    return _SYLLABLE.fullmatch(folded_word) is not None
