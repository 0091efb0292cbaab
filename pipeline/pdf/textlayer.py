"""The invisible text layer laid over a page image so text can be selected and extracted.

Words are drawn in text render mode 3 (invisible) with a glyphless font whose every glyph is
half an em wide; each word is stretched with Tz to its box, so selection lines up with the print.
Each line sits on one horizontal baseline (see content_stream), because extraction tools group
words into lines by baseline.
Characters are written as their Unicode code points (Identity-H) and a ToUnicode map returns them,
which makes ``pdftotext`` give back the NFC text exactly.
"""

from __future__ import annotations

import math
import statistics
import zlib
from importlib import resources

import pikepdf

from pipeline.imaging.geometry import Matrix, apply, identity
from pipeline.imaging.sources import PageFrame
from pipeline.ocr.page import OcrPage, TextLine

FONT_NAME = "/HosoOCR"
_GLYPH_WIDTH = 0.5  # em

_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identify-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


def glyphless_font(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    """Create the Type0 glyphless font in ``pdf`` (once per output file)."""
    font_program = resources.files("pipeline.pdf.resources").joinpath("glyphless.ttf").read_bytes()
    font_file = pikepdf.Stream(pdf, font_program)
    font_file["/Length1"] = len(font_program)
    cid_to_gid = pikepdf.Stream(pdf, zlib.compress(b"\x00\x01" * 65536))
    cid_to_gid["/Filter"] = pikepdf.Name.FlateDecode
    descriptor = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor,
            FontName=pikepdf.Name.GlyphLessFont,
            Flags=5,
            FontBBox=[0, 0, 500, 1000],
            ItalicAngle=0,
            Ascent=1000,
            Descent=0,
            CapHeight=1000,
            StemV=80,
            FontFile2=font_file,
        )
    )
    cid_font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.CIDFontType2,
            BaseFont=pikepdf.Name.GlyphLessFont,
            CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
            FontDescriptor=descriptor,
            DW=500,
            CIDToGIDMap=cid_to_gid,
        )
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type0,
            BaseFont=pikepdf.Name.GlyphLessFont,
            Encoding=pikepdf.Name("/Identity-H"),
            DescendantFonts=[cid_font],
            ToUnicode=pikepdf.Stream(pdf, _TO_UNICODE),
        )
    )


def frame_matrix(frame: PageFrame) -> tuple[float, float, float, float, float, float]:
    """Map displayed-page points (origin bottom-left, y up) to the page's unrotated user space."""
    x0, y0, x1, y1 = frame.x0, frame.y0, frame.x1, frame.y1
    width = x1 - x0
    if frame.rotate == 90:
        return (0, 1, -1, 0, x0 + width, y0)
    if frame.rotate == 180:
        return (-1, 0, 0, -1, x1, y1)
    if frame.rotate == 270:
        return (0, -1, 1, 0, x0, y1)
    return (1, 0, 0, 1, x0, y0)


def _hex(text: str) -> str:
    return "".join(f"{ord(ch):04X}" if ord(ch) <= 0xFFFF else "FFFD" for ch in text)


def _num(value: float, digits: int = 2) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def content_stream(
    ocr: OcrPage,
    frame: PageFrame,
    to_upright: Matrix | None = None,
    upright_size: tuple[int, int] | None = None,
) -> bytes:
    """PDF operators that draw the page's words invisibly at their printed positions.

    Word boxes are in the pixels Tesseract read; ``to_upright`` maps them onto the upright page
    raster (undoing deskew, perspective and scaling), whose size is ``upright_size``.
    """
    matrix = identity() if to_upright is None else to_upright
    width, height = upright_size if upright_size and upright_size[0] else (ocr.width, ocr.height)
    disp_w, disp_h = frame.displayed_size
    sx, sy = disp_w / width, disp_h / height
    ops: list[str] = ["q", " ".join(_num(v) for v in frame_matrix(frame)) + " cm", "BT", "3 Tr"]
    for line in ocr.lines:
        left, top, right, _ = line.box
        span = max(1, right - left)

        def baseline(x: float, line: TextLine = line, left: int = left, span: int = span) -> float:
            return line.baseline[0] + (x - left) / span * (line.baseline[1] - line.baseline[0])

        # One horizontal baseline per line, at the line's middle: text extraction (pdftotext,
        # search indexers) groups words into lines by baseline, and a sloped or rotated line
        # would be torn apart or interleaved with its neighbours.
        mid = (left + right) / 2
        _, mid_y = apply(matrix, mid, baseline(mid))
        base_y = disp_h - mid_y * sy
        # Size the font from the words' typical height, not the line box: a signature or
        # seal stroke caught in the line inflates the box, and extraction tools then split or
        # merge the line's words by the resulting font size.
        word_height = statistics.median(w.box[3] - w.box[1] for w in line.words)
        top_pt, bottom_pt = apply(matrix, mid, top), apply(matrix, mid, top + word_height)
        size = max(1.0, math.dist(top_pt, bottom_pt) * sy * 0.85)
        ops.append(f"{FONT_NAME} {_num(size)} Tf")
        last = len(line.words) - 1
        for n, word in enumerate(line.words):
            w_left, _, w_right, _ = word.box
            start = apply(matrix, w_left, baseline(w_left))
            end = apply(matrix, w_right, baseline(w_right))
            natural = len(word.text) * _GLYPH_WIDTH * size
            scale = max(1.0, math.dist(start, end) * sx / natural * 100)
            # A real space after each word: extraction tools then separate words whatever the
            # gap between the boxes (stamps and signatures inflate line heights and font sizes).
            shown = word.text + (" " if n < last else "")
            ops.append(
                f"{_num(scale)} Tz 1 0 0 1 {_num(start[0] * sx)} {_num(base_y)} Tm "
                f"<{_hex(shown)}> Tj"
            )
    ops += ["ET", "Q"]
    return ("\n".join(ops) + "\n").encode("ascii")


def add_text_layer(
    pdf: pikepdf.Pdf,
    page: pikepdf.Page,
    ocr: OcrPage,
    frame: PageFrame,
    font: pikepdf.Dictionary,
    to_upright: Matrix | None = None,
    upright_size: tuple[int, int] | None = None,
) -> None:
    """Lay ``ocr``'s words over ``page`` without touching its existing content."""
    resources_dict = page.obj.get("/Resources")
    if resources_dict is None:
        page.obj.Resources = pikepdf.Dictionary()
    fonts = page.obj.Resources.get("/Font")
    if fonts is None:
        page.obj.Resources.Font = pikepdf.Dictionary()
        fonts = page.obj.Resources.Font
    fonts[FONT_NAME] = font
    # Isolate the original drawing so its graphics state cannot leak into the text layer.
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(
        pikepdf.Stream(pdf, b"Q\n" + content_stream(ocr, frame, to_upright, upright_size)),
        prepend=False,
    )
