"""Phone photos of pages: find the sheet on the desk, undo the perspective, even out the light."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from pipeline.imaging.geometry import Matrix

Gray = NDArray[np.uint8]


def order_corners(points: NDArray[np.float32]) -> NDArray[np.float32]:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    s = points.sum(axis=1)
    d = np.diff(points, axis=1).ravel()
    return np.array(
        [points[np.argmin(s)], points[np.argmin(d)], points[np.argmax(s)], points[np.argmax(d)]],
        dtype=np.float32,
    )


def find_sheet(gray: Gray) -> NDArray[np.float32] | None:
    """The four corners of a bright sheet lying on a darker background, or None.

    A flatbed scan, whose page fills the image, has no such outline and gets None.
    """
    scale = 800 / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (7, 7), 0)
    _, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(outline) / (small.shape[0] * small.shape[1])
    if not 0.3 < area < 0.97:
        return None
    quad = cv2.approxPolyDP(outline, 0.02 * cv2.arcLength(outline, True), True)
    if len(quad) != 4 or not cv2.isContourConvex(quad):
        return None
    # Only a sheet with desk visible around it: some border strip must be dark.
    border = np.concatenate(
        [small[:5].ravel(), small[-5:].ravel(), small[:, :5].ravel(), small[:, -5:].ravel()]
    )
    if np.median(border) > 0.6 * np.median(small):
        return None
    return order_corners(quad.reshape(4, 2).astype(np.float32) / scale)


def flatten(gray: Gray, corners: NDArray[np.float32]) -> tuple[Gray, Matrix]:
    """Warp the sheet to a rectangle; returns it and the matrix back to the photo's pixels."""
    tl, tr, br, bl = corners
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    forward = cv2.getPerspectiveTransform(corners, target)
    out = cv2.warpPerspective(
        gray, forward, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(out, dtype=np.uint8), np.linalg.inv(np.asarray(forward, dtype=np.float64))


def even_light(gray: Gray) -> Gray:
    """Divide out the paper's brightness so shadows and faded toner give black on white.

    The paper is estimated on a downscaled copy (text removed by dilation and a median), then
    the page is divided by it and the contrast stretched so the faintest ink becomes dark.
    """
    scale = 0.25
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    paper = cv2.medianBlur(cv2.dilate(small, np.ones((5, 5), np.uint8)), 31)
    paper = cv2.resize(paper, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(gray, np.maximum(paper, 1), scale=255)
    low = float(np.percentile(flat[::8, ::8], 0.5))
    if low > 200:  # nothing but paper
        return np.asarray(flat, dtype=np.uint8)
    lut = np.clip((np.arange(256, dtype=np.float32) - low) * 255 / max(1.0, 250 - low), 0, 255)
    return np.asarray(cv2.LUT(flat, lut.astype(np.uint8)), dtype=np.uint8)
