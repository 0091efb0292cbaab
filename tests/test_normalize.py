import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from pipeline.text.normalize import nfc, normalize_ocr_text


def test_decomposed_vietnamese_becomes_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn Hùng, Thi hành án dân sự")
    assert decomposed != "Nguyễn Văn Hùng, Thi hành án dân sự"
    assert normalize_ocr_text(decomposed) == "Nguyễn Văn Hùng, Thi hành án dân sự"


def test_eth_is_repaired_to_vietnamese_d_with_stroke() -> None:
    assert normalize_ocr_text("QÐ-CCTHADS ðồng") == "QĐ-CCTHADS đồng"
    assert "\u00d0" not in normalize_ocr_text("\u00d0\u00f0")


def test_white_space_is_folded_but_lines_are_kept() -> None:
    assert (
        normalize_ocr_text("  Số:\u00a0 25/2020/DS-ST \t\nngày  15 ")
        == "Số: 25/2020/DS-ST\nngày 15"
    )


@given(st.text())
def test_normalizing_is_idempotent(text: str) -> None:
    once = normalize_ocr_text(text)
    assert normalize_ocr_text(once) == once


@given(st.text())
def test_result_is_nfc_without_eth(text: str) -> None:
    result = normalize_ocr_text(text)
    assert result == nfc(result)
    assert "\u00d0" not in result and "\u00f0" not in result


@given(st.text(alphabet=st.characters(categories=["Ll", "Lu", "Nd"]), min_size=1))
def test_letters_and_digits_survive(word: str) -> None:
    expected = nfc(word).translate({0xD0: 0x110, 0xF0: 0x111, 0x189: 0x110})
    assert normalize_ocr_text(word) == nfc(expected)
