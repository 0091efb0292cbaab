"""The vote between Tesseract's and trueocr's readings of a line, and reading quality."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ocr.page import TextLine, Word
from pipeline.ocr.trueocr import LineText
from pipeline.text.lexicon import Lexicon, load
from pipeline.text.quality import (
    Kind,
    QualityBar,
    in_person_name,
    judge_page,
    kind,
    reading_score,
    seal_agreement,
    unsure_share,
)
from pipeline.text.vote import Judge, agreement, settle_dashes, vote_line

LEXICON = Path(__file__).parents[1] / "ocr_models" / "lexicon"


@pytest.fixture(scope="module")
def lx() -> Lexicon:
    return load(LEXICON)


def line(*words: tuple[str, float]) -> list[Word]:
    out, x = [], 0
    for text, confidence in words:
        out.append(Word(text, (x, 0, x + 30 * len(text), 40), confidence))
        x += 30 * len(text) + 15
    return out


def voted(first: list[Word], second: str, lx: Lexicon, sure: float = 97.0) -> str:
    box = (0, 0, first[-1].box[2] if first else 900, 40)
    return " ".join(w.text for w in vote_line(first, LineText(second, sure), box, Judge(lx)))


def test_agreement_keeps_the_words_and_their_boxes(lx: Lexicon) -> None:
    first = line(("Căn", 95), ("cứ", 96), ("Điều", 93))
    out = vote_line(first, LineText("Căn cứ Điều", 98), (0, 0, 400, 40), Judge(lx))
    assert [w.text for w in out] == ["Căn", "cứ", "Điều"]
    assert [w.box for w in out] == [w.box for w in first]
    assert all(w.confidence >= 98 for w in out)


def test_a_known_syllable_beats_a_string_no_syllable_spells(lx: Lexicon) -> None:
    assert voted(line(("Nguyễn", 90), ("Văn", 90), ("Hùug", 70)), "Nguyễn Văn Hùng", lx) == (
        "Nguyễn Văn Hùng"
    )
    assert voted(line(("Nguyễn", 90), ("Văn", 90), ("Hùng", 90)), "Nguyễn Văn Hùug", lx) == (
        "Nguyễn Văn Hùng"
    )


def test_between_two_syllables_the_one_that_fits_its_neighbours_wins(lx: Lexicon) -> None:
    # Tesseract's typical "sơ thầm" against trueocr's "sơ thẩm".
    first = line(("xét", 95), ("xử", 95), ("sơ", 95), ("thầm", 80), ("công", 95), ("khai", 95))
    assert voted(first, "xét xử sơ thẩm công khai", lx) == "xét xử sơ thẩm công khai"
    # ... and trueocr's typical "Điễu" loses to Tesseract's "Điều".
    first = line(("Căn", 95), ("cứ", 95), ("Điều", 90), ("23", 95))
    assert voted(first, "Căn cứ Điễu 23", lx) == "Căn cứ Điều 23"


def test_a_sure_tesseract_word_is_kept_without_strong_evidence(lx: Lexicon) -> None:
    first = line(("bán", 97), ("hàng", 97))
    assert voted(first, "bản hàng", lx) == "bán hàng"


def test_in_a_name_the_engines_certainty_decides_not_the_sentence(lx: Lexicon) -> None:
    # "ông Tuần" (a week) reads better as a sentence than "ông Tuấn"; in a name it is not.
    assert voted(line(("ông", 97), ("Lê", 97), ("Tuần", 85)), "ông Lê Tuấn", lx) == "ông Lê Tuấn"
    assert voted(line(("ông", 97), ("Lê", 97), ("Tuấn", 97)), "ông Lê Tuần", lx) == "ông Lê Tuấn"
    assert in_person_name(["Bị", "đơn:", "Ông", "Lê", "Quang"])
    assert not in_person_name(["Ngân", "hàng", "Thương", "mại"])


def test_numbers_and_codes_go_to_the_surer_engine(lx: Lexicon) -> None:
    assert voted(line(("Số:", 95), ("584/QĐĐ-CTHADS", 52)), "Số: 584/QĐ-CTHADS", lx) == (
        "Số: 584/QĐ-CTHADS"
    )
    assert voted(line(("Số:", 95), ("584/QĐ-CTHADS", 95)), "Số: 584/QĐ-CTHAD", lx) == (
        "Số: 584/QĐ-CTHADS"
    )


def test_words_only_one_engine_saw(lx: Lexicon) -> None:
    # Tesseract dropped a word trueocr read surely: it is put back, in the gap.
    first = line(("thi", 95), ("hành", 95), ("dân", 95), ("sự", 95))
    out = vote_line(first, LineText("thi hành án dân sự", 98), (0, 0, 600, 40), Judge(lx))
    assert [w.text for w in out] == ["thi", "hành", "án", "dân", "sự"]
    assert out[1].box[2] <= out[2].box[0] <= out[2].box[2] <= out[3].box[0]
    # Specks Tesseract read as letters and trueocr did not see are dropped.
    noisy = line(("thi", 95), ("hành", 95), ("ñ", 20), ("án", 95))
    assert voted(noisy, "thi hành án", lx) == "thi hành án"
    # A line only trueocr read is kept when it reads as text.
    assert voted([], "Độc lập - Tự do - Hạnh phúc", lx) == "Độc lập - Tự do - Hạnh phúc"


def test_a_lone_dash_is_written_by_its_width() -> None:
    words = [
        Word("Độc", (0, 0, 60, 40), 95),
        Word("-", (80, 15, 100, 20), 95),  # a letter height wide: en dash? no, 0.5 of 40 = 20
        Word("lập", (120, 0, 180, 40), 95),
        Word("—", (200, 15, 210, 20), 95),  # narrow: a hyphen whatever was read
        Word("-", (230, 15, 270, 20), 95),  # a whole letter height: an em dash
    ]
    assert [w.text for w in settle_dashes(words)] == ["Độc", "-", "lập", "-", "—"]
    wide = [Word("do", (0, 0, 40, 40), 95), Word("-", (60, 15, 84, 20), 95)]
    assert [w.text for w in settle_dashes(wide)] == ["do", "–"]


def test_a_wide_dash_read_unsurely_stays_an_en_dash_against_trueocrs_hyphen(lx: Lexicon) -> None:
    # "Đầu tư – Thương mại": Tesseract unsure of the dash, trueocr sure of its hyphen (it
    # writes every dash so); the ink is 0.6 letter heights wide, an en dash.
    first = [
        Word("tư", (0, 0, 40, 40), 95),
        Word("-", (60, 18, 84, 22), 40),
        Word("Thương", (100, 0, 220, 40), 95),
    ]
    assert voted(first, "tư - Thương", lx) == "tư – Thương"


def test_kinds_of_tokens(lx: Lexicon) -> None:
    assert kind("thẩm", lx) is Kind.KNOWN and kind("THẨM,", lx) is Kind.KNOWN
    assert kind("25/2020/DS-ST", lx) is Kind.OTHER and kind("TNHH", lx) is Kind.OTHER
    assert kind("Hùug", lx) is Kind.GARBAGE and kind("uuánÒ", lx) is Kind.GARBAGE


def test_garbage_read_upside_down_scores_far_below_the_text(lx: Lexicon) -> None:
    right = line(("Căn", 90), ("cứ", 90), ("Luật", 90), ("Thi", 90), ("hành", 90), ("án", 90))
    wrong = line(("uuánÒ", 40), ("juJL", 35), ("3ueoH", 38), ("ạn", 41))
    assert reading_score(right, lx) > 5 * reading_score(wrong, lx)


def test_page_verdicts(lx: Lexicon) -> None:
    text = [
        Word(w, (0, 0, 10, 10), 95)
        for w in ["Căn", "cứ", "Luật", "Thi", "hành", "án", "dân", "sự"] * 4
    ]
    assert judge_page(text, 0.98, 500, lx).verdict == "ok"
    garbage = [Word(w, (0, 0, 10, 10), 45) for w in ["uuánÒ", "juJL", "3ueoH", "ạn"] * 8]
    poor = judge_page(garbage, 0.9, 500, lx)
    assert poor.verdict == "poor" and set(poor.reasons) == {"low_confidence", "not_vietnamese"}
    missed = judge_page(text, 0.3, 500, lx)
    assert missed.verdict == "poor" and missed.reasons == ("text_missed",)
    assert judge_page([], 1.0, 3, lx).verdict == "blank"
    assert judge_page([], 0.0, 800, lx, QualityBar()).verdict == "poor"


def test_a_capital_with_marks_read_as_capitals_takes_the_other_engines_case(lx: Lexicon) -> None:
    # Tesseract's "VỀ quan hệ" / "BỊ cáo": the print is "Về", "Bị" among lower-case words.
    first = line(("VỀ", 93), ("quan", 95), ("hệ", 95))
    assert voted(first, "Về quan hệ", lx) == "Về quan hệ"
    first = line(("BỊ", 91), ("cáo", 95), ("có", 95), ("mặt", 95))
    assert voted(first, "Bị cáo có mặt", lx) == "Bị cáo có mặt"
    # In a heading the capitals are the print's, whatever the other engine says.
    first = line(("TÒA", 95), ("ÁN", 95), ("NHÂN", 95), ("DÂN", 95))
    assert voted(first, "TÒA Án NHÂN DÂN", lx) == "TÒA ÁN NHÂN DÂN"


def test_a_page_whose_signature_block_was_lost_is_flagged_and_noise_is_not(lx: Lexicon) -> None:
    def text_line(words: list[Word], agreement: float = 1.0) -> TextLine:
        return TextLine(tuple(words), (0, 0, 10, 10), (8.0, 8.0), 0, agreement)

    body = [text_line(line(("Căn", 95), ("cứ", 96), ("Luật", 95), ("Thi", 96), ("hành", 95)))] * 4
    lost = [text_line(line(("TM.", 20), ("HÔI", 30), ("+QN-", 10), ("VẾT", 40), ("XỨ", 30)))] * 2
    words = [w for each in body + lost for w in each.words]
    share = unsure_share(body + lost)
    verdict = judge_page(words, 0.95, 500, lx, unsure=share)
    assert share > 0.2 and verdict.verdict == "poor" and "lines_unsure" in verdict.reasons
    scribble = [text_line(line(("x", 5)))]  # a signature read as a letter: a trace, not text
    assert unsure_share(body + scribble) < 0.05
    # Read confidently by both, but as two different strings: the readers disagree.
    garbled = text_line(line(("TM.", 95), ("XÙ", 92), ("XỤ", 93), ("THẨM", 96)), agreement=0.55)
    assert unsure_share([*body, garbled, garbled]) > 0.2


def test_a_line_under_a_dark_seal_counts_only_when_both_readers_agree(lx: Lexicon) -> None:
    def text_line(words: list[Word], agreement: float, under_seal: bool) -> TextLine:
        return TextLine(tuple(words), (0, 0, 10, 10), (8.0, 8.0), 0, agreement, under_seal)

    body = [text_line(line(("Căn", 95), ("cứ", 96), ("Luật", 95)), 0.8, False)] * 8
    title = line(("THẨM", 90), ("HẠN", 80), ("CHỦ", 90), ("PHIÊN", 90), ("TÒA", 90))
    # The same words and the same agreement: only the seal over the line makes it doubtful.
    assert seal_agreement([*body, text_line(title, 0.8, False)]) == 1.0
    doubtful = [*body, text_line(title, 0.8, True)]
    assert seal_agreement(doubtful) == 0.8
    words = [w for each in doubtful for w in each.words]
    verdict = judge_page(words, 0.95, 500, lx, unsure=unsure_share(doubtful), sealed=0.8)
    assert verdict.verdict == "doubtful" and verdict.reasons == ("seal_over_text",)
    # Both readers read the title under the seal alike: nothing to flag.
    agreed = judge_page(words, 0.95, 500, lx, sealed=seal_agreement([text_line(title, 0.97, True)]))
    assert agreed.verdict == "ok"
    # Tesseract read the name under the seal surely; trueocr stumbled: no doubt.
    sure = line(("Nguyễn", 95), ("Thị", 96), ("Dung", 94))
    assert seal_agreement([text_line(sure, 0.8, True)]) == 1.0
    # A speck of the seal read as a letter is no line of text.
    assert seal_agreement([text_line(line(("m", 0)), 0.2, True)]) == 1.0


def test_agreement_of_the_two_readings(lx: Lexicon) -> None:
    same = line(("Căn", 95), ("cứ", 96))
    assert agreement(same, LineText("Căn cứ", 97)) == 1.0
    assert agreement(same, LineText("XỤ THĂMếHÂN", 90)) < 0.3
    assert agreement([], LineText("", 0)) == 1.0
