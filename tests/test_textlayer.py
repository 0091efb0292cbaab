import pytest

from pipeline.imaging.sources import PageFrame
from pipeline.ocr.page import OcrPage, TextLine, Word
from pipeline.pdf.textlayer import content_stream, frame_matrix


def _apply(m: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return (a * x + c * y + e, b * x + d * y + f)


@pytest.mark.parametrize(
    ("rotate", "top_left_user"),
    [
        (0, (0, 842)),
        (90, (0, 0)),
        (180, (595, 0)),
        (270, (595, 842)),
    ],
)
def test_displayed_top_left_maps_to_the_right_user_space_corner(
    rotate: int, top_left_user: tuple[float, float]
) -> None:
    frame = PageFrame(0, 0, 595, 842, rotate)
    _, disp_h = frame.displayed_size
    assert _apply(frame_matrix(frame), 0, disp_h) == pytest.approx(top_left_user)


def test_words_are_invisible_unicode_code_points_at_their_boxes() -> None:
    word = Word("Đồng", (300, 100, 500, 150), 91.0)
    page = OcrPage((TextLine((word,), (300, 100, 500, 150), (140.0, 140.0), 1),), 2480, 3508)
    stream = content_stream(page, PageFrame(0, 0, 595.2, 841.92)).decode()
    assert "3 Tr" in stream
    assert "<01101ED3006E0067>" in stream  # Đ ồ n g as UTF-16 code units
    # x = 300 px at 2480 px per 595.2 pt; baseline y = 841.92 - 140 px * (841.92 / 3508)
    assert "1 0 0 1 72 808.32 Tm" in stream
    assert stream.split("\n")[:4] == ["q", "1 0 0 1 0 0 cm", "BT", "3 Tr"]
    assert stream.rstrip().endswith("ET\nQ")
