"""The processing chain for one document: plan it, read each page, assemble the searchable PDF.

This is what ``hoso process`` runs and what the jobs layer wraps with persistence. The three
steps are separate functions so a pool can spread the pages of one large document, or of many
small ones, over all worker processes. Nothing here knows of the database, the inbox or the web.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pikepdf
from numpy.typing import NDArray
from PIL import Image

from pipeline import __version__
from pipeline.extract import Extraction, SourceLine, SourceWord, extract, lines_from_text
from pipeline.extract import lines_from_words as _lines_from_words
from pipeline.imaging.geometry import Matrix, apply, identity
from pipeline.imaging.prepare import PrepareOptions
from pipeline.imaging.sources import DocumentPlan, PageFrame, load_page, open_pdf, plan_document
from pipeline.ingest.filetypes import MediaType, sniff
from pipeline.ocr import tesseract
from pipeline.ocr.engines import Recognizer, TesseractEngine, TrueOcrEngine
from pipeline.ocr.page import OcrPage
from pipeline.pdf.pdfa import mark_pdfa
from pipeline.pdf.textlayer import add_text_layer, glyphless_font
from pipeline.review import Flag, flags_for
from pipeline.settings import Settings
from pipeline.text import lexicon
from pipeline.text.correct import Correction, correct_page
from pipeline.text.lexicon import installed as lexicon_installed
from pipeline.text.normalize import normalize_ocr_text
from pipeline.text.quality import PageQuality
from pipeline.text.vote import VotingRecognizer
from pipeline.upright import read_upright


@dataclass(frozen=True)
class ChainOptions:
    """The part of the settings the chain needs, small enough to send to worker processes."""

    tessdata: Path
    languages: str
    page_timeout: float
    render_dpi: int
    default_image_dpi: int
    min_native_dpi: int
    max_native_dpi: int
    text_layer_min_chars: int
    redo_text_pages: bool
    poppler_timeout: float
    pdfa: bool
    prepare: PrepareOptions
    lexicon: Path | None  # None: the lexicon is not installed (no vote, no post-correction)
    correct: bool
    engine: str  # one of pipeline.ocr.engines.ENGINES

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainOptions:
        """Take the chain's options from the loaded settings."""
        ocr = settings.ocr
        return cls(
            tessdata=settings.tessdata_dir,
            languages=ocr.languages,
            page_timeout=ocr.page_timeout,
            render_dpi=ocr.render_dpi,
            default_image_dpi=ocr.default_image_dpi,
            min_native_dpi=ocr.min_native_dpi,
            max_native_dpi=ocr.max_native_dpi,
            text_layer_min_chars=ocr.text_layer_min_chars,
            redo_text_pages=ocr.redo_text_pages,
            poppler_timeout=settings.programs.poppler_timeout,
            pdfa=settings.output.pdfa,
            prepare=PrepareOptions(**settings.imaging.model_dump()),
            lexicon=settings.lexicon_dir if lexicon_installed(settings.lexicon_dir) else None,
            correct=settings.ocr.correct,
            engine=settings.ocr.engine,
        )


class StageClock:
    """Times the stages of one page, for the benchmark and for tuning."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> dict[str, float]:
        """Charge the time since the last lap to ``stage``; returns all timings so far."""
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        self._last = now
        return self.timings


@dataclass(frozen=True)
class PageResult:
    """One page read: its text (NFC), mean word confidence and how it was obtained."""

    index: int
    text: str
    confidence: float
    source: str  # "ocr" or "text_layer"
    ocr: OcrPage | None  # words in the prepared image's pixels
    frame: PageFrame | None  # where the upright raster sits on the page (new /Rotate included)
    dpi: float
    timings: dict[str, float]  # seconds spent per stage: load, orientation, deskew, ..., ocr
    to_upright: Matrix = field(default_factory=identity)  # prepared pixel -> upright raster
    upright_size: tuple[int, int] = (0, 0)
    notes: dict[str, object] = field(default_factory=dict)
    corrections: tuple[Correction, ...] = ()
    quality: PageQuality | None = None  # None for a page whose own text layer was kept

    @property
    def turned(self) -> int:
        """Degrees hoso turned the page clockwise to read it upright (0, 90, 180, 270)."""
        value = self.notes.get("turned", 0)
        return int(value) if isinstance(value, int) else 0


@dataclass(frozen=True)
class DocumentResult:
    """A processed document: its pages and, when asked for, the searchable PDF written."""

    source: Path
    media_type: MediaType
    pages: tuple[PageResult, ...]
    output: Path | None
    fields: Extraction | None = None

    @property
    def text(self) -> str:
        """The whole document's text, pages separated by form feeds."""
        return "\f".join(page.text for page in self.pages)

    @property
    def flags(self) -> list[Flag]:
        """What a reviewer must be told: pages read badly or blank, fields not found."""
        return flags_for(
            [p.quality for p in self.pages], [p.turned for p in self.pages], self.fields
        )


Fractions = tuple[float, float, float, float]


def _to_fractions(page: PageResult) -> Callable[[tuple[int, int, int, int]], Fractions]:
    """Turn boxes in the prepared image's pixels into fractions of the upright page."""
    assert page.ocr is not None
    width, height = page.upright_size if page.upright_size[0] else (page.ocr.width, page.ocr.height)
    matrix = page.to_upright

    def box(b: tuple[int, int, int, int]) -> Fractions:
        x0, y0 = apply(matrix, b[0], b[1])
        x1, y1 = apply(matrix, b[2], b[3])
        return (
            round(min(x0, x1) / width, 4),
            round(min(y0, y1) / height, 4),
            round(max(x0, x1) / width, 4),
            round(max(y0, y1) / height, 4),
        )

    return box


def source_lines(page: PageResult) -> list[SourceLine]:
    """A page's lines for extraction, word boxes as fractions of the upright page."""
    if page.ocr is None:
        return lines_from_text(page.index, page.text)
    box = _to_fractions(page)
    return _lines_from_words(
        page.index,
        [
            [SourceWord(w.text, box(w.box), w.confidence) for w in line.words]
            for line in page.ocr.lines
        ],
    )


def page_marks(page: PageResult, below: float) -> list[dict[str, object]]:
    """Words a reviewer should look at: read with confidence under ``below``, or post-corrected.

    Boxes are fractions of the upright page, so a viewer can draw them over any rendering of
    the archived page whatever its size.
    """
    if page.ocr is None:
        return []
    box = _to_fractions(page)
    corrected = {(c.line, c.word): c for c in page.corrections}
    marks: list[dict[str, object]] = []
    for li, line in enumerate(page.ocr.lines):
        for wi, word in enumerate(line.words):
            fix = corrected.get((li, wi))
            if fix is not None:
                marks.append(
                    {
                        "kind": "corrected",
                        "text": word.text,
                        "before": fix.before,
                        "confidence": round(fix.confidence, 1),
                        "box": list(box(fix.box)),
                    }
                )
            elif word.confidence < below and word.text.strip():
                marks.append(
                    {
                        "kind": "low",
                        "text": word.text,
                        "before": "",
                        "confidence": round(word.confidence, 1),
                        "box": list(box(word.box)),
                    }
                )
    return marks


def extract_fields(pages: tuple[PageResult, ...] | list[PageResult]) -> Extraction:
    """Read the document's facts from all its pages (the step after the last page is read)."""
    return extract([line for page in pages for line in source_lines(page)])


@lru_cache(maxsize=2)
def recognizer(options: ChainOptions) -> Recognizer:
    """The engine ``options.engine`` names, made once per worker process (models load once)."""
    if options.engine == "trueocr":
        return TrueOcrEngine()
    if options.engine == "vote":
        words = lexicon.load(options.lexicon) if options.lexicon is not None else None
        return VotingRecognizer(options.tessdata, options.languages, words)
    return TesseractEngine(options.tessdata, options.languages)


def plan(source: Path, work_dir: Path, options: ChainOptions) -> DocumentPlan:
    """Identify the file and decide how its pages will be read (the first step)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    media_type = sniff(source)
    return plan_document(
        source,
        media_type,
        work_dir,
        default_dpi=options.default_image_dpi,
        text_min_chars=options.text_layer_min_chars,
        redo_text=options.redo_text_pages,
        poppler_timeout=options.poppler_timeout,
    )


def read_page(doc: DocumentPlan, index: int, options: ChainOptions) -> PageResult:
    """Read one page: its existing text layer, or OCR of its image (the second step)."""
    clock = StageClock()
    if index in doc.text_pages:
        text = normalize_ocr_text(doc.text_pages[index])
        return PageResult(index, text, 100.0, "text_layer", None, None, 0.0, clock.lap("load"))
    raster = load_page(
        doc,
        index,
        render_dpi=options.render_dpi,
        default_dpi=options.default_image_dpi,
        min_native_dpi=options.min_native_dpi,
        max_native_dpi=options.max_native_dpi,
        poppler_timeout=options.poppler_timeout,
    )
    clock.lap("load")
    tessdata = options.tessdata

    def osd(gray: NDArray[np.uint8]) -> int | None:
        small = Image.fromarray(gray).reduce(2) if max(gray.shape) > 2000 else Image.fromarray(gray)
        return tesseract.detect_orientation(small, tessdata=tessdata)

    deadline = time.monotonic() + options.page_timeout
    words = lexicon.load(options.lexicon) if options.lexicon is not None else None
    engine = recognizer(options)
    clock.lap("models")  # loaded once per worker process; the first page pays for it
    reading = read_upright(
        raster.image,
        raster.dpi,
        options.prepare,
        engine,
        words,
        clock.lap,
        osd,
        deadline,
    )
    prepared, page = reading.prepared, reading.page
    notes = dict(prepared.notes) | {"turned": prepared.quarter_turns * 90}
    if reading.probes:
        notes["orientation_probes"] = {str(k * 90): v for k, v in sorted(reading.probes.items())}
    corrections: list[Correction] = []
    if words is not None and options.correct:
        page, corrections = correct_page(page, words)
        clock.lap("correct")
    frame = replace(raster.frame, rotate=(raster.frame.rotate + 90 * prepared.quarter_turns) % 360)
    return PageResult(
        index,
        page.text,
        round(page.mean_confidence, 2),
        "ocr",
        page,
        frame,
        prepared.dpi,
        clock.timings,
        prepared.to_upright,
        prepared.upright_size,
        notes,
        tuple(corrections),
        reading.quality,
    )


def assemble(doc: DocumentPlan, pages: list[PageResult], out: Path, options: ChainOptions) -> Path:
    """Write the searchable PDF: the base pages with invisible text layers (the last step).

    The file is written next to ``out`` under a temporary name and renamed, so a reader never
    sees a half-written PDF.
    """
    tmp = out.with_name(f".{out.name}.tmp")
    with open_pdf(doc.base_pdf) as pdf:
        font = None
        for result in pages:
            if result.ocr is None or result.frame is None or not result.ocr.lines:
                continue
            if font is None:
                font = glyphless_font(pdf)
            page = pdf.pages[result.index]
            if result.frame.rotate != int(page.obj.get("/Rotate", 0)) % 360:
                page.obj.Rotate = result.frame.rotate  # a page fed sideways now shows upright
            add_text_layer(
                pdf, page, result.ocr, result.frame, font, result.to_upright, result.upright_size
            )
        if options.pdfa:
            mark_pdfa(pdf, title=doc.source.stem, producer=f"hoso {__version__}")
        pdf.remove_unreferenced_resources()
        pdf.save(
            tmp,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            compress_streams=True,
            fix_metadata_version=True,
        )
    tmp.replace(out)
    return out


def process_document(
    source: Path, work_dir: Path, options: ChainOptions, out: Path | None = None
) -> DocumentResult:
    """Run the whole chain for one document in this process (tests and single files)."""
    doc = plan(source, work_dir, options)
    pages = [read_page(doc, i, options) for i in range(doc.page_count)]
    written = assemble(doc, pages, out, options) if out is not None else None
    return DocumentResult(source, doc.media_type, tuple(pages), written, extract_fields(pages))
