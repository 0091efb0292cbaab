"""Where a page's pixels come from: the scan file itself, an image inside a PDF, or a render.

A page image is always returned in *displayed* orientation (the page's /Rotate applied), with the
rectangle of unrotated PDF user space it covers, so the text layer can be placed back exactly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import img2pdf
import pikepdf
from PIL import Image, UnidentifiedImageError

from pipeline.errors import CorruptFile, EncryptedPdf, PageTooLarge, StorageError
from pipeline.imaging import poppler
from pipeline.ingest.filetypes import MediaType

log = logging.getLogger(__name__)

Image.MAX_IMAGE_PIXELS = 400_000_000  # an A0 scan at 600 dpi; larger is an error, not a bomb


@dataclass(frozen=True)
class PageFrame:
    """The part of a PDF page a raster covers: a user-space rectangle and the page rotation."""

    x0: float
    y0: float
    x1: float
    y1: float
    rotate: int = 0

    @property
    def displayed_size(self) -> tuple[float, float]:
        """Width and height in points as the page is shown (rotation applied)."""
        w, h = self.x1 - self.x0, self.y1 - self.y0
        return (h, w) if self.rotate in (90, 270) else (w, h)


@dataclass(frozen=True)
class PageRaster:
    """A page's pixels ready for OCR."""

    image: Image.Image
    dpi: float
    frame: PageFrame
    origin: str  # "image-file", "native", "rendered"


@dataclass(frozen=True)
class DocumentPlan:
    """What a document is made of, decided once before its pages are read."""

    source: Path
    media_type: MediaType
    base_pdf: Path
    page_count: int
    text_pages: dict[int, str]


def open_pdf(path: Path) -> pikepdf.Pdf:
    """Open a PDF, turning pikepdf's failures into plain errors."""
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise EncryptedPdf(
            f"The PDF {path.name} is protected by a password. Save an "
            "unprotected copy and drop that into the inbox."
        ) from exc
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        detail = str(exc).replace(f"{path}: ", "").replace(str(path), path.name)
        raise CorruptFile(
            f"The PDF {path.name} is damaged and cannot be read ({detail}). "
            "Scan the document again."
        ) from exc


MAX_PAGE_INCHES = 100  # a page longer than this on a side (2.5 m) is not a scanned page


def _too_large(name: str, what: str) -> PageTooLarge:
    return PageTooLarge(
        f"The scan {name} is too large to read: {what}. Scan the pages at their real size and "
        "at 600 dpi or less."
    )


def _open_image(path: Path, verify: bool = True) -> Image.Image:
    """Open an image scan; ``verify`` checks its structure first (once, when planning).

    Every frame's size is checked before anything is decoded: a crafted image that claims
    billions of pixels (a decompression bomb) is refused with the limit named, never decoded.
    """
    try:
        if verify:
            Image.open(path).verify()  # structure only; decoding errors surface on load
        image = Image.open(path)
        if verify:
            _check_frames(image, path.name)
        return image
    except Image.DecompressionBombError as exc:
        raise _too_large(path.name, f"more than {Image.MAX_IMAGE_PIXELS:,} pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(
            f"The image {path.name} is damaged and cannot be read ({exc}). Scan the page again."
        ) from exc


def _check_frames(image: Image.Image, name: str) -> None:
    limit = Image.MAX_IMAGE_PIXELS or 0
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        width, height = image.size
        if limit and width * height > limit:
            raise _too_large(
                name, f"page {index + 1} is {width:,} × {height:,} pixels, more than {limit:,}"
            )
    image.seek(0)


def _image_dpi(image: Image.Image, default_dpi: int) -> float:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    return value if value >= 72 else float(default_dpi)


def _image_base_pdf(source: Path, work_dir: Path, default_dpi: int) -> Path:
    """Wrap image pages into a PDF without re-encoding them (JPEG and CCITT G4 pass through)."""
    out = work_dir / "base.pdf"

    def layout(
        imgwidthpx: int, imgheightpx: int, ndpi: tuple[float, float]
    ) -> tuple[float, float, float, float]:
        dpi_x, dpi_y = (d if d >= 72 else default_dpi for d in ndpi)
        w, h = imgwidthpx * 72 / dpi_x, imgheightpx * 72 / dpi_y
        return w, h, w, h

    try:
        data = img2pdf.convert(str(source), layout_fun=layout, rotation=img2pdf.Rotation.ifvalid)
    except Exception as exc:
        log.info("img2pdf could not embed %s as is (%s); re-encoding losslessly", source, exc)
        data = _reencoded_pdf(source, work_dir, default_dpi, layout)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise StorageError(f"The work folder {work_dir} is not writable ({exc.strerror}).") from exc
    return out


def _reencoded_pdf(source: Path, work_dir: Path, default_dpi: int, layout: Any) -> bytes:
    """Flatten transparency or odd modes into PNG frames img2pdf accepts."""
    image = _open_image(source)
    frames: list[str] = []
    try:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frame = _flatten(image)
            path = work_dir / f"frame-{index:04d}.png"
            frame.save(path, dpi=(_image_dpi(image, default_dpi),) * 2)
            frames.append(str(path))
        return bytes(img2pdf.convert(frames, layout_fun=layout))
    except (OSError, ValueError) as exc:
        raise CorruptFile(
            f"The image {source.name} is damaged and cannot be read ({exc})."
        ) from exc


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("1", "L", "RGB"):
        return image.copy()
    if "A" in image.getbands() or image.mode == "P":
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if image.mode.startswith("I"):
        return image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def plan_document(
    source: Path,
    media_type: MediaType,
    work_dir: Path,
    *,
    default_dpi: int,
    text_min_chars: int,
    redo_text: bool,
    poppler_timeout: float,
) -> DocumentPlan:
    """Decide how a document's pages will be read: its base PDF and which pages have text.

    The base PDF is the scan itself for PDFs, or a lossless wrapping of image scans; the
    searchable PDF is that base with a text layer added, so page images are never re-encoded.
    """
    base = source if media_type is MediaType.PDF else _image_base_pdf(source, work_dir, default_dpi)
    if media_type.is_image:
        _open_image(source).close()  # sizes checked before anything is decoded
    with open_pdf(base) as pdf:
        count = len(pdf.pages)
        for index, page in enumerate(pdf.pages):
            x0, y0, x1, y1 = _mediabox(page)
            inches = max(x1 - x0, y1 - y0) / 72
            if inches > MAX_PAGE_INCHES:
                raise _too_large(
                    source.name,
                    f"page {index + 1} is {inches * 2.54 / 100:.1f} m long, more than "
                    f"{MAX_PAGE_INCHES * 2.54 / 100:.1f} m",
                )
    if count == 0:
        raise CorruptFile(f"The PDF {source.name} has no pages.")
    text_pages: dict[int, str] = {}
    if media_type is MediaType.PDF and not redo_text:
        for index, text in enumerate(poppler.page_texts(base, poppler_timeout)):
            if sum(ch.isalnum() for ch in text) >= text_min_chars:
                text_pages[index] = text
    return DocumentPlan(source, media_type, base, count, text_pages)


def _rotation(page: pikepdf.Page) -> int:
    try:
        return int(page.obj.get("/Rotate", 0)) % 360
    except (TypeError, ValueError):
        return 0


def _mediabox(page: pikepdf.Page) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _to_displayed(image: Image.Image, rotate: int) -> Image.Image:
    """Turn stored pixels the way the PDF viewer turns the page (/Rotate is clockwise)."""
    turn = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    return image.transpose(turn[rotate]) if rotate in turn else image


def _for_ocr(image: Image.Image) -> Image.Image:
    """Bilevel, greyscale or RGB pixels; colour is kept so preprocessing can drop stamp ink."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode == "CMYK":
        return image.convert("RGB")
    return _flatten(image)


def _native_image(page: pikepdf.Page, min_dpi: int, max_dpi: int) -> PageRaster | None:
    """The page's own scan image when the page is exactly one upright full-page image.

    Returns None (and the caller renders the page) for anything else: vector content, several
    images, a rotated or partial placement, a mask, or an encoding Pillow cannot decode.
    """
    images = page.get_images(recursive=False)
    names = list(images.keys())
    if len(names) != 1:
        return None
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    placed: list[float] | None = None
    try:
        for instruction in pikepdf.parse_content_stream(page):
            operands, op = instruction.operands, str(instruction.operator)
            if op == "q":
                stack.append(ctm)
            elif op == "Q":
                ctm = stack.pop() if stack else ctm
            elif op == "cm":
                a, b, c, d, e, f = (float(v) for v in operands)
                m = ctm
                ctm = [
                    a * m[0] + b * m[2],
                    a * m[1] + b * m[3],
                    c * m[0] + d * m[2],
                    c * m[1] + d * m[3],
                    e * m[0] + f * m[2] + m[4],
                    e * m[1] + f * m[3] + m[5],
                ]
            elif op == "Do":
                if placed is not None or str(operands[0]) != names[0]:
                    return None
                placed = ctm
            elif op not in ("gs", "w", "J", "j", "M", "d", "ri", "i"):
                return None
    except (pikepdf.PdfError, ValueError, IndexError):
        return None
    if placed is None:
        return None
    a, b, c, d, e, f = placed
    if abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0 or d <= 0:
        return None
    x0, y0, x1, y1 = _mediabox(page)
    covered = (min(e + a, x1) - max(e, x0)) * (min(f + d, y1) - max(f, y0))
    if covered < 0.9 * (x1 - x0) * (y1 - y0):
        return None
    xobj = images[names[0]]
    if not isinstance(xobj, pikepdf.Stream) or xobj.get("/ImageMask", False) or "/SMask" in xobj:
        return None
    try:
        image = pikepdf.PdfImage(xobj).as_pil_image()
        image.load()
    except Exception:
        return None
    dpi = image.width / (a / 72)
    if not min_dpi <= dpi <= max_dpi:
        return None
    rotate = _rotation(page)
    frame = PageFrame(e, f, e + a, f + d, rotate)
    return PageRaster(_for_ocr(_to_displayed(image, rotate)), dpi, frame, "native")


def load_page(
    plan: DocumentPlan,
    index: int,
    *,
    render_dpi: int,
    default_dpi: int,
    min_native_dpi: int,
    max_native_dpi: int,
    poppler_timeout: float,
) -> PageRaster:
    """Get page ``index`` of a planned document as a greyscale or bilevel image for OCR."""
    with open_pdf(plan.base_pdf) as pdf:
        page = pdf.pages[index]
        rotate = _rotation(page)
        box = _mediabox(page)
        if plan.media_type.is_image:
            image = _open_image(plan.source, verify=False)  # verified when planned
            try:
                image.seek(index)
                image.load()
            except (OSError, EOFError, ValueError) as exc:
                raise CorruptFile(
                    f"Page {index + 1} of {plan.source.name} cannot be decoded "
                    f"({exc}). Scan it again."
                ) from exc
            frame = PageFrame(*box, rotate)
            displayed = _to_displayed(_for_ocr(image), rotate)
            dpi = displayed.width * 72 / frame.displayed_size[0]
            return PageRaster(displayed, dpi, frame, "image-file")
        native = _native_image(page, min_native_dpi, max_native_dpi)
        if native is not None:
            return native
    image = poppler.render_page(plan.base_pdf, index, render_dpi, poppler_timeout)
    return PageRaster(_for_ocr(image), float(render_dpi), PageFrame(*box, rotate), "rendered")
