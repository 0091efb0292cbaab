"""Vietnamese post-correction: fixes marks in context, never touches what it cannot justify."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ocr.page import OcrPage, TextLine, Word
from pipeline.settings import REPO_ROOT
from pipeline.text import lexicon
from pipeline.text.correct import CorrectorOptions, correct_page
from pipeline.text.lexicon import CONFUSABLE_VOWELS, Lexicon, skeleton

LEXICON_DIR = REPO_ROOT / "ocr_models" / "lexicon"


@pytest.fixture(scope="module")
def lx() -> Lexicon:
    if not lexicon.installed(LEXICON_DIR):
        pytest.fail("The lexicon is not installed; `make test` installs it (make models).")
    return lexicon.load(LEXICON_DIR)


def page_of(*words: tuple[str, float]) -> OcrPage:
    items = tuple(
        Word(text, (i * 100, 0, i * 100 + 90, 40), conf) for i, (text, conf) in enumerate(words)
    )
    return OcrPage((TextLine(items, (0, 0, 100 * len(words), 40), (35.0, 35.0), 1),), 2000, 100)


def test_a_wrong_tone_mark_is_fixed_in_context_with_case_kept(lx: Lexicon) -> None:
    page = page_of(("CHI", 95), ("CỤC", 95), ("THỊ", 60), ("HÀNH", 95), ("ÁN", 95))
    fixed, changes = correct_page(page, lx)
    assert fixed.text == "CHI CỤC THI HÀNH ÁN"
    (change,) = changes
    assert (change.before, change.after, change.box) == ("THỊ", "THI", (200, 0, 290, 40))


def test_punctuation_around_a_word_is_kept(lx: Lexicon) -> None:
    page = page_of(("cơ", 95), ("quan", 95), ("(thị", 50), ("hành", 95), ("án)", 95))
    fixed, _ = correct_page(page, lx)
    assert fixed.text == "cơ quan (thi hành án)"


def test_confident_or_contextless_words_are_left_alone(lx: Lexicon) -> None:
    confident = page_of(("cơ", 95), ("quan", 95), ("thị", 99.5), ("hành", 95))
    assert correct_page(confident, lx)[1] == []
    alone = page_of(("12.", 95), ("thị;", 40), ("3", 95))
    assert correct_page(alone, lx)[1] == []


def test_neighbours_read_wrong_together_are_put_right_together(lx: Lexicon) -> None:
    # "Cổ phần" read "Cô phân": word by word, each looks fine beside its wrong neighbour; read
    # as a run they are plainly wrong.
    page = page_of(("Công", 97), ("ty", 97), ("Cô", 60), ("phân", 60), ("đầu", 97), ("tư", 97))
    fixed, changes = correct_page(page, lx)
    assert fixed.text == "Công ty Cổ phần đầu tư"
    assert [(c.before, c.after) for c in changes] == [("Cô", "Cổ"), ("phân", "phần")]


def test_a_sure_word_is_changed_only_against_overwhelming_context(lx: Lexicon) -> None:
    # Both recognisers read the hook of "Cổ" as a plain circumflex, surely: the phrase
    # "Thương mại cổ phần" outweighs their certainty.
    words = ("Ngân", "hàng", "Thương", "mại", "Cô", "phần", "Quốc", "Dân")
    fixed, _ = correct_page(page_of(*((w, 96.0) for w in words)), lx)
    assert fixed.text == "Ngân hàng Thương mại Cổ phần Quốc Dân"


def test_a_sure_word_that_fits_is_not_changed_for_a_likelier_one(lx: Lexicon) -> None:
    page = page_of(("bà", 96), ("Nguyễn", 96), ("Thị", 96), ("Lan", 96), ("có", 96), ("mặt", 96))
    assert correct_page(page, lx)[1] == []


def test_correct_words_stay_correct(lx: Lexicon) -> None:
    text = "Chấp hành viên có trách nhiệm tổ chức thi hành quyết định này theo quy định"
    page = page_of(*((w, 70.0) for w in text.split()))
    fixed, changes = correct_page(page, lx)
    assert changes == [] and fixed.text == text


SYLLABLES = [
    "thi",
    "thị",
    "hành",
    "án",
    "dân",
    "sự",
    "tỉnh",
    "tính",
    "đơn",
    "don",
    "kể",
    "kế",
    "từ",
    "ngày",
    "tháng",
    "năm",
    "bản",
    "bán",
    "thẩm",
    "thầm",
    "ông",
    "bà",
    "của",
]


def one_confusable_vowel_apart(old: str, new: str) -> bool:
    """Marks may change freely; at most one letter, and only a vowel Tesseract confuses."""
    if old == new:
        return True
    if len(old) != len(new):
        return False
    diffs = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    return len(diffs) == 1 and diffs[0][1] in CONFUSABLE_VOWELS.get(diffs[0][0], "")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SYLLABLES), st.floats(0, 100)), min_size=1, max_size=12))
def test_corrections_change_marks_and_confusable_vowels_only(
    lx: Lexicon, words: list[tuple[str, float]]
) -> None:
    page = page_of(*words)
    fixed, changes = correct_page(page, lx)
    before = [w for line in page.lines for w in line.words]
    after = [w for line in fixed.lines for w in line.words]
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        assert one_confusable_vowel_apart(skeleton(old.text), skeleton(new.text))
        if old.confidence > CorrectorOptions().max_confidence:
            assert old.text == new.text
    assert len(changes) == sum(o.text != n.text for o, n in zip(before, after, strict=True))


@given(
    st.text(
        alphabet=st.sampled_from("aăâeêioôơuưyđAĂÂEÊIOÔƠUƯYĐàáảãạầấẩẫậềếểễệồốổỗộờớởỡợừứửữựhnmtg"),
        max_size=8,
    )
)
def test_skeleton_drops_every_mark(text: str) -> None:
    bare = skeleton(unicodedata.normalize("NFC", text))
    assert bare == bare.lower() and "đ" not in bare
    assert all(unicodedata.category(ch) != "Mn" for ch in unicodedata.normalize("NFD", bare))
    assert skeleton(bare) == bare


def test_numbers_are_context_and_a_confused_vowel_is_fixed(lx: Lexicon) -> None:
    page = page_of(("ngày", 96), ("21", 96), ("thúng", 89), ("6", 96), ("năm", 96), ("2017", 96))
    fixed, changes = correct_page(page, lx)
    assert fixed.text == "ngày 21 tháng 6 năm 2017"
    assert [(c.before, c.after) for c in changes] == [("thúng", "tháng")]


def test_province_names_settle_tinh(lx: Lexicon) -> None:
    page = page_of(("CỤC", 95), ("THADS", 95), ("TÍNH", 52), ("PHÚ", 95), ("THỌ", 95))
    fixed, _ = correct_page(page, lx)
    assert fixed.text == "CỤC THADS TỈNH PHÚ THỌ"
