"""Line layout: column cuts, reading order, the ink a reading covers, a second ink."""

from __future__ import annotations

import itertools

import numpy as np

from pipeline.ocr import layout
from pipeline.ocr.page import spread_words


def _mask(width: int, height: int, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    mask = np.zeros((height, width), dtype=np.uint8)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = 1
    return mask


def test_a_line_box_across_both_header_columns_is_cut_at_the_gap() -> None:
    # "CỤC THI HÀNH ÁN ...   CỘNG HÒA XÃ HỘI ..." found as one line: ink, a wide gap, ink.
    mask = _mask(2000, 200, [(100, 50, 800, 90), (1100, 50, 1900, 90)])
    assert layout.split_columns(mask, [(90, 45, 1910, 95)]) == [
        (100, 45, 800, 95),
        (1100, 45, 1900, 95),
    ]


def test_word_spaces_do_not_cut_a_line() -> None:
    words = [(100 + 150 * k, 50, 230 + 150 * k, 90) for k in range(10)]  # 20-pixel gaps
    mask = _mask(2000, 200, words)
    assert layout.split_columns(mask, [(90, 45, 1700, 95)]) == [(100, 45, 1580, 95)]


def test_the_header_is_read_left_block_first_then_right_block_then_the_body() -> None:
    h = 40
    left = [(200, 100, 900, 100 + h), (250, 150, 850, 150 + h), (300, 200, 800, 200 + h)]
    right = [(1100, 100, 2100, 100 + h), (1300, 150, 1900, 150 + h), (1200, 260, 2100, 260 + h)]
    title = [(900, 400, 1400, 400 + h)]
    body = [(200, 480 + 50 * k, 2100, 480 + 50 * k + h) for k in range(3)]
    boxes = right + body + left + title  # any order in, reading order out
    ordered = [boxes[i] for i in layout.reading_order(boxes)]
    assert ordered == left + right + title + body
    blocks = layout.blocks(boxes, layout.reading_order(boxes))
    assert blocks[0] == blocks[1] == blocks[2]  # the left block is one block
    assert blocks[3] != blocks[2]  # the right column starts another


def test_signature_block_beside_the_recipients_is_read_after_them() -> None:
    h = 40
    recipients = [(200, 100 + 50 * k, 800, 100 + 50 * k + h) for k in range(4)]
    signer = [(1300, 100, 2000, 100 + h), (1400, 400, 1900, 400 + h)]
    boxes = signer + recipients
    assert [boxes[i] for i in layout.reading_order(boxes)] == recipients + signer


def test_text_ink_counts_letters_inside_lines_and_ignores_large_marks() -> None:
    letters = [(100 + 30 * k, 100, 120 + 30 * k, 130) for k in range(20)]
    unread = [(100 + 30 * k, 300, 120 + 30 * k, 330) for k in range(10)]
    seal = [(1000, 100, 1400, 500)]  # far taller than a line: not a letter
    mask = _mask(2000, 800, letters + unread + seal)
    covered, total = layout.text_ink(mask, [(90, 95, 720, 135)], unit=40)
    assert (covered, total) == (20, 30)


def test_a_grey_seal_over_black_print_is_taken_out_and_black_print_stays() -> None:
    gray = np.full((200, 1000), 255, dtype=np.uint8)
    gray[60:100, 100:600] = 0  # black print
    gray[40:140, 300:900] = np.where(gray[40:140, 300:900] == 0, 0, 120)  # a grey seal over it
    cleaned, changed = layout.without_second_ink(gray, [(100, 60, 900, 100)])
    assert changed == [0]
    assert (cleaned[60:100, 100:600] == 0).all() and (cleaned[60:100, 700:900] == 255).all()
    clean_line = np.full((200, 1000), 255, dtype=np.uint8)
    clean_line[60:100, 100:600] = 0
    same, none = layout.without_second_ink(clean_line, [(100, 60, 600, 100)])
    assert none == [] and same is clean_line


def test_spread_words_share_the_line_by_length() -> None:
    words = spread_words("Số: 12/QĐ", (0, 0, 900, 30), 90.0)
    assert [w.text for w in words] == ["Số:", "12/QĐ"]
    assert words[0].box == (0, 0, 300, 30) and words[1].box[2] == 900


def _seal(gray: np.ndarray, cx: int, cy: int, r: int, tone: int) -> None:
    """Draw a seal: two rings, lettering-like blobs and a star, in ``tone``, under black print."""
    import cv2

    layer = np.full_like(gray, 255)
    cv2.circle(layer, (cx, cy), r, tone, 8)
    cv2.circle(layer, (cx, cy), int(0.8 * r), tone, 3)
    for k in range(12):
        angle = 2 * np.pi * k / 12
        x, y = int(cx + 0.9 * r * np.cos(angle)), int(cy + 0.9 * r * np.sin(angle))
        cv2.rectangle(layer, (x - 6, y - 6), (x + 6, y + 6), tone, -1)
    cv2.circle(layer, (cx, cy), r // 5, tone, -1)
    np.minimum(gray, layer, out=gray)


def test_a_grey_seal_is_taken_out_whole_and_the_print_under_it_stays() -> None:
    gray = np.full((1400, 1000), 255, dtype=np.uint8)
    gray[480:520, 200:800] = 0  # the signer's title, black, across the seal
    _seal(gray, 500, 600, 110, tone=110)
    cleaned, seals = layout.without_rings(gray)
    assert len(seals) == 1 and not seals[0].one_ink
    assert (cleaned[480:520, 200:800] == 0).all()  # every pixel of the print kept
    assert (cleaned[530:720, 380:620] == 255).all()  # rings, lettering and star gone


def test_a_black_seal_loses_its_rings_only() -> None:
    gray = np.full((1400, 1000), 255, dtype=np.uint8)
    _seal(gray, 500, 600, 110, tone=0)
    cleaned, seals = layout.without_rings(gray)
    assert len(seals) == 1 and seals[0].one_ink
    assert abs(seals[0].x - 500) < 4 and abs(seals[0].y - 600) < 4
    assert seals[0].covers((300, 480, 900, 500))  # the signer's title across its top
    assert not seals[0].covers((100, 300, 900, 340))  # the body text above it
    assert not seals[0].covers((450, 520, 550, 560))  # the seal's own lettering inside it
    assert (cleaned[590:610, 490:510] == 0).all()  # one ink: the middle stays, the rings go
    assert cleaned[600, 500 + 110] == 255


def test_a_smoothed_fax_seal_is_one_ink_though_its_edges_are_grey() -> None:
    # A bilevel fax enlarged for reading has grey at the edges of every stroke; that grey is
    # no second ink, and whitening it would eat the print under the seal.
    import cv2

    gray = np.full((1400, 1000), 255, dtype=np.uint8)
    gray[480:520, 200:800] = 0
    _seal(gray, 500, 600, 110, tone=0)
    soft = cv2.resize(
        cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), (1000, 1400)
    )
    cleaned, seals = layout.without_rings(soft)
    assert len(seals) == 1 and seals[0].one_ink
    assert (cleaned[485:515, 200:800] < 128).mean() > 0.95  # the title keeps its strokes


def test_an_underline_goes_and_the_letters_on_it_stay() -> None:
    gray = np.full((300, 1200), 255, dtype=np.uint8)
    for k in range(10):  # letters sitting on the rule, one with a descender through it
        gray[100:160, 100 + 100 * k : 140 + 100 * k] = 0
    gray[160:200, 520:530] = 0  # a descender (p, g) crosses the rule
    gray[160:164, 90:1100] = 0  # the rule under the motto, touching the letters
    cleaned, rules = layout.without_rules(gray, 300)
    assert rules == 1
    assert (cleaned[100:160, 100:140] == 0).all()  # letters whole
    assert (cleaned[161:163, 150:190] == 255).all()  # the rule between letters gone
    assert (cleaned[160:200, 520:530] == 0).all()  # the descender kept where it crosses
    assert (cleaned[100:160, 900:940] == 0).all()


def test_dashes_and_text_are_no_rules() -> None:
    gray = np.full((300, 1200), 255, dtype=np.uint8)
    gray[100:104, 100:160] = 0  # an em dash: shorter than half an inch at 300 dpi
    gray[200:260, 100:1100:30] = 0  # a line of text strokes
    same, rules = layout.without_rules(gray, 300)
    assert rules == 0 and same is gray


def test_line_boxes_that_reach_into_their_neighbours_are_cut_at_the_emptiest_row() -> None:
    # Three lines 40 pixels apart, each box 54 high (the detector's generous boxes); ink of
    # each line from 10 below its box's top to 8 above its bottom, so rows between are empty.
    boxes = [(100, 100 + 40 * k - 7, 1500, 100 + 40 * k + 47) for k in range(3)]
    mask = np.zeros((400, 2100), dtype=np.uint8)
    for x0, y0, x1, y1 in boxes:
        mask[y0 + 10 : y1 - 18, x0:x1] = 1
    beside = (1600, 100, 2000, 190)  # a column beside them is not their neighbour
    fitted = layout.separated(mask, [*boxes, beside])
    assert fitted[0][1] == 93 and 129 <= fitted[0][3] <= 144  # only its bottom cut
    assert 128 <= fitted[1][1] <= 143 and 169 <= fitted[1][3] <= 184
    assert fitted[2][3] == 227 and fitted[3] == beside
    for above, below in itertools.pairwise(fitted[:3]):
        assert above[3] <= below[1] + 1  # they no longer overlap
        assert mask[above[3] - 1, 500] == 0  # and each cut is on paper
