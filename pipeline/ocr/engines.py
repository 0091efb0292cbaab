"""The recogniser interface, and the engines that read a prepared page by themselves.

Every engine turns an upright, deskewed page image into an :class:`OcrPage`: lines of words with
boxes in the image's pixels, in reading order. The chain holds one engine per worker process
and never looks inside it, so an engine can be replaced or combined (``pipeline.text.vote``
combines two) without touching the chain, the text layer or extraction. Which one runs is
``ocr.engine`` in the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from pipeline.ocr import layout, tesseract, trueocr
from pipeline.ocr.page import Box, OcrPage, TextLine, Word, spread_words

ENGINES = ("tesseract", "trueocr", "vote")


def check_installed(tessdata: Path, languages: str, engine: str) -> None:
    """Raise MissingDependency unless everything ``engine`` reads with is installed.

    Checked before work starts, so a missing model stops a command at once with a plain
    sentence instead of failing every document. trueocr's models are looked for, not loaded.
    """
    if engine != "trueocr":
        tesseract.check_model(tessdata, languages)
    if engine != "tesseract":
        trueocr.check_files()


class Recognizer(Protocol):
    """Reads one prepared page image."""

    @property
    def name(self) -> str:
        """The engine's name, as ``ocr.engine`` spells it."""
        ...

    def read(self, image: Image.Image, dpi: float, deadline: float) -> OcrPage:
        """Read the page by ``deadline`` (``time.monotonic()``) or raise OcrTimeout."""
        ...


@dataclass(frozen=True)
class Lines:
    """The lines a detector found on a page, in reading order, with their block numbers."""

    boxes: tuple[Box, ...]
    blocks: tuple[int, ...]
    height: float  # median line height in pixels


def find_lines(gray: NDArray[np.uint8], ink: NDArray[np.uint8] | None = None) -> Lines:
    """The page's printed lines: detected, cut at column gaps, ordered for reading.

    ``ink`` is the page's :func:`~pipeline.ocr.layout.ink` mask when the caller has it already.
    """
    found = trueocr.find_lines(gray)
    mask = layout.ink(gray) if ink is None else ink
    boxes = [b for b in layout.split_columns(mask, found) if b[3] - b[1] >= 6]
    ordered = layout.reading_order(boxes)
    blocks = layout.blocks(boxes, ordered)
    return Lines(
        tuple(boxes[i] for i in ordered), tuple(blocks), layout.line_height(boxes) if boxes else 0.0
    )


def page_of(
    words: Sequence[Sequence[Word]],
    lines: Lines,
    size: tuple[int, int],
    agreements: Sequence[float] | None = None,
    under_seal: Sequence[bool] | None = None,
) -> OcrPage:
    """An OcrPage from each line's words (lines without words are left out)."""
    out: list[TextLine] = []
    agreed = agreements if agreements is not None else [1.0] * len(lines.boxes)
    sealed = under_seal if under_seal is not None else [False] * len(lines.boxes)
    for line_words, box, block, agreement, covered in zip(
        words, lines.boxes, lines.blocks, agreed, sealed, strict=True
    ):
        if not line_words:
            continue
        left = min(min(w.box[0] for w in line_words), box[0])
        right = max(max(w.box[2] for w in line_words), box[2])
        top = min(w.box[1] for w in line_words)
        bottom = max(w.box[3] for w in line_words)
        base = float(box[1] + 0.8 * (box[3] - box[1]))
        out.append(
            TextLine(
                tuple(line_words),
                (left, top, right, bottom),
                (base, base),
                block,
                agreement,
                covered,
            )
        )
    return OcrPage(tuple(out), size[0], size[1])


@dataclass(frozen=True)
class TesseractEngine:
    """Tesseract alone: its own layout analysis and recognition of the whole page."""

    tessdata: Path
    languages: str
    name: str = "tesseract"

    def read(self, image: Image.Image, dpi: float, deadline: float) -> OcrPage:
        """Read the page with Tesseract's page segmentation."""
        return tesseract.recognize(
            image, dpi, tessdata=self.tessdata, languages=self.languages, deadline=deadline
        )


@dataclass(frozen=True)
class TrueOcrEngine:
    """trueocr alone: its line detector and line recogniser (word boxes shared out by length)."""

    name: str = "trueocr"

    def read(self, image: Image.Image, dpi: float, deadline: float) -> OcrPage:
        """Find the lines and read each."""
        gray = np.asarray(image.convert("L"), dtype=np.uint8)
        lines = find_lines(gray)
        texts = trueocr.read_lines(gray, list(lines.boxes))
        words = [
            spread_words(t.text, box, t.confidence)
            for t, box in zip(texts, lines.boxes, strict=True)
        ]
        return page_of(words, lines, image.size)
