"""Turn a page raster into the image Tesseract reads best, remembering how to map back.

Stages, each switchable in config and timed: colour (drop red seals and blue ink), orientation
(whole quarter turns, which become the page's /Rotate so the archived page shows upright),
photo (sheet outline and perspective), light (flatten shadows and faded toner), deskew, and
upscaling of low-resolution pages. The archived page keeps its original image; the matrix
returned maps every pixel Tesseract saw back onto the upright page raster, so the text layer
lands on the printed words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from pipeline.imaging import cleanup, deskew, orient, photo
from pipeline.imaging.geometry import Matrix, apply, identity

Gray = NDArray[np.uint8]
Lap = Callable[[str], object]
OsdProbe = Callable[[Gray], int | None]


@dataclass(frozen=True)
class PrepareOptions:
    """Which stages run (from the ``imaging`` settings)."""

    colour: bool = True
    orientation: bool = True
    photo: bool = True
    light: bool = True
    deskew: bool = True
    denoise_above_sigma: float = 0.0  # 0: never; else a 3x3 median on pages noisier than this
    binarize: bool = False  # Sauvola's adaptive threshold instead of Tesseract's own
    upscale_below_dpi: float = 0.0
    downscale_above_dpi: float = 0.0  # 0: never; else pages finer than this are read at 300 dpi


@dataclass(frozen=True)
class Prepared:
    """The image for OCR and how it relates to the page raster it came from."""

    image: Image.Image
    dpi: float
    quarter_turns: int  # clockwise quarter turns that made the raster upright
    to_upright: Matrix  # prepared pixel -> pixel of the upright raster
    upright_size: tuple[int, int]  # width, height of the upright raster
    notes: dict[str, object] = field(default_factory=dict)


def to_gray(image: Image.Image, colour: bool) -> tuple[Gray, bool]:
    """Greyscale pixels, and whether the page is bilevel.

    With ``colour``, coloured ink is dropped: a red seal or a blue signature stamped over text
    makes Tesseract take the whole block for a picture and skip its lines. Print under a stamp
    is still dark in every channel, so a pixel that is both light and strongly coloured can only
    be stamp or pen ink on paper, and becomes paper. Yellowed paper and warm light are far less
    saturated and keep their brightest channel.
    """
    if image.mode == "1":
        return np.asarray(image.convert("L"), dtype=np.uint8), True
    if image.mode != "RGB" or not colour:
        return np.asarray(image.convert("L"), dtype=np.uint8), False
    red, green, blue = cv2.split(np.asarray(image, dtype=np.uint8))
    brightest = cv2.max(cv2.max(red, green), blue)
    spread = cv2.subtract(brightest, cv2.min(cv2.min(red, green), blue))
    colourful = cv2.compare(spread, cv2.convertScaleAbs(brightest, alpha=0.35), cv2.CMP_GT)
    _, light = cv2.threshold(brightest, 110, 255, cv2.THRESH_BINARY)
    stamp = cv2.bitwise_and(colourful, light)
    return np.asarray(cv2.max(brightest, stamp), dtype=np.uint8), False


def choose_turns(
    gray: Gray, osd: OsdProbe | None, flat: bool = False
) -> tuple[int, float | None, dict[str, object]]:
    """Quarter turns and the remaining tilt, with Tesseract's OSD as the second opinion.

    The tilt is None when OSD overruled the direction of the lines (it was measured for the
    other direction).
    """
    found = orient.detect(gray, flat=flat)
    notes: dict[str, object] = {
        "profile_turn": found.quarter_turns * 90,
        "line_ratio": round(found.line_ratio, 2),
        "asymmetry": round(found.asymmetry, 3),
    }
    if orient.is_confident(found) or osd is None:
        return found.quarter_turns, found.skew, notes
    second = osd(gray)
    notes["osd"] = None if second is None else second * 90
    if second is None:
        return found.quarter_turns, found.skew, notes
    # The line direction from the profiles is the more reliable signal on faded pages; OSD
    # settles which way up within that direction.
    same_axis = (second % 2) == (found.quarter_turns % 2)
    if same_axis:
        return second, found.skew, notes
    if max(found.line_ratio, 1 / found.line_ratio) < 1.3:
        return second, None, notes
    return found.quarter_turns, found.skew, notes


def quarter_turn_matrix(width: int, height: int, quarter_turns: int) -> Matrix:
    """Where a pixel of a ``width`` x ``height`` image lands after clockwise quarter turns."""
    q = quarter_turns % 4
    if q == 1:
        return np.array([[0.0, -1.0, height], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    if q == 2:
        return np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]])
    if q == 3:
        return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width], [0.0, 0.0, 1.0]])
    return identity()


def _sheet_preview(gray: Gray, corners: NDArray[np.float32]) -> Gray:
    """A small rectified copy of a photographed sheet, for deciding which way up it is."""
    scale = 1000 / max(gray.shape)
    small = np.asarray(
        cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    rectified, _ = photo.flatten(small, (corners * scale).astype(np.float32))
    return rectified


def prepare(
    image: Image.Image,
    dpi: float,
    options: PrepareOptions,
    lap: Lap,
    osd: OsdProbe | None = None,
    turns: int | None = None,
) -> Prepared:
    """Run the enabled stages on one page raster.

    ``turns`` forces the quarter turns (the chain checks a page's orientation by reading it
    both ways); None lets the orientation stage decide.
    """
    gray, bilevel = to_gray(image, options.colour)
    if 0 < options.downscale_above_dpi < dpi:
        # Tesseract reads best with letters 20-40 pixels high, and every stage is cheaper on a
        # quarter of the pixels; the text layer uses fractions of the page, so it still fits.
        factor = 300 / dpi
        gray = np.asarray(
            cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA),
            dtype=np.uint8,
        )
        dpi, bilevel = 300.0, False
    lap("colour")
    corners = photo.find_sheet(gray) if options.photo and not bilevel else None
    notes: dict[str, object] = {"photo": corners is not None}
    lap("photo")
    # Even the light first: every later stage, orientation included, then sees black on white.
    flat = options.light and not bilevel
    if flat:
        gray = photo.even_light(gray)
        lap("light")
    skew = None
    if turns is not None:
        turns %= 4
    elif options.orientation:
        probe = gray if corners is None else _sheet_preview(gray, corners)
        turns, skew, found = choose_turns(probe, osd, flat=flat)
        notes |= found
    else:
        turns = 0
    height, width = gray.shape[:2]
    gray = orient.turn(gray, turns)
    upright_size = (gray.shape[1], gray.shape[0])
    lap("orientation")
    matrix = identity()
    if corners is not None:
        turn = quarter_turn_matrix(width, height, turns)
        moved = np.array([apply(turn, float(x), float(y)) for x, y in corners], dtype=np.float32)
        gray, back = photo.flatten(gray, photo.order_corners(moved))
        matrix = matrix @ back
        lap("photo")
    if options.deskew:
        if skew is None or corners is not None:  # not measured, or the sheet was rectified
            ink, _ = orient.ink_mask(gray, long_side=1400, flat=flat)
            skew = deskew.skew_angle(ink)
        angle = skew
        if abs(angle) >= 0.05:
            gray, back = deskew.rotate(gray, angle)
            matrix = matrix @ back
        notes["skew"] = round(angle, 2)
        lap("deskew")
    if options.denoise_above_sigma > 0 and not bilevel:
        gray, done = cleanup.denoise(gray, options.denoise_above_sigma)
        notes["denoised"] = done
        lap("denoise")
    if options.binarize and not bilevel:
        gray = cleanup.sauvola(gray)
        lap("binarize")
    if 0 < dpi < options.upscale_below_dpi:
        factor = 300 / dpi
        gray = np.asarray(
            cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC),
            dtype=np.uint8,
        )
        matrix = matrix @ np.diag([1 / factor, 1 / factor, 1.0])
        dpi = 300.0
        lap("upscale")
    return Prepared(Image.fromarray(gray), dpi, turns, matrix, upright_size, notes)
