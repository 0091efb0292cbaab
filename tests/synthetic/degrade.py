"""Ways real scans go wrong, applied to clean rendered pages."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter


def _noise(image: Image.Image, rng: np.random.Generator, sigma: float = 18.0) -> Image.Image:
    arr = np.asarray(image, dtype=np.float32)
    arr = arr + rng.normal(0.0, sigma, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _office_copy(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Grey paper, toner noise, a slight blur and JPEG compression."""
    arr = np.asarray(image, dtype=np.float32)
    arr = 60 + arr * (175 / 255)  # grey paper, weaker black
    out = Image.fromarray(arr.astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    out = _noise(out, rng, 12.0)
    return _jpeg(out, 60)


def _jpeg(image: Image.Image, quality: int = 55) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("L")


def _skew(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    angle = float(rng.uniform(1.0, 3.0)) * (1 if rng.random() < 0.5 else -1)
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)


def _low_dpi(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Resample a 300 dpi page to 200 dpi, as cheap scanners and fax do."""
    w, h = image.size
    return image.resize((w * 2 // 3, h * 2 // 3), Image.Resampling.LANCZOS)


def _bilevel(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return _low_dpi(image, rng).point(lambda v: 255 if v > 150 else 0).convert("1")


def _blur(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(1.2))


DEGRADATIONS: dict[str, Callable[[Image.Image, np.random.Generator], Image.Image]] = {
    "clean": lambda image, rng: image,
    "noise": lambda image, rng: _noise(image, rng),
    "blur": _blur,
    "skew": _skew,
    "jpeg": lambda image, rng: _jpeg(image),
    "office_copy": _office_copy,
    "low_dpi": _low_dpi,
    "bilevel": _bilevel,
}


def degrade(image: Image.Image, kind: str, seed: int = 0) -> Image.Image:
    """Apply the degradation ``kind`` (a key of DEGRADATIONS) reproducibly."""
    return DEGRADATIONS[kind](image, np.random.default_rng(seed))
