"""Which way up a page is read: it is turned only when the text read turned is clearly better.

The pixel signals of the orientation stage (line direction, ink above and below the lines,
Tesseract's OSD) are right on almost every page, but "almost" turned one upright page in ten
of an independent corpus (pages that are mostly table, signature or seal, later pages of a
file), and an archived and signed page shown sideways is worse than a page left as it came.
So their verdict is only a proposal. When it proposes a turn, the page is also read as it
stands, and the turn is kept only if its text is clearly better (:data:`CLEARLY` times the
plausible text, and :data:`MIN_GAIN` characters more); when a page reads badly however it was
turned, every other quarter turn is read too, and the clearly best one wins. The reading that
decides is a quick one (trueocr's detector and recogniser, about a fifth of a full read), and
it costs nothing on the usual upright page that reads well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from pipeline.imaging.prepare import OsdProbe, Prepared, PrepareOptions, prepare
from pipeline.ocr import layout
from pipeline.ocr.engines import Recognizer, TrueOcrEngine
from pipeline.ocr.page import OcrPage
from pipeline.text.lexicon import Lexicon
from pipeline.text.quality import (
    PageQuality,
    judge_page,
    reading_score,
    seal_agreement,
    unsure_share,
)

CLEARLY = 1.5  # a turn must read at least this many times the plausible text of the other way
MIN_GAIN = 40.0  # ... and this many more plausible characters (a few words)
Lap = Callable[[str], object]


@dataclass(frozen=True)
class Reading:
    """A page read the way up that won, how it scored, and what was tried."""

    prepared: Prepared
    page: OcrPage
    quality: PageQuality
    probes: dict[int, float] = field(default_factory=dict)  # quarter turns -> quick score


def clearly_better(candidate: float, current: float) -> bool:
    """Whether a turned reading beats the current one by enough to turn the page."""
    return candidate >= CLEARLY * current and candidate - current >= MIN_GAIN


def assess(prepared: Prepared, page: OcrPage, lexicon: Lexicon | None) -> PageQuality:
    """The page's quality verdict: confidence, known syllables, and the ink left unread."""
    gray = np.asarray(prepared.image.convert("L"), dtype=np.uint8)
    boxes = [line.box for line in page.lines]
    # Without lines, a body text line is about a sixth of an inch high.
    unit = layout.line_height(boxes) if boxes else prepared.dpi / 6
    covered, letters = layout.text_ink(layout.ink(gray), boxes, unit)
    coverage = covered / letters if letters else 1.0
    unsure = unsure_share(page.lines)
    sealed = seal_agreement(page.lines)
    return judge_page(page.words, coverage, letters, lexicon, unsure=unsure, sealed=sealed)


def read_upright(
    image: Image.Image,
    dpi: float,
    options: PrepareOptions,
    engine: Recognizer,
    lexicon: Lexicon | None,
    lap: Lap,
    osd: OsdProbe | None,
    deadline: float,
) -> Reading:
    """Prepare and read one page raster, settling which way up it is by reading it."""
    first = prepare(image, dpi, options, lap, osd)
    prepared: dict[int, Prepared] = {first.quarter_turns: first}
    probes: dict[int, float] = {}
    quick = TrueOcrEngine()

    def at(turns: int) -> Prepared:
        if turns not in prepared:
            prepared[turns] = prepare(image, dpi, options, lap, osd, turns=turns)
        return prepared[turns]

    def probe(turns: int) -> float:
        if turns not in probes:
            candidate = at(turns)
            found = quick.read(candidate.image, candidate.dpi, deadline)
            probes[turns] = round(reading_score(found.words, lexicon), 1)
            lap("orientation check")
        return probes[turns]

    chosen = first.quarter_turns
    if options.orientation and chosen != 0 and not clearly_better(probe(chosen), probe(0)):
        chosen = 0
    page = engine.read(at(chosen).image, at(chosen).dpi, deadline)
    lap("ocr")
    quality = assess(at(chosen), page, lexicon)
    if options.orientation and quality.verdict == "poor":
        current = probe(chosen)
        best = max(range(4), key=probe)
        if best != chosen and clearly_better(probes[best], current):
            chosen = best
            page = engine.read(at(chosen).image, at(chosen).dpi, deadline)
            lap("ocr")
            quality = assess(at(chosen), page, lexicon)
    return Reading(at(chosen), page, quality, probes)
