"""Measure and undo the skew of a scanned page to within a few hundredths of a degree.

The angle is the one at which ink projected onto the vertical axis gives the sharpest profile:
text lines then fall into narrow, deep peaks. Projecting a sample of ink pixels is cheaper than
rotating the image for every trial angle, so a coarse-to-fine search over ±15° takes a few ms.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from pipeline.imaging.geometry import Matrix, affine

MAX_ANGLE = 15.0


def _score(xs: NDArray[np.float64], ys: NDArray[np.float64], degrees: float) -> float:
    theta = np.deg2rad(degrees)
    projected = ys * np.cos(theta) - xs * np.sin(theta)
    hist = np.bincount((projected - projected.min()).astype(np.int64))
    return float(np.square(hist.astype(np.float64)).sum())


def _points(ink: NDArray[np.uint8], max_points: int) -> tuple[NDArray[np.float64], ...]:
    ys, xs = np.nonzero(ink)
    if len(xs) > max_points:
        pick = np.random.default_rng(0).choice(len(xs), max_points, replace=False)
        xs, ys = xs[pick], ys[pick]
    return xs.astype(np.float64), ys.astype(np.float64)


def _search(
    xs: NDArray[np.float64],
    ys: NDArray[np.float64],
    levels: tuple[tuple[float, float], ...],
    start: float = 0.0,
) -> tuple[float, float]:
    best, score = start, 0.0
    for step, span in levels:
        candidates = np.arange(best - span, best + span + step / 2, step)
        scores = [_score(xs, ys, float(a)) for a in candidates]
        best = float(candidates[int(np.argmax(scores))])
        score = max(scores)
    return best, score


def line_axis(ink: NDArray[np.uint8], max_points: int = 20_000) -> tuple[bool, float, float]:
    """Whether text lines run horizontally, how much sharper that reading is, and the tilt.

    Each axis is judged at its own best tilt, so a page skewed by a few degrees (whose row
    profile is smeared) is not mistaken for one whose lines run vertically. The tilt (degrees,
    counter-clockwise positive, as :func:`skew_angle`) is that of the winning axis, measured in
    the frame where its lines are horizontal, i.e. after a quarter turn for vertical lines.
    """
    xs, ys = _points(ink, max_points)
    if len(xs) < 200:
        return True, 1.0, 0.0
    coarse = ((1.0, MAX_ANGLE), (0.25, 1.0))
    h_angle, horizontal = _search(xs, ys, coarse)
    v_angle, vertical = _search(ys, xs, coarse)
    is_horizontal = horizontal >= vertical
    margin = max(horizontal, vertical) / max(min(horizontal, vertical), 1.0)
    if is_horizontal:
        best, _ = _search(xs, ys, ((0.05, 0.25), (0.01, 0.05)), start=h_angle)
        return True, margin, -best
    # Swapping x and y mirrors the page, which reverses the sense of the tilt; the clockwise
    # quarter turn that makes the lines horizontal is that mirror plus a flip of the new x axis,
    # which leaves the mirrored sense as it is.
    best, _ = _search(ys, xs, ((0.05, 0.25), (0.01, 0.05)), start=v_angle)
    return False, margin, best


def skew_angle(ink: NDArray[np.uint8], max_points: int = 60_000) -> float:
    """The angle in degrees (counter-clockwise positive) that the text lines are tilted by.

    Args:
        ink: a binary image, 1 where there is ink (downscaled is fine: the angle is the same).
        max_points: ink pixels sampled; more is slower and barely more precise.
    """
    xs, ys = _points(ink, max_points)
    if len(xs) < 200:
        return 0.0
    best, _ = _search(xs, ys, ((0.5, MAX_ANGLE), (0.05, 0.5), (0.01, 0.05)))
    # Tilted counter-clockwise means ink rises to the right: y falls as x grows.
    return -best


def rotate(gray: NDArray[np.uint8], degrees: float) -> tuple[NDArray[np.uint8], Matrix]:
    """Turn ``gray`` by ``degrees`` clockwise to level its lines; returns it and the inverse map.

    The output keeps the input's size (a few degrees loses only blank margin); the matrix maps
    output pixels back to input pixels.
    """
    h, w = gray.shape[:2]
    forward = cv2.getRotationMatrix2D((w / 2, h / 2), -degrees, 1.0)
    out = cv2.warpAffine(
        gray,
        forward,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )
    back = np.asarray(np.linalg.inv(affine(np.asarray(forward, dtype=np.float64))), np.float64)
    return np.asarray(out, dtype=np.uint8), back
