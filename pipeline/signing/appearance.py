"""How the visible signature looks: a stamp on the last page, in Vietnamese, with an embedded font.

The built-in PDF fonts have no Vietnamese glyphs, so the stamp embeds a subset of a TrueType font
(Noto Serif by default, from Debian's fonts-noto-core, installed by ``make``) through pyHanko's
OpenType support. The font must have 1000 units per em: pyHanko mixes HarfBuzz advances (font
units) with PDF widths (thousandths), so a 2048-unit font such as Liberation Serif comes out
letter-spaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

DEFAULT_FONT = Path("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf")
# Where the stamp sits on the last page, in PDF points from the lower left (A4 is 595 x 842).
STAMP_BOX = (330, 40, 565, 125)


@dataclass(frozen=True)
class StampSpec:
    """Who signs, in what capacity, for which office (printed on the stamp)."""

    signer: str
    title: str = ""
    office: str = ""
    font: Path = DEFAULT_FONT


def stamp_text(spec: StampSpec) -> str:
    """The stamp's lines; ``%(ts)s`` is filled in by pyHanko with the signing time."""
    lines = [f"Ký bởi: {spec.signer}"]
    if spec.title:
        lines.append(f"Chức vụ: {spec.title}")
    if spec.office:
        lines.append(f"Cơ quan: {spec.office}")
    lines.append("Thời gian ký: %(ts)s")
    return "\n".join(line.replace("%", "%%") if "%(ts)s" not in line else line for line in lines)


def stamp_style(spec: StampSpec) -> TextStampStyle:
    """A pyHanko text stamp with an embedded font that has Vietnamese glyphs."""
    return TextStampStyle(
        stamp_text=stamp_text(spec),
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(spec.font), font_size=8)),
        border_width=1,
        timestamp_format="%d/%m/%Y %H:%M:%S %z",
    )
