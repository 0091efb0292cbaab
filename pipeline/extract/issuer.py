"""The issuing body's name, from the upper-case lines of the header's left block.

The block names the body with its place, often under its parent ("CỤC THI HÀNH ÁN DÂN SỰ TỈNH
BẮC GIANG" / "CHI CỤC THI HÀNH ÁN DÂN SỰ" / "HUYỆN TÂN YÊN"), and the name stored is the body
in sentence case, located down to its province: "Chi cục Thi hành án dân sự huyện Tân Yên, tỉnh
Bắc Giang". Every place is put back to its known spelling from the gazetteer (OCR reads TỈNH as
TÍNH, HỒ as HÒ), a body whose own lines stop at a district gets the province from its parent's
line or, failing that, from the gazetteer, and a body of the 2025 reorganisation named only by
its area ("PHÒNG THI HÀNH ÁN DÂN SỰ KHU VỰC 5") is joined to its parent body with a dash, as
the offices write it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.text.fold import fold
from pipeline.text.places import Place, gazetteer

BODY_WORDS = ("tòa án nhân dân", "thi hành án dân sự", "chi cục", "cục", "phòng", "khu vực")
UNITS = ("thành phố", "thị xã", "thị trấn", "khu vực", "huyện", "tỉnh", "quận", "xã", "phường")
PLACE_UNITS = ("thành phố", "thị xã", "huyện", "tỉnh", "quận")
# "huyện Lục Nam tỉnh Bắc Giang" printed on one line takes a comma before the province.
_DISTRICT_THEN_PROVINCE = re.compile(
    r"(\S) (huyện|quận|thị xã|thành phố) ([^,]+?) (tỉnh|thành phố) "
)
_DASHED = re.compile(r"\s-\s[^\W\d_][^,-]*")
_STRAY_QUOTE = re.compile(r"(?<!\w)'|'(?!\w)")
_NOISE = re.compile(r"[^\w\s\-–']")  # names keep their apostrophe: M'Đrắk
_UNIT_AT = re.compile(
    r"\b(thanh pho|thi xa|thi tran|khu vuc|huyen|tinh|quan)\s+"
    r"(.+?)(?=\s*,|\s+-\s|\s+(?:thanh pho|thi xa|huyen|tinh|quan)\s|$)"
)


def clean(line: str) -> str:
    """A header line without OCR's stray marks: letters, digits, spaces and dashes only."""
    kept = _STRAY_QUOTE.sub(" ", _NOISE.sub(" ", line))
    return " ".join(kept.split()).strip(" -–")


def sentence_case(upper: str) -> str:
    """Vietnamese sentence case for an issuing body: units lower, place names capitalised.

    Unit words are recognised folded and written correctly (OCR reads "TỈNH" as "TÍNH"), and
    the words of a body's name are put back where OCR damaged their marks ("nhân dẫn").
    """
    words = upper.lower().split()
    folded_units = {fold(unit): unit for unit in UNITS}
    out: list[str] = []
    place = False
    i = 0

    def is_unit(unit: str, printed: str, at: int) -> bool:
        # A unit word read with other marks ("TÍNH") is one only if a place of that kind
        # follows: "TỊNH" in "HUYỆN SƠN TỊNH" is part of a name.
        if printed == unit:
            return True
        if unit not in PLACE_UNITS:
            return False
        return any(
            gazetteer().find(unit, " ".join(words[at : at + n])) is not None for n in (1, 2, 3)
        )

    while i < len(words):
        pair = " ".join(words[i : i + 2])
        unit = folded_units.get(fold(pair))
        if unit is not None and " " in pair and is_unit(unit, pair, i + 2):
            out.append(unit)
            place, i = True, i + 2
            continue
        word = words[i]
        unit = folded_units.get(fold(word))
        if unit is not None and (i > 0 or word != "xã") and is_unit(unit, word, i + 1):
            out.append(unit)
            place = True
        elif place and word[:1].isalpha():
            out.append(word[:1].upper() + word[1:])
        else:
            out.append(word)
        i += 1
    text = " ".join(out)
    folded = fold(text)
    for phrase in BODY_WORDS:  # OCR's "nhân dẫn" is still "nhân dân"
        for match in re.finditer(rf"\b{fold(phrase)}\b", folded):
            text = text[: match.start()] + phrase + text[match.end() :]
    text = re.sub(r"\b(cục|phòng|chi cục) thi hành án dân sự", r"\1 Thi hành án dân sự", text)
    text = re.sub(r"^thi hành án dân sự", "Thi hành án dân sự", text)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    unit: str
    place: Place | None


def _places(text: str) -> list[_Span]:
    """Each "<unit> <name>" in a sentence-cased body name, with the place it names."""
    found = gazetteer()
    spans = []
    for match in _UNIT_AT.finditer(fold(text)):
        unit = text[match.start(1) : match.end(1)]
        end = match.end(2)
        place = found.find(unit, text[match.start(2) : end]) if unit in PLACE_UNITS else None
        dashed = _DASHED.match(text, end)
        if dashed and unit in PLACE_UNITS:  # "thành phố Phan Rang - Tháp Chàm" is one name
            longer = found.find(unit, text[match.start(2) : dashed.end()])
            if longer is not None:
                place, end = longer, dashed.end()
        spans.append(_Span(match.start(2), end, unit, place))
    return spans


def _dash_province(text: str) -> bool:
    """Whether the name ends " - <province>", as the 2025 courts name themselves."""
    tail = re.search(r"\s-\s([^-,]+)$", text)
    if tail is None:
        return False
    place = gazetteer().find("tỉnh", tail.group(1)) or gazetteer().find("thành phố", tail.group(1))
    return place is not None and place.level == "province"


def _respell(text: str, spans: list[_Span]) -> str:
    """Put each known place's own spelling in; a province-level city is "Thành phố X"."""
    for span in reversed(spans):
        if span.place is None:
            continue
        text = text[: span.start] + span.place.name + text[span.end :]
        if span.place.level == "province" and span.unit == "thành phố":
            unit_at = span.start - len("thành phố ")
            text = text[:unit_at] + "Thành phố " + text[span.start :]
    return text


def _province_text(place: Place) -> str:
    return f"Thành phố {place.name}" if place.unit == "thành phố" else f"tỉnh {place.name}"


def name_body(body: Sequence[str], parents: Sequence[str]) -> str:
    """The issuing body's name from its own lines and the parent lines above them."""
    name = sentence_case(" ".join(clean(line) for line in body if clean(line)))
    name = re.sub(
        r"(\S) (huyện|quận|thị xã|thành phố) ([^,]+?) (tỉnh|thành phố) ",
        r"\1 \2 \3, \4 ",
        name + " ",
    ).strip()
    spans = _places(name)
    name = _respell(name, spans)
    spans = _places(name)
    last = spans[-1] if spans else None
    if (last is not None and last.place is not None and last.place.level == "province") or (
        _dash_province(name)
    ):
        return name  # it names its province itself ("Tòa án nhân dân khu vực 1 - Tây Ninh")
    parent_names = [sentence_case(clean(line)) for line in parents if clean(line)]
    if last is not None and last.unit == "khu vực" and parent_names:
        # "Phòng Thi hành án dân sự khu vực 5" under "Thi hành án dân sự tỉnh Bắc Giang".
        parent = parent_names[-1]
        parent = _respell(parent, _places(parent))
        return f"{name} - {parent}"
    for parent in reversed(parent_names):
        for span in reversed(_places(parent)):
            if span.place is not None and span.place.level == "province":
                return f"{name}, {_province_text(span.place)}"
    if last is not None and last.place is not None and last.place.level == "district":
        province = gazetteer().province_of(last.place)
        if province is not None:
            return f"{name}, {_province_text(province)}"
    return name
