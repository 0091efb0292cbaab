"""Number, date and amount parsers, and folding: examples from the domain file and properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.extract.amounts import find_amounts
from pipeline.extract.dates import find_dates
from pipeline.extract.numbers import (
    CASE_TYPES,
    LEVELS,
    canonical_number,
    case_type_of,
    find_numbers,
)
from pipeline.text.fold import fold


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("25/2020/DS-ST", "25/2020/DS-ST"),
        ("15/2018/DSST", "15/2018/DS-ST"),
        ("231/2025/HSST", "231/2025/HS-ST"),
        ("63 /2017/ DS - GĐT", "63/2017/DS-GĐT"),
        ("153/2023/TLST- KDTM", "153/2023/TLST-KDTM"),
        ("21/2017/TLPT–LĐ", "21/2017/TLPT-LĐ"),
        ("472A/2019/QĐ-PT", "472A/2019/QĐ-PT"),
        ("76/2025/HNGD-ST", "76/2025/HNGĐ-ST"),
        ("1161/2025/QDST-DS", "1161/2025/QĐST-DS"),
        ("1723/2025/QÐST-HNGÐ", "1723/2025/QĐST-HNGĐ"),
        ("152/2021/QĐXXST-DS", "152/2021/QĐXXST-DS"),
        ("06/2023/QĐCNHG-DS", "06/2023/QĐCNHG-DS"),
        ("l5/2O18/DS-ST", "15/2018/DS-ST"),
        ("215/QĐ-CCTHADS", "215/QĐ-CCTHADS"),
        ("218/QD-CTHADS", "218/QĐ-CTHADS"),
        ("46/QĐ—THADS", "46/QĐ-THADS"),
        ("66/CCTHADS-VP", "66/CCTHADS-VP"),
        ("30/ TB - THADS", "30/TB-THADS"),
        ("326/2016/UBTVQH14", "326/2016/UBTVQH14"),
        ("326/2016/UBTVQHI4", "326/2016/UBTVQH14"),
        ("92/2015/QH13", "92/2015/QH13"),
    ],
)
def test_printed_variants_and_ocr_damage_give_the_canonical_number(
    printed: str, canonical: str
) -> None:
    assert canonical_number(printed) == canonical


@pytest.mark.parametrize("text", ["15/6/2020", "Điều 3", "2020/DS", "abc", "25/1850/DS-ST"])
def test_things_that_are_not_numbers(text: str) -> None:
    assert canonical_number(text) is None


def test_numbers_are_found_in_order_with_their_printed_form() -> None:
    text = "Căn cứ Bản án số 15/2018/DSST ngày 3/4/2018; Quyết định số 215/QĐ-CCTHADS;"
    found = find_numbers(text)
    assert [m.canonical for m in found] == ["15/2018/DS-ST", "215/QĐ-CCTHADS"]
    assert found[0].printed == "15/2018/DSST"
    assert text[found[1].start : found[1].end] == "215/QĐ-CCTHADS"


def test_case_type_of() -> None:
    assert case_type_of("25/2020/DS-ST") == "DS"
    assert case_type_of("1723/2025/QĐST-HNGĐ") == "HNGĐ"
    assert case_type_of("215/QĐ-CCTHADS") == ""


_SERIAL = st.tuples(st.integers(1, 9999), st.sampled_from(["", "", "A", "B"])).map(
    lambda t: f"{t[0]:02d}{t[1]}"
)
_JUDGMENT = st.tuples(
    _SERIAL, st.integers(1990, 2030), st.sampled_from(CASE_TYPES), st.sampled_from(LEVELS)
).map(lambda t: f"{t[0]}/{t[1]}/{t[2]}-{t[3]}")
_DECISION = st.tuples(
    _SERIAL,
    st.integers(1990, 2030),
    st.sampled_from(["QĐST", "QĐPT", "QĐXXST", "TLST", "TLPT", "QĐCNHG"]),
    st.sampled_from(CASE_TYPES),
).map(lambda t: f"{t[0]}/{t[1]}/{t[2]}-{t[3]}")
_ENFORCEMENT = st.tuples(
    _SERIAL, st.sampled_from(["QĐ", "TB"]), st.sampled_from(["CCTHADS", "CTHADS", "THADS", "THA"])
).map(lambda t: f"{t[0]}/{t[1]}-{t[2]}")
_RESOLUTION = st.tuples(
    _SERIAL, st.integers(1990, 2030), st.sampled_from(["UBTVQH", "QH"]), st.integers(10, 16)
).map(lambda t: f"{t[0]}/{t[1]}/{t[2]}{t[3]}")
NUMBERS = st.one_of(_JUDGMENT, _DECISION, _ENFORCEMENT, _RESOLUTION)


@st.composite
def printed_forms(draw: st.DrawFn) -> tuple[str, str]:
    """A canonical number and one way it may have been printed and OCR'd."""
    canonical = draw(NUMBERS)
    text = canonical
    if draw(st.booleans()):
        text = text.replace("/", draw(st.sampled_from([" /", "/ ", " / "])))
    dash = draw(st.sampled_from(["-", "–", "—", " - ", "- "]))
    text = text.replace("-", dash)
    if draw(st.booleans()):
        text = text.replace("Đ", draw(st.sampled_from(["D", "Ð"])))
    serial, _, rest = text.partition("/")
    if draw(st.booleans()):
        serial = serial.replace("1", "l").replace("0", "O")
    if "QH1" in rest and draw(st.booleans()):
        rest = rest.replace("QH1", "QHI")  # OCR's UBTVQHI4 (domain file)
    return canonical, f"{serial}/{rest}"


@given(printed_forms())
def test_every_printed_form_parses_back_to_the_canonical_number(pair: tuple[str, str]) -> None:
    canonical, printed = pair
    assert canonical_number(printed) == canonical
    found = find_numbers(f"Căn cứ số {printed}; ngày 1 tháng 2")
    assert [m.canonical for m in found] == [canonical]


@given(NUMBERS)
def test_canonical_numbers_are_fixed_points(canonical: str) -> None:
    assert canonical_number(canonical) == canonical


@given(st.dates(dt.date(1950, 1, 1), dt.date(2099, 12, 31)), st.integers(0, 3))
def test_dates_in_every_printed_style(date: dt.date, style: int) -> None:
    d, m, y = date.day, date.month, date.year
    printed = [
        f"ngày {d} tháng {m} năm {y}",
        f"Ngày: {d}-{m}-{y}",
        f"{d:02d}/{m:02d}/{y}",
        f"Ngày {d} - {m} - {y}",
    ][style]
    found = find_dates(fold(f"Bắc Giang, {printed}."))
    assert [f.date for f in found] == [date]


def test_impossible_dates_are_skipped() -> None:
    assert find_dates(fold("ngày 31 tháng 2 năm 2020")) == []


def test_ocr_damaged_date_words_still_read() -> None:
    (found,) = find_dates(fold("ngay l5 thàng 6 nắm 2O20"))
    assert found.date == dt.date(2020, 6, 15)


@given(st.integers(1_000, 10**12))
def test_amounts_with_thousands_dots(value: int) -> None:
    printed = f"{value:,}".replace(",", ".")
    (found,) = find_amounts(fold(f"số tiền {printed} đồng (bằng chữ)"))
    assert found.value == value


def test_amount_spellings() -> None:
    text = fold("150.000.000 đồng, 2,250,000 đ và 300.000 VNĐ; năm 2017 đã xử")
    assert [a.value for a in find_amounts(text)] == [150_000_000, 2_250_000, 300_000]


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x1EFF), max_size=60))
def test_folding_keeps_the_length(text: str) -> None:
    import unicodedata

    text = unicodedata.normalize("NFC", text)
    assert len(fold(text)) == len(text)


def test_folding_vietnamese() -> None:
    assert fold("Nguyễn Văn Hùng ĐỒNG Ðạt") == "nguyen van hung dong dat"
