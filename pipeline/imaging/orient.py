"""Which way up a page is: 0, 90, 180 or 270 degrees.

Two independent signals are combined. Text-line direction comes from projection profiles:
horizontal lines make the row profile alternate sharply between lines and gaps. Which side is up
comes from the shape of the lines: Vietnamese text carries far more ink above its x-height band
(ascenders, capitals, and the tone and vowel marks) than below its baseline, so a line read upside
down is top-light. Tesseract's orientation detector (OSD) is consulted when the profile signals are
unsure, and the two must agree or the stronger one wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from pipeline.imaging import deskew

Gray = NDArray[np.uint8]


@dataclass(frozen=True)
class Orientation:
    """Clockwise quarter turns that make the page upright, and how sure the detector is."""

    quarter_turns: int
    line_ratio: float  # >1: text lines run horizontally in the image as given
    asymmetry: float  # >0: the horizontal reading is upright, <0: upside down
    method: str
    skew: float = 0.0  # tilt of the lines once turned upright, degrees counter-clockwise


def ink_mask(
    gray: Gray, long_side: int = 1000, flat: bool = False
) -> tuple[NDArray[np.uint8], float]:
    """A downscaled binary image (1 = ink) and the scale used, for cheap page analysis.

    Args:
        gray: the page.
        long_side: pixels along the longer side of the analysed copy.
        flat: the paper is already even (the light stage ran), so no shading is removed here.
    """
    scale = long_side / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if not flat:
        # Flatten the paper so shadows and yellowing do not count as ink.
        background = cv2.medianBlur(cv2.dilate(small, np.ones((7, 7), np.uint8)), 21)
        small = cv2.divide(small, background, scale=255)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return letters_only(ink.astype(np.uint8)), scale


def letters_only(ink: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The ink without marks that are not letters: sheet edges, rules, seals, large blots.

    A photographed sheet's dark edge or a table's rule is one long straight mark, and on a
    page with a few lines of text it outweighs them in every projection profile: the page is
    then levelled to its edge instead of its lines, and the lines run into each other. Marks
    much taller than the page's typical mark, or far longer than tall, are dropped before the
    profiles are measured.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count < 3:
        return ink
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    typical = float(np.median(heights[stats[1:, cv2.CC_STAT_AREA] >= 3])) if count > 3 else 1.0
    typical = max(typical, 1.0)
    drop = (heights > 4 * typical) | (widths > 25 * typical)
    if not drop.any():
        return ink
    keep = np.concatenate(([False], ~drop))
    return np.asarray(keep[labels], dtype=np.uint8)


def asymmetry(ink: NDArray[np.uint8]) -> float:
    """Ink above the x-height band minus ink below the baseline, over both, for all lines."""
    rows = ink.sum(axis=1, dtype=np.float64)
    if rows.max() <= 0:
        return 0.0
    present = rows > 0.04 * rows.max()
    above = below = 0.0
    start = None
    for i, on in enumerate(np.append(present, False)):
        if on and start is None:
            start = i
        elif not on and start is not None:
            line = rows[start:i]
            if len(line) >= 4:
                core = np.nonzero(line >= 0.5 * line.max())[0]
                above += float(line[: core[0]].sum())
                below += float(line[core[-1] + 1 :].sum())
            start = None
    total = above + below
    return (above - below) / total if total > 0 else 0.0


def detect(gray: Gray, flat: bool = False) -> Orientation:
    """Find the quarter turns that make ``gray`` upright from its own pixels."""
    ink, _ = ink_mask(gray, flat=flat)
    if ink.mean() < 0.002:  # a blank page has no up
        return Orientation(0, 1.0, 0.0, "blank")
    horizontal, margin, angle = deskew.line_axis(ink)
    ratio = margin if horizontal else 1 / margin
    # Level the lines before judging up from down: the x-height band must be crisp.
    level = ink if horizontal else np.ascontiguousarray(np.rot90(ink, k=-1))
    if abs(angle) >= 0.2:
        level, _ = deskew.rotate(level * 255, angle)
        level = (level > 127).astype(np.uint8)
    asym = asymmetry(level)
    up = 0 if asym >= 0 else 2
    # Half a turn more keeps the tilt: a line rising to the right still does, upside down.
    return Orientation(up if horizontal else up + 1, ratio, asym, "profile", angle)


def is_confident(found: Orientation) -> bool:
    """Whether both profile signals are clear enough to act on without a second opinion."""
    direction = max(found.line_ratio, 1 / max(found.line_ratio, 1e-9))
    return found.method == "blank" or (direction > 1.3 and abs(found.asymmetry) > 0.12)


def turn(gray: Gray, quarter_turns: int) -> Gray:
    """Rotate clockwise by whole quarter turns (lossless)."""
    return np.ascontiguousarray(np.rot90(gray, k=-(quarter_turns % 4)))
