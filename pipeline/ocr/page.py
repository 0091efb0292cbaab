"""What every recogniser returns: lines of words with boxes and confidences, in reading order.

The chain, the text layer, post-correction and the vote see only these objects, never an
engine's own, so an engine can be swapped or combined without touching them.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[int, int, int, int]  # left, top, right, bottom in image pixels


@dataclass(frozen=True)
class Word:
    """A recognised word: text (NFC), box in image pixels (left, top, right, bottom), confidence."""

    text: str
    box: Box
    confidence: float


@dataclass(frozen=True)
class TextLine:
    """A line of words with its box and baseline (y at the line's left and right edges)."""

    words: tuple[Word, ...]
    box: Box
    baseline: tuple[float, float]
    block: int
    # How far two recognisers agreed on the line (1: the same text; one recogniser: 1).
    agreement: float = 1.0
    # Whether a seal as dark as the print lies over the line (its reading needs both readers).
    under_seal: bool = False

    @property
    def text(self) -> str:
        """The words of the line separated by single spaces."""
        return " ".join(word.text for word in self.words)


@dataclass(frozen=True)
class OcrPage:
    """Everything a recogniser read on one page image."""

    lines: tuple[TextLine, ...]
    width: int
    height: int

    @property
    def text(self) -> str:
        """The page text: lines joined by newlines, blocks separated by a blank line."""
        parts: list[str] = []
        previous_block: int | None = None
        for line in self.lines:
            if previous_block is not None and line.block != previous_block:
                parts.append("")
            parts.append(line.text)
            previous_block = line.block
        return "\n".join(parts)

    @property
    def words(self) -> list[Word]:
        """Every word of the page in reading order."""
        return [word for line in self.lines for word in line.words]

    @property
    def mean_confidence(self) -> float:
        """Mean word confidence (0-100); 0 for a page with no words."""
        confidences = [w.confidence for line in self.lines for w in line.words]
        return sum(confidences) / len(confidences) if confidences else 0.0


def spread_words(text: str, box: Box, confidence: float) -> tuple[Word, ...]:
    """Words of a line known only as text, with boxes shared out by their length.

    An engine that reads a whole line (trueocr) gives no word boxes; the line's width is divided
    in proportion to each word's characters, a space counting as one, which is close enough for
    the invisible text layer and the review marks of a printed line.
    """
    parts = text.split()
    if not parts:
        return ()
    left, top, right, bottom = box
    total = sum(len(p) for p in parts) + len(parts) - 1
    unit = (right - left) / max(1, total)
    words: list[Word] = []
    at = 0
    for part in parts:
        x0 = left + round(at * unit)
        x1 = left + round((at + len(part)) * unit)
        words.append(Word(part, (x0, top, max(x0 + 1, x1), bottom), confidence))
        at += len(part) + 1
    return tuple(words)
