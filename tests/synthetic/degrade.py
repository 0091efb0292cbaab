"""Ways real scans go wrong, applied to clean rendered pages."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


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


def _faded(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """An old copy: toner faded to pale grey on yellowed paper, slightly soft."""
    arr = np.asarray(image.filter(ImageFilter.GaussianBlur(0.7)), dtype=np.float32)
    ink = (255 - arr) / 255 * float(rng.uniform(0.30, 0.40))  # 30-40 % of the original contrast
    paper = np.array([238, 228, 196], dtype=np.float32)
    rgb = paper[None, None, :] * (1 - ink[..., None])
    rgb += rng.normal(0, 5, rgb.shape)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def _quarter(turn: Image.Transpose) -> Callable[[Image.Image, np.random.Generator], Image.Image]:
    def rotate(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        return _office_copy(image, rng).transpose(turn)

    return rotate


def _seal_and_signature(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A red round seal and a blue-ink signature stamped across lines of body text."""
    rgb = image.convert("RGB")
    layer = Image.new("RGB", rgb.size, (255, 255, 255))
    draw = ImageDraw.Draw(layer)
    w, h = rgb.size
    cx, cy = int(w * rng.uniform(0.45, 0.6)), int(h * rng.uniform(0.3, 0.42))
    r = int(w * 0.09)
    red = (205, 30, 40)
    for rr, width in ((r, 9), (r - 22, 4), (int(r * 0.35), 5)):
        draw.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), outline=red, width=width)
    for k in range(12):  # the star and the ring of lettering, as strokes
        a = k / 12 * 2 * np.pi
        x0, y0 = cx + (r - 60) * np.cos(a), cy + (r - 60) * np.sin(a)
        draw.line((x0, y0, x0 + 30 * np.cos(a + 1.2), y0 + 30 * np.sin(a + 1.2)), fill=red, width=6)
    blue = (25, 45, 170)
    sx, sy = int(w * rng.uniform(0.2, 0.35)), int(h * rng.uniform(0.45, 0.55))
    points = [(sx + i * 18, sy + int(60 * np.sin(i / 3.0) + rng.normal(0, 8))) for i in range(40)]
    draw.line(points, fill=blue, width=7, joint="curve")
    # Stamp ink multiplies with the paper: dark print stays dark under the seal.
    arr = np.asarray(rgb, dtype=np.float32) * np.asarray(layer, dtype=np.float32) / 255
    return _jpeg_rgb(Image.fromarray(arr.astype(np.uint8), "RGB"), 85)


def _jpeg_rgb(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _phone_photo(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A page photographed on a desk: perspective, a shadow across it, warm light, JPEG."""
    import cv2

    page = np.asarray(image.convert("RGB"), dtype=np.uint8)
    h, w = page.shape[:2]
    scale = 0.8  # phone photos of A4 land near 240 dpi
    out_w, out_h = int(w * scale * 1.12), int(h * scale * 1.08)
    margin = np.array([out_w * 0.05, out_h * 0.03])
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    jitter = rng.uniform(-1, 1, (4, 2)) * np.array([out_w * 0.03, out_h * 0.02])
    base = np.array([[0, 0], [w * scale, 0], [w * scale, h * scale], [0, h * scale]])
    dst = (base + margin + jitter).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    desk = np.full((out_h, out_w, 3), (70, 62, 55), dtype=np.uint8)
    warped = cv2.warpPerspective(
        page,
        matrix,
        (out_w, out_h),
        dst=desk,
        borderMode=cv2.BORDER_TRANSPARENT,
        flags=cv2.INTER_AREA,
    )
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    light = 0.62 + 0.38 * (xx / out_w * 0.6 + (1 - yy / out_h) * 0.4)  # shadow at one corner
    tint = np.array([1.0, 0.96, 0.88], dtype=np.float32)
    photo = warped.astype(np.float32) * light[..., None] * tint
    photo = cv2.GaussianBlur(photo, (0, 0), 0.9) + rng.normal(0, 4, photo.shape)
    return _jpeg_rgb(Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8), "RGB"), 75)


def _black_edges(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A scan with the lid open: dark bands along two edges, fading into the page."""
    arr = np.asarray(_office_copy(image, rng), dtype=np.float32)
    h, w = arr.shape
    left, top = int(w * rng.uniform(0.03, 0.06)), int(h * rng.uniform(0.015, 0.03))
    ramp = np.clip((np.arange(w) - left) / 40.0, 0, 1)[None, :]
    arr = arr * ramp + 25 * (1 - ramp)
    ramp_y = np.clip((np.arange(h) - top) / 30.0, 0, 1)[:, None]
    arr = arr * ramp_y + 30 * (1 - ramp_y)
    arr += rng.normal(0, 6, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


DEGRADATIONS: dict[str, Callable[[Image.Image, np.random.Generator], Image.Image]] = {
    "clean": lambda image, rng: image,
    "noise": lambda image, rng: _noise(image, rng),
    "blur": _blur,
    "skew": _skew,
    "jpeg": lambda image, rng: _jpeg(image),
    "office_copy": _office_copy,
    "low_dpi": _low_dpi,
    "bilevel": _bilevel,
    "faded": _faded,
    "rot90": _quarter(Image.Transpose.ROTATE_270),  # fed sideways: turned 90° clockwise
    "rot180": _quarter(Image.Transpose.ROTATE_180),
    "rot270": _quarter(Image.Transpose.ROTATE_90),
    "faded_rot90": lambda image, rng: _faded(image, rng).transpose(Image.Transpose.ROTATE_270),
    "seal_signature": _seal_and_signature,
    "phone": _phone_photo,
    "black_edges": _black_edges,
}


def degrade(image: Image.Image, kind: str, seed: int = 0) -> Image.Image:
    """Apply the degradation ``kind`` (a key of DEGRADATIONS) reproducibly."""
    return DEGRADATIONS[kind](image, np.random.default_rng(seed))
