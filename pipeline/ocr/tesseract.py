"""Tesseract through tesserocr: the model is loaded once per worker process, not once per page.

Calling the library instead of the ``tesseract`` program saves a process start and a model load
on every page. A deadline is passed to Tesseract itself, so a pathological page is cancelled
rather than left running, and failures become OcrError/OcrTimeout/MissingDependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tesserocr
from PIL import Image

from pipeline.errors import MissingDependency, OcrError, OcrTimeout
from pipeline.text.normalize import normalize_ocr_text


@dataclass(frozen=True)
class Word:
    """A recognised word: text (NFC), box in image pixels (left, top, right, bottom), confidence."""

    text: str
    box: tuple[int, int, int, int]
    confidence: float


@dataclass(frozen=True)
class TextLine:
    """A line of words with its box and baseline (y at the line's left and right edges)."""

    words: tuple[Word, ...]
    box: tuple[int, int, int, int]
    baseline: tuple[float, float]
    block: int

    @property
    def text(self) -> str:
        """The words of the line separated by single spaces."""
        return " ".join(word.text for word in self.words)


@dataclass(frozen=True)
class OcrPage:
    """Everything Tesseract read on one page image."""

    lines: tuple[TextLine, ...]
    width: int
    height: int

    @property
    def text(self) -> str:
        """The page text: lines joined by newlines, blocks separated by a blank line."""
        parts: list[str] = []
        previous_block: int | None = None
        for line in self.lines:
            if previous_block is not None and line.block != previous_block:
                parts.append("")
            parts.append(line.text)
            previous_block = line.block
        return "\n".join(parts)

    @property
    def mean_confidence(self) -> float:
        """Mean word confidence (0-100); 0 for a page with no words."""
        confidences = [w.confidence for line in self.lines for w in line.words]
        return sum(confidences) / len(confidences) if confidences else 0.0


def version() -> str:
    """The Tesseract library version tesserocr is built with."""
    return str(tesserocr.tesseract_version().split()[1])


def check_model(tessdata: Path, languages: str) -> None:
    """Raise MissingDependency unless every language's model is in ``tessdata``."""
    for lang in languages.split("+"):
        if not (tessdata / f"{lang}.traineddata").is_file():
            raise MissingDependency(
                f"The OCR model {lang}.traineddata is not in {tessdata}. Run `make run` (or "
                "`make models`) to install the models, or set ocr.tessdata in config.yaml."
            )


@lru_cache(maxsize=4)
def _api(tessdata: str, languages: str) -> tesserocr.PyTessBaseAPI:
    check_model(Path(tessdata), languages)
    try:
        return tesserocr.PyTessBaseAPI(
            path=tessdata.rstrip("/") + "/",
            lang=languages,
            psm=tesserocr.PSM.AUTO,
            oem=tesserocr.OEM.LSTM_ONLY,
        )
    except RuntimeError as exc:
        raise MissingDependency(
            f"Tesseract cannot load the model {languages} from {tessdata} "
            f"({exc}). Reinstall the models with `make models`."
        ) from exc


def recognize(
    image: Image.Image, dpi: float, *, tessdata: Path, languages: str, timeout: float
) -> OcrPage:
    """Read one page image and return its lines and words.

    Args:
        image: a greyscale or bilevel page image.
        dpi: its resolution, which Tesseract uses to judge text size.
        tessdata: folder holding the models.
        languages: Tesseract language string, e.g. ``vie`` or ``vie+eng``.
        timeout: seconds before Tesseract is told to give up on the page.
    """
    api = _api(str(tessdata), languages)
    api.SetImage(image)
    api.SetSourceResolution(max(70, round(dpi)))
    try:
        finished = api.Recognize(timeout=max(1, round(timeout * 1000)))
    except RuntimeError as exc:
        raise OcrError(f"Tesseract failed on the page ({exc}).") from exc
    if not finished:
        api.Clear()
        raise OcrTimeout(
            f"Reading the page took longer than {timeout:.0f} seconds and was "
            "stopped. The scan may be very noisy; raise ocr.page_timeout to retry."
        )
    lines = _collect_lines(api)
    api.Clear()
    return OcrPage(tuple(lines), image.width, image.height)


def _collect_lines(api: tesserocr.PyTessBaseAPI) -> list[TextLine]:
    ril = tesserocr.RIL
    lines: list[TextLine] = []
    words: list[Word] = []
    line_box: tuple[int, int, int, int] | None = None
    baseline = (0.0, 0.0)
    block = 0
    iterator = api.GetIterator()
    if iterator is None:
        return lines

    def close_line() -> None:
        if words and line_box is not None:
            lines.append(TextLine(tuple(words), line_box, baseline, block))
        words.clear()

    for item in tesserocr.iterate_level(iterator, ril.WORD):
        if item.IsAtBeginningOf(ril.BLOCK):
            close_line()
            block += 1
        if item.IsAtBeginningOf(ril.TEXTLINE):
            close_line()
            line_box = item.BoundingBox(ril.TEXTLINE)
            baseline = _baseline_at_edges(item, line_box)
        try:
            raw = item.GetUTF8Text(ril.WORD)
        except RuntimeError:  # tesserocr's way of saying the word is empty
            continue
        text = normalize_ocr_text(raw or "").strip()
        box = item.BoundingBox(ril.WORD)
        if not text or box is None:
            continue
        words.append(Word(text, tuple(box), float(item.Confidence(ril.WORD))))
    close_line()
    return lines


def _baseline_at_edges(
    item: tesserocr.PyPageIterator, box: tuple[int, int, int, int] | None
) -> tuple[float, float]:
    """Where the line's baseline crosses its left and right edges (image y, downwards)."""
    if box is None:
        return (0.0, 0.0)
    left, _, right, bottom = box
    found = item.Baseline(tesserocr.RIL.TEXTLINE)
    if not found:
        return (float(bottom), float(bottom))
    (x1, y1), (x2, y2) = found
    if x2 == x1:
        return (float(y1), float(y2))
    slope = (y2 - y1) / (x2 - x1)
    return (y1 + slope * (left - x1), y1 + slope * (right - x1))


@lru_cache(maxsize=2)
def _osd_api(tessdata: str) -> tesserocr.PyTessBaseAPI:
    check_model(Path(tessdata), "osd")
    return tesserocr.PyTessBaseAPI(
        path=tessdata.rstrip("/") + "/", lang="osd", psm=tesserocr.PSM.OSD_ONLY
    )


def detect_orientation(image: Image.Image, *, tessdata: Path) -> int | None:
    """Tesseract's OSD verdict as clockwise quarter turns that make the page upright.

    None when OSD cannot tell (too little text, or it fails): callers keep their own estimate.
    """
    api = _osd_api(str(tessdata))
    api.SetImage(image)
    try:
        found = api.DetectOrientationScript()
    except RuntimeError:
        return None
    finally:
        api.Clear()
    if not found or found.get("orient_conf", 0.0) < 1.0:
        return None
    # OSD reports how far the text is turned clockwise; undoing it takes the opposite turn.
    return -(int(found["orient_deg"]) // 90) % 4
