"""How the visible signature looks: a stamp on the last page, in Vietnamese, with an embedded font.

The built-in PDF fonts have no Vietnamese glyphs, so the stamp embeds a subset of a TrueType font
(Noto Serif by default, from Debian's fonts-noto-core, installed by ``make``) through pyHanko's
OpenType support. The font must have 1000 units per em: pyHanko mixes HarfBuzz advances (font
units) with PDF widths (thousandths), so a 2048-unit font such as Liberation Serif comes out
letter-spaced.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools import subset, ttLib
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


# Latin, Vietnamese letters, combining marks, punctuation: all a stamp can print.
_STAMP_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x324),
    *range(0x1EA0, 0x1F00),
    *range(0x2010, 0x2027),
]


@lru_cache(maxsize=4)
def stamp_font(font: Path) -> Path:
    """``font`` cut down to the letters a Vietnamese stamp uses, made once and cached.

    pyHanko subsets the embedded font at every signature; subsetting the whole Noto Serif (3,000+
    glyphs) takes about 0.35 s, a cut-down copy a few milliseconds.
    """
    digest = hashlib.sha256(f"{font}:{font.stat().st_mtime_ns}".encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"hoso-stamp-font-{digest}.ttf"
    if not target.exists():
        options = subset.Options()
        # NFC Vietnamese uses precomposed letters: no shaping tables needed, and parsing them
        # at every signature would cost more than the rest of the stamp.
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF"]
        ttfont = ttLib.TTFont(font)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=_STAMP_UNICODES)
        subsetter.subset(ttfont)
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        ttfont.save(tmp)
        tmp.replace(target)
    return target


def stamp_style(spec: StampSpec) -> TextStampStyle:
    """A pyHanko text stamp with an embedded font that has Vietnamese glyphs."""
    font = GlyphAccumulatorFactory(str(stamp_font(spec.font)), font_size=8)
    return TextStampStyle(
        stamp_text=stamp_text(spec),
        text_box_style=TextBoxStyle(font=font),
        border_width=1,
        timestamp_format="%d/%m/%Y %H:%M:%S %z",
    )
