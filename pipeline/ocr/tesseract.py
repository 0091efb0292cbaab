"""Tesseract through tesserocr: the model is loaded once per worker process, not once per page.

Calling the library instead of the ``tesseract`` program saves a process start and a model load
on every page. A deadline is passed to Tesseract itself, so a pathological page is cancelled
rather than left running, and failures become OcrError/OcrTimeout/MissingDependency.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import tesserocr
from PIL import Image

from pipeline.errors import MissingDependency, OcrError, OcrTimeout
from pipeline.ocr.page import Box, OcrPage, TextLine, Word
from pipeline.text.normalize import normalize_ocr_text


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
def _api(tessdata: str, languages: str, psm: int = tesserocr.PSM.AUTO) -> tesserocr.PyTessBaseAPI:
    check_model(Path(tessdata), languages)
    try:
        return tesserocr.PyTessBaseAPI(
            path=tessdata.rstrip("/") + "/",
            lang=languages,
            psm=psm,
            oem=tesserocr.OEM.LSTM_ONLY,
        )
    except RuntimeError as exc:
        raise MissingDependency(
            f"Tesseract cannot load the model {languages} from {tessdata} "
            f"({exc}). Reinstall the models with `make models`."
        ) from exc


def recognize(
    image: Image.Image, dpi: float, *, tessdata: Path, languages: str, deadline: float
) -> OcrPage:
    """Read one page image and return its lines and words.

    Args:
        image: a greyscale or bilevel page image.
        dpi: its resolution, which Tesseract uses to judge text size.
        tessdata: folder holding the models.
        languages: Tesseract language string, e.g. ``vie`` or ``vie+eng``.
        deadline: ``time.monotonic()`` by which Tesseract is told to give up on the page.
    """
    api = _api(str(tessdata), languages)
    api.SetImage(image)
    api.SetSourceResolution(max(70, round(dpi)))
    left = deadline - time.monotonic()
    try:
        finished = left > 0 and api.Recognize(timeout=max(1, round(left * 1000)))
    except RuntimeError as exc:
        raise OcrError(f"Tesseract failed on the page ({exc}).") from exc
    if not finished:
        api.Clear()
        raise OcrTimeout(
            "Reading the page took longer than its time limit and was stopped. The scan may "
            "be very noisy; raise ocr.page_timeout to retry."
        )
    lines = _collect_lines(api)
    api.Clear()
    return OcrPage(tuple(lines), image.width, image.height)


def read_lines(
    image: Image.Image,
    dpi: float,
    boxes: Sequence[Box],
    *,
    tessdata: Path,
    languages: str,
    deadline: float,
    scale: float = 1.0,
    bands: Sequence[tuple[int, int]] | None = None,
) -> list[tuple[Word, ...]]:
    """Read each box of ``image`` as one line; words come back in the page's pixels.

    Lines found by another engine's detector are read one at a time (Tesseract's single-line
    mode on the box with a margin), which skips Tesseract's own layout analysis: that
    analysis is what drops small header lines and lines beside a seal. With ``scale`` > 1 the
    line is cut out and enlarged first (small print reads far better at a larger size).

    Args:
        image: the prepared (upright, deskewed) greyscale page.
        dpi: its resolution.
        boxes: line boxes in the image's pixels.
        tessdata: folder holding the models.
        languages: Tesseract language string.
        deadline: ``time.monotonic()`` by which the whole call must end (OcrTimeout after).
        scale: enlargement applied to each line before reading.
        bands: for each box, the rows that are its own line (top, bottom): the rest of its
            margin is made paper, so no part of a neighbouring line is read with it.
    """
    api = _api(str(tessdata), languages, tesserocr.PSM.SINGLE_LINE)
    width, height = image.size
    out: list[tuple[Word, ...]] = []
    try:
        whole = scale == 1.0 and bands is None
        if whole:
            api.SetImage(image)
            api.SetSourceResolution(max(70, round(dpi)))
        for k, box in enumerate(boxes):
            x0, y0, x1, y1 = _padded(box, width, height)
            if whole:
                api.SetRectangle(x0, y0, x1 - x0, y1 - y0)
                offset, factor = (0.0, 0.0), 1.0
            else:
                crop = image.crop((x0, y0, x1, y1))
                if bands is not None:
                    crop = _only_band(crop, bands[k][0] - y0, bands[k][1] - y0)
                if scale != 1.0:
                    crop = crop.resize(
                        (round(crop.width * scale), round(crop.height * scale)),
                        Image.Resampling.BICUBIC,
                    )
                api.SetImage(crop)
                api.SetSourceResolution(max(70, round(dpi * scale)))
                offset, factor = (float(x0), float(y0)), 1.0 / scale
            left = deadline - time.monotonic()
            if left <= 0 or not api.Recognize(timeout=max(1, round(left * 1000))):
                raise OcrTimeout(
                    "Reading the page took longer than its time limit and was stopped. The "
                    "scan may be very noisy; raise ocr.page_timeout to retry."
                )
            out.append(tuple(_words(api, offset, factor)))
    except RuntimeError as exc:
        raise OcrError(f"Tesseract failed on the page ({exc}).") from exc
    finally:
        api.Clear()
    return out


def _only_band(crop: Image.Image, top: int, bottom: int) -> Image.Image:
    """The crop with the rows above ``top`` and from ``bottom`` on made paper."""
    pixels = np.asarray(crop.convert("L")).copy()
    pixels[: max(0, top)] = 255
    pixels[max(0, bottom) :] = 255
    return Image.fromarray(pixels)


def _padded(box: Box, width: int, height: int) -> Box:
    """The line box with the margin Tesseract needs around a line, inside the image."""
    x0, y0, x1, y1 = box
    h = max(1, y1 - y0)
    return (
        max(0, x0 - round(0.3 * h)),
        max(0, y0 - round(0.15 * h)),
        min(width, x1 + round(0.3 * h)),
        min(height, y1 + round(0.15 * h)),
    )


def _words(api: tesserocr.PyTessBaseAPI, offset: tuple[float, float], factor: float) -> list[Word]:
    ril = tesserocr.RIL
    iterator = api.GetIterator()
    words: list[Word] = []
    if iterator is None:
        return words
    for item in tesserocr.iterate_level(iterator, ril.WORD):
        try:
            raw = item.GetUTF8Text(ril.WORD)
        except RuntimeError:  # tesserocr's way of saying the word is empty
            continue
        text = normalize_ocr_text(raw or "").strip()
        box = item.BoundingBox(ril.WORD)
        if not text or box is None:
            continue
        x0, y0, x1, y1 = (
            round(offset[0] + box[0] * factor),
            round(offset[1] + box[1] * factor),
            round(offset[0] + box[2] * factor),
            round(offset[1] + box[3] * factor),
        )
        words.append(Word(text, (x0, y0, x1, y1), float(item.Confidence(ril.WORD))))
    return words


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
