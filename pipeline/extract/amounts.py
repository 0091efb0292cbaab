"""Sums of money in đồng: ``150.000.000 đồng``, ``2,250,000 đ``, ``300.000 VNĐ``.

Read on folded text so that ``dong`` (OCR's damaged ``đồng``) still counts. The amount in words
that usually follows in brackets is not parsed: the figure is what the document states. Courts
also print the words before the unit, "72.475.000 (bảy mươi hai triệu ...) đồng", and that is
read too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The amount in words may stand between the figure and its unit: "300.000 (ba trăm nghìn) đồng".
AMOUNT = re.compile(
    r"(?<![\d.,])(?P<value>\d{1,3}(?:[.,]\s?\d{3})+|\d{4,})"
    r"(?:\s{0,2}\([^()\d]{3,200}\))?\s{0,2}(?:dong|vnd|d)(?![a-z])"
)


@dataclass(frozen=True)
class AmountMatch:
    """An amount found in text and where it stands."""

    value: int
    start: int
    end: int


def find_amounts(folded: str) -> list[AmountMatch]:
    """Every sum of money in folded text, in order of appearance."""
    found = []
    for match in AMOUNT.finditer(folded):
        digits = re.sub(r"[^\d]", "", match["value"])
        if digits and int(digits) > 0:
            found.append(AmountMatch(int(digits), match.start(), match.end()))
    return found
