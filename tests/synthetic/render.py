"""Render invented documents into page images with a Times-compatible Vietnamese font."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.synthetic.documents import SyntheticDocument

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
A4_MM = (210.0, 297.0)


@dataclass(frozen=True)
class RenderedPage:
    """A page image at ``dpi`` and the text printed on it."""

    image: Image.Image
    text: str
    dpi: int


@lru_cache(maxsize=64)
def _font(size_px: int, bold: bool, italic: bool) -> ImageFont.FreeTypeFont:
    style = {
        (False, False): "Regular",
        (True, False): "Bold",
        (False, True): "Italic",
        (True, True): "BoldItalic",
    }[(bold, italic)]
    return ImageFont.truetype(str(FONT_DIR / f"LiberationSerif-{style}.ttf"), size_px)


def render_page(doc: SyntheticDocument, index: int, dpi: int = 300) -> RenderedPage:
    """Draw page ``index`` of ``doc`` as a white A4 greyscale image at ``dpi``."""
    width = round(A4_MM[0] / 25.4 * dpi)
    height = round(A4_MM[1] / 25.4 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    margin_left = round(30 / 25.4 * dpi)
    top = round(20 / 25.4 * dpi)
    y = {"left": top, "right": top, "body": 0, "center": 0}
    header_done = False
    for line in doc.pages[index]:
        font = _font(round(line.size / 72 * dpi), line.bold, line.italic)
        advance = round(line.size / 72 * dpi * 1.45)
        text_width = draw.textlength(line.text, font=font)
        if line.column in ("left", "right"):
            # Decree 30 layout: a narrower issuer block on the left, the motto on the right.
            mm = dpi / 25.4
            col_left = round(12 * mm) if line.column == "left" else round(100 * mm)
            col_width = round(86 * mm) if line.column == "left" else round(100 * mm)
            x = col_left + (col_width - text_width) / 2
            draw.text((x, y[line.column]), line.text, font=font, fill=0)
            y[line.column] += advance
            continue
        if not header_done:
            y["body"] = max(y["left"], y["right"]) + advance
            header_done = True
        x = (width - text_width) / 2 if line.column == "center" else margin_left
        draw.text((x, y["body"]), line.text, font=font, fill=0)
        y["body"] += advance
    return RenderedPage(image=image, text=doc.page_text(index), dpi=dpi)
