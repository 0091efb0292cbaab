"""trueocr, a second Vietnamese recogniser on ONNX Runtime: text lines found and read on the CPU.

trueocr (Apache-2.0, pinned with its hash in requirements.lock; its ONNX weights ship inside the
wheel) brings a text-line detector, a line recogniser that knows every Vietnamese letter, and a
page-orientation classifier. hoso uses the detector to find the lines of a prepared page (it
finds small header lines and lines beside seals that Tesseract's own layout analysis drops),
the recogniser as the second reader of each line, and the classifier as one more opinion on
which way up a page is. Its errors rarely coincide with Tesseract's, which is what makes a vote
between the two worth its cost.

Models are loaded once per worker process; ONNX Runtime runs with one thread because the
process pool is the parallelism. Failures become MissingDependency or OcrError.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pipeline.errors import MissingDependency, OcrError
from pipeline.ocr.page import Box
from pipeline.text.normalize import normalize_ocr_text

Gray = NDArray[np.uint8]
PINNED = "0.1.1"  # the version whose module layout this wrapper is written against


@dataclass(frozen=True)
class LineText:
    """What the recogniser read in one line box: NFC text and its mean character confidence."""

    text: str
    confidence: float  # 0-100, the mean CTC peak probability scaled like Tesseract's


def version() -> str:
    """The installed trueocr version, or "" when it is missing."""
    try:
        return importlib.metadata.version("trueocr")
    except importlib.metadata.PackageNotFoundError:
        return ""


@dataclass(frozen=True)
class _Models:
    page: Any  # trueocr.page.PageEngine: detector, orientation, reading order
    recognizer: Any  # trueocr.Recognizer


@lru_cache(maxsize=1)
def _models() -> _Models:
    try:
        import trueocr
        from trueocr.page import PageEngine
    except ImportError as exc:
        raise MissingDependency(
            "The trueocr recogniser is not installed. Run `make run` (or `make setup`) to "
            "install it, or set ocr.engine: tesseract in config.yaml."
        ) from exc
    folder = Path(trueocr.__file__).parent / "models"
    try:
        return _Models(PageEngine(folder, threads=1), trueocr.Recognizer(folder, threads=1))
    except Exception as exc:  # onnxruntime raises its own exception types
        raise MissingDependency(
            f"trueocr cannot load its models from {folder} ({exc}). Reinstall it with `make setup`."
        ) from exc


def check() -> None:
    """Raise MissingDependency unless trueocr and its models load."""
    _models()


def check_files() -> None:
    """Raise MissingDependency unless trueocr and its model files are installed (not loaded)."""
    spec = importlib.util.find_spec("trueocr")
    folder = Path(spec.origin).parent / "models" if spec and spec.origin else None
    if folder is None or not all((folder / n).is_file() for n in ("det.onnx", "rec.onnx")):
        raise MissingDependency(
            "The trueocr recogniser or its models are not installed. Run `make run` (or "
            "`make setup`) to install it, or set ocr.engine: tesseract in config.yaml."
        )


def find_lines(gray: Gray) -> list[Box]:
    """Boxes of the text lines on an upright, deskewed page, in no particular order."""
    try:
        found = _models().page.detect(gray)
    except MissingDependency:
        raise
    except Exception as exc:
        raise OcrError(f"The line detector failed on the page ({exc}).") from exc
    boxes: list[Box] = []
    for row in found:
        x0, y0, x1, y1 = (round(float(v)) for v in row[:4])
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            boxes.append((x0, y0, x1, y1))
    return boxes


def read_lines(gray: Gray, boxes: list[Box]) -> list[LineText]:
    """Read each box as one line of text."""
    if not boxes:
        return []
    crops = [gray[max(0, y0) : y1, max(0, x0) : x1] for x0, y0, x1, y1 in boxes]
    try:
        predictions = _models().recognizer.predict(crops, batch_size=32)
    except MissingDependency:
        raise
    except Exception as exc:
        raise OcrError(f"The line recogniser failed on the page ({exc}).") from exc
    return [
        LineText(normalize_ocr_text(p.text).replace("\n", " "), round(100 * float(p.confidence), 2))
        for p in predictions
    ]


def quarter_turns(gray: Gray) -> int | None:
    """The orientation classifier's clockwise quarter turns that make the page upright.

    None when the classifier is not sure (it answers only above 95% probability) or sees
    vertical writing; callers keep their own estimate then.
    """
    try:
        found = int(_models().page.orientation(gray))
    except MissingDependency:
        raise
    except Exception:
        return None
    if found not in (1, 2, 3):
        return None
    # The classifier reports counter-clockwise turns of the content; undoing k of them is k
    # clockwise quarter turns of the page.
    return found
