"""Small helpers for the 3x3 matrices that map prepared-image pixels back to the page raster."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]


def identity() -> Matrix:
    """The matrix that changes nothing."""
    return np.eye(3)


def affine(m: NDArray[np.floating]) -> Matrix:
    """A 2x3 OpenCV affine matrix as 3x3."""
    return np.vstack([np.asarray(m, dtype=np.float64), [0.0, 0.0, 1.0]])


def apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    """Where the point (x, y) lands under ``matrix`` (projective division included)."""
    u, v, w = matrix @ np.array([x, y, 1.0])
    return float(u / w), float(v / w)
