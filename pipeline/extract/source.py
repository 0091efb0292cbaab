"""What extraction reads: the document's lines, each with its page, box and OCR confidence.

Extraction is a pure stage: it never sees the OCR engine's objects, only these lines, so it runs
the same on OCR output, on a PDF's own text layer and on text typed into a test. The chain turns
its page results into lines with :func:`lines_from_words`, which also splits a line Tesseract read
across the two header columns back into the issuer's half and the motto's half.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.text.fold import fold

Box = tuple[float, float, float, float]  # left, top, right, bottom, as fractions of the page


@dataclass(frozen=True)
class SourceWord:
    """An OCR word: NFC text, box as fractions of the upright page, confidence 0-100."""

    text: str
    box: Box
    confidence: float


@dataclass(frozen=True)
class SourceLine:
    """One printed line (one column's part of it) as extraction sees it."""

    text: str
    page: int  # 0-based
    box: Box | None = None
    confidence: float = 100.0


def lines_from_text(page: int, text: str) -> list[SourceLine]:
    """Lines of a page known only as text (a PDF's text layer, a test)."""
    return [SourceLine(line.strip(), page) for line in text.split("\n") if line.strip()]


def lines_from_words(page: int, lines: Sequence[Sequence[SourceWord]]) -> list[SourceLine]:
    """Lines from OCR words, split where a gap is far wider than a space (a column break).

    Tesseract often reads "CỤC THADS TỈNH X" and "CỘNG HÒA XÃ HỘI ..." on one line because they
    share a baseline; a gap of more than about three letter heights cannot be a word space.
    """
    out: list[SourceLine] = []
    for words in lines:
        if not words:
            continue
        height = statistics.median(w.box[3] - w.box[1] for w in words)
        group: list[SourceWord] = [words[0]]
        for word in words[1:]:
            if word.box[0] - group[-1].box[2] > 3.0 * height:
                out.append(_join(page, group))
                group = []
            group.append(word)
        out.append(_join(page, group))
    return out


def _join(page: int, words: Sequence[SourceWord]) -> SourceLine:
    box = (
        min(w.box[0] for w in words),
        min(w.box[1] for w in words),
        max(w.box[2] for w in words),
        max(w.box[3] for w in words),
    )
    confidence = sum(w.confidence for w in words) / len(words)
    return SourceLine(" ".join(w.text for w in words), page, box, round(confidence, 1))


@dataclass(frozen=True)
class Flow:
    """All lines joined by newlines, its folded twin, and where each line starts.

    Rules search ``folded`` and cut printed text out of ``text`` at the same offsets.
    """

    lines: tuple[SourceLine, ...]
    text: str
    folded: str
    starts: tuple[int, ...]

    @classmethod
    def of(cls, lines: Sequence[SourceLine]) -> Flow:
        """Join ``lines`` into one searchable text."""
        starts: list[int] = []
        offset = 0
        for line in lines:
            starts.append(offset)
            offset += len(line.text) + 1
        text = "\n".join(line.text for line in lines)
        return cls(tuple(lines), text, fold(text), tuple(starts))

    def line_at(self, offset: int) -> int:
        """Index of the line holding ``offset``."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def where(self, start: int, end: int) -> tuple[int | None, Box | None, float]:
        """Page, box and mean confidence of the lines a span covers (box on the first page)."""
        if not self.lines:
            return None, None, 0.0
        first, last = self.line_at(start), self.line_at(max(start, end - 1))
        covered = self.lines[first : last + 1]
        page = covered[0].page
        boxes = [line.box for line in covered if line.box is not None and line.page == page]
        box = (
            (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            if boxes
            else None
        )
        confidence = sum(line.confidence for line in covered) / len(covered)
        return page, box, confidence
