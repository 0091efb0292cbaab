"""Rotation that never harms: several hundred upright pages of every kind, none is turned.

Each page goes through the real decision (``pipeline.upright.read_upright``: the orientation
stage's proposal, then reading the page both ways with the real recognisers). The full read uses
trueocr alone to keep the test quick; the decision reads with trueocr in every configuration.
Pages: every kind of scan of the project's generator, first and later pages of multi-page case
files, bilevel fax pages, pages that are mostly a table, pages that are mostly seal and
signature, and nearly blank pages. Pages fed sideways or upside down must come out upright.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pipeline.imaging.prepare import PrepareOptions
from pipeline.ocr.engines import TrueOcrEngine
from pipeline.text.lexicon import load
from pipeline.upright import read_upright
from tests.synthetic import degrade, make_document, render_page
from tests.synthetic.casefiles import DOC_TYPES, make_case_document
from tests.synthetic.render import _font

LEXICON = Path(__file__).parents[1] / "ocr_models" / "lexicon"
KINDS = (
    "clean",
    "office_copy",
    "bilevel",
    "faded",
    "phone",
    "seal_signature",
    "low_dpi",
    "skew",
    "noise",
    "blur",
    "jpeg",
    "black_edges",
)
DPI = 200  # pages are drawn at 200 dpi: the decision is the same, and the test is quicker


def _table_page(seed: int) -> Image.Image:
    """A page that is mostly a ruled table of short entries (an inventory, a list of assets)."""
    rng = np.random.default_rng(seed)
    w, h = round(8.27 * DPI), round(11.69 * DPI)
    image = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(image)
    font = _font(round(11 / 72 * DPI), False, False)
    bold = _font(round(12 / 72 * DPI), True, False)
    draw.text((w * 0.3, h * 0.06), "DANH MỤC TÀI SẢN KÊ BIÊN", font=bold, fill=0)
    left, top, cols = int(w * 0.08), int(h * 0.12), (0.0, 0.08, 0.55, 0.72, 0.86)
    rows = int(rng.integers(14, 22))
    row_h = int(h * 0.035)
    words = ("Xe máy", "Tủ lạnh", "Nhà ở", "Đất", "Ti vi", "Bàn ghế", "Ô tô", "Máy tính")
    for r in range(rows + 1):
        y = top + r * row_h
        draw.line((left, y, w - left, y), fill=0, width=3)
        if r == rows:
            break
        cells = (
            str(r + 1),
            rng.choice(words),
            f"{int(rng.integers(1, 9))} cái",
            f"{int(rng.integers(1, 900)) * 100_000:,}".replace(",", "."),
            "Có",
        )
        for c, text in zip(cols, cells, strict=True):
            draw.text((left + 12 + c * (w - 2 * left), y + row_h * 0.2), text, font=font, fill=0)
    for c in (*cols, 1.0):
        x = left + c * (w - 2 * left)
        draw.line((x, top, x, top + rows * row_h), fill=0, width=3)
    return image


def _signature_page(seed: int) -> Image.Image:
    """A last page that is a few lines, the signer's title, a red seal and a blue signature."""
    rng = np.random.default_rng(seed)
    w, h = round(8.27 * DPI), round(11.69 * DPI)
    image = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = _font(round(13 / 72 * DPI), False, False)
    bold = _font(round(13 / 72 * DPI), True, False)
    y = int(h * 0.08)
    for text in (
        "thi hành án. Quyết định có hiệu lực kể từ ngày ký.",
        "Nơi nhận:",
        "- Như Điều 1;",
        "- Lưu: VT, HSTHA.",
    ):
        draw.text((int(w * 0.12), y), text, font=font, fill=(0, 0, 0))
        y += int(h * 0.025)
    draw.text((int(w * 0.58), int(h * 0.13)), "CHI CỤC TRƯỞNG", font=bold, fill=(0, 0, 0))
    draw.text((int(w * 0.6), int(h * 0.27)), "Nguyễn Văn An", font=bold, fill=(0, 0, 0))
    cx, cy, r = int(w * 0.6), int(h * 0.19), int(w * 0.09)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(205, 30, 40), width=8)
    draw.ellipse(
        (cx - r + 25, cy - r + 25, cx + r - 25, cy + r - 25), outline=(205, 30, 40), width=3
    )
    pts = [
        (int(w * 0.55) + i * 12, int(h * 0.2 + 40 * np.sin(i / 2.5) + rng.normal(0, 5)))
        for i in range(30)
    ]
    draw.line(pts, fill=(25, 45, 170), width=6, joint="curve")
    return image


def _nearly_blank(seed: int) -> Image.Image:
    w, h = round(8.27 * DPI), round(11.69 * DPI)
    image = Image.new("L", (w, h), 250)
    draw = ImageDraw.Draw(image)
    draw.text(
        (w // 2, h - 120), str(seed % 9 + 2), font=_font(round(12 / 72 * DPI), False, False), fill=0
    )
    return image


def _pages() -> list[tuple[str, str, int]]:
    """(name, kind of page, seed): what to draw, cheap to send to a worker."""
    pages = [(f"plain-{k}-{s}", k, s) for s in range(20) for k in KINDS]  # 240 single pages
    pages += [(f"case-{t}-{s}", t, s) for s in range(5) for t in DOC_TYPES]  # later pages too
    pages += [(f"table-{s}", "table", s) for s in range(12)]
    pages += [(f"signature-{s}", "signature", s) for s in range(12)]
    pages += [(f"blank-{s}", "blank", s) for s in range(6)]
    return pages


def _draw(kind: str, seed: int) -> list[Image.Image]:
    if kind == "table":
        return [_table_page(seed)]
    if kind == "signature":
        return [
            degrade(_signature_page(seed).convert("L"), "clean")
            if seed % 2
            else _signature_page(seed)
        ]
    if kind == "blank":
        return [_nearly_blank(seed)]
    if kind in DOC_TYPES:  # a multi-page case file, each page scanned in turn
        case = make_case_document(9100 + seed * 7 + DOC_TYPES.index(kind), kind)
        scans = KINDS[(seed + DOC_TYPES.index(kind)) % len(KINDS)]
        return [
            degrade(render_page(case.document, i, dpi=DPI).image, scans, seed * 10 + i)
            for i in range(len(case.document.pages))
        ]
    doc = make_document(8000 + seed * 31 + KINDS.index(kind), pages=2)
    return [degrade(render_page(doc, seed % 2, dpi=DPI).image, kind, seed)]


def _turns(item: tuple[str, str, int], feed: int = 0) -> list[tuple[str, int]]:
    """The quarter turns hoso applies to each page of one item (fed turned ``feed`` times)."""
    name, kind, seed = item
    lexicon = load(LEXICON)
    out = []
    for k, image in enumerate(_draw(kind, seed)):
        if feed:
            image = image.rotate(-90 * feed, expand=True)  # fed turned clockwise
        reading = read_upright(
            image,
            DPI,
            PrepareOptions(),
            TrueOcrEngine(),
            lexicon,
            lambda _: None,
            None,
            time.monotonic() + 120,
        )
        out.append((f"{name} page {k + 1}", reading.prepared.quarter_turns))
    return out


@pytest.mark.slow
def test_no_upright_page_is_turned() -> None:
    pages = _pages()
    with ProcessPoolExecutor(2) as pool:
        results = [r for batch in pool.map(_turns, pages) for r in batch]
    assert len(results) >= 300, len(results)
    turned = [(name, turns) for name, turns in results if turns]
    assert turned == [], f"{len(turned)} of {len(results)} upright pages turned: {turned}"


def _fed(item: tuple[str, str, int, int]) -> list[tuple[str, int]]:
    return _turns(item[:3], item[3])


@pytest.mark.slow
def test_pages_fed_sideways_or_upside_down_come_out_upright() -> None:
    items = [(f"plain-{k}-{s}", k, s, 1 + s % 3) for s in range(3) for k in KINDS[:6]]
    with ProcessPoolExecutor(2) as pool:
        results = [r for batch in pool.map(_fed, items) for r in batch]
    wrong = []
    for (name, _, _, feed), (_, turns) in zip(items, results, strict=True):
        if (turns + feed) % 4:
            wrong.append((name, feed * 90, turns * 90))
    assert wrong == []
