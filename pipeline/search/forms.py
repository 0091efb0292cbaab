"""The two forms text is indexed and searched in: exact (canonical tone placement) and folded."""

from __future__ import annotations

import itertools
import re
import unicodedata

from pipeline.text.fold import fold
from pipeline.text.tones import one_placement

_TOKEN = re.compile(r"\w+")


def exact(text: str) -> str:
    """NFC, lower case, one tone placement: the form a query with diacritics is matched in."""
    return one_placement(unicodedata.normalize("NFC", text).lower())


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
