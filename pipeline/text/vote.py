"""Two recognisers read every line; where they differ, the reading that is better Vietnamese wins.

Tesseract and trueocr fail differently: Tesseract drops and doubles tone marks (thẩm -> thầm,
đồng -> đông, PHỐ -> PHÓ) and breaks letters under seals; trueocr confuses other marks (Điều ->
Điễu, cầu -> cẩu) and sometimes runs words together. Each line is read by both, their words are
aligned (an edit-distance alignment of the two word sequences), and each place where they differ
is settled by what the words are: a known syllable beats a string no syllable spells, and
between two known syllables the one that fits its neighbours in real Vietnamese text wins,
unless Tesseract was sure of its own. Boxes come from Tesseract's words, so the text layer still
lines up with the print.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from rapidfuzz.distance import Levenshtein

from pipeline.ocr import engines, layout, tesseract, trueocr
from pipeline.ocr.page import Box, OcrPage, Word, spread_words
from pipeline.ocr.trueocr import LineText
from pipeline.text.lexicon import NUMBER, ContextScorer, Lexicon
from pipeline.text.quality import WEIGHTS, Kind, core, in_person_name, kind, reading_score

_ODD = set("$¡¿‘’‚„†‡•…‰‹›€£¥©®°±§¶~^`|\\{}[]<>@#*_")


@dataclass(frozen=True)
class VoteOptions:
    """How much evidence overrules Tesseract (log-probability units of the syllable pairs)."""

    margin: float = 1.5  # a known syllable replaces another only if this much likelier in context
    sure: float = 92.0  # above this confidence Tesseract's word needs ``sure_margin`` instead
    sure_margin: float = 4.0
    min_second: float = 80.0  # trueocr's words are taken in gaps only when read this surely
    unsure: float = 75.0  # a number or code Tesseract read less surely than this may be replaced


class Judge:
    """Settles the places where the two readings of a line differ."""

    def __init__(self, lexicon: Lexicon | None, options: VoteOptions = VoteOptions()) -> None:
        self.lexicon = lexicon
        self.scorer = ContextScorer(lexicon) if lexicon is not None else None
        self.options = options

    def _token(self, text: str | None) -> str | None:
        if text is None:
            return None
        body = core(text).lower()
        if body.isalpha():
            return body
        return NUMBER if body[:1].isdigit() else None

    def _fit(self, left: str | None, text: str, right: str | None) -> float:
        assert self.scorer is not None
        token = core(text).lower()
        return self.scorer.fit(self._token(left), token, self._token(right))

    def word(
        self, first: Word, second: str, sure: float, before: Sequence[str], right: str | None
    ) -> Word:
        """One word each: Tesseract's ``first`` (with its box) or trueocr's ``second``.

        ``sure`` is trueocr's confidence in its line; ``before`` the words already settled on
        the line, ``right`` the next word as Tesseract read it.
        """
        left = before[-1] if before else None
        if first.text in _DASHES and second in _DASHES:
            # Tesseract's dash was settled by the width of its ink (:func:`settle_dashes`);
            # trueocr writes every dash as a hyphen.
            return first
        if _digits(first.text) != _digits(second):
            # No engine takes a number for a word: such a pair is the alignment's mistake
            # (trueocr's "phí:20.750.000 đông" against "phí: 20.750.000 đồng."), and Tesseract's
            # word has its own box.
            return first
        if first.text.lower() == second.lower():
            capitals = _shouting(first.text) and not _shouting(second)
            if capitals and not _shouting_around(left, right):
                # Tesseract reads a capital with marks as a run of capitals ("VỀ quan hệ",
                # "BỊ cáo"); among lower-case neighbours the other engine's case is the print's.
                return replace(first, text=second)
            return first
        kind_a, kind_b = kind(first.text, self.lexicon), kind(second, self.lexicon)
        if kind_a != kind_b:
            return first if kind_a > kind_b else replace(first, text=second)
        if kind_a is Kind.KNOWN and self.scorer is not None:
            if core(first.text).lower() == core(second).lower():
                return first  # the same syllable with other punctuation: Tesseract's
            options = self.options
            if in_person_name(before) and core(second)[:1].isupper():
                # Syllable pairs of running text say nothing about names ("ông Tuấn" is not
                # "ông tuần", a week): the engines' certainty decides.
                return replace(first, text=second) if first.confidence < options.sure else first
            gain = self._fit(left, second, right) - self._fit(left, first.text, right)
            needed = options.sure_margin if first.confidence >= options.sure else options.margin
            return replace(first, text=second) if gain > needed else first
        odd_a = sum(ch in _ODD for ch in first.text)
        odd_b = sum(ch in _ODD for ch in second)
        if odd_b != odd_a:
            return replace(first, text=second) if odd_b < odd_a else first
        # Numbers and codes: the lexicon cannot tell, the engines' certainty can.
        unsure = first.confidence < self.options.unsure
        return replace(first, text=second) if unsure and sure >= self.options.min_second else first

    def span_value(self, texts: Sequence[str]) -> float:
        """How plausible a run of tokens is as text: characters weighted by kind."""
        return sum(len(core(t) or t) * WEIGHTS[kind(t, self.lexicon)] for t in texts)


def agreement(first: Sequence[Word], second: LineText) -> float:
    """How far the two recognisers read a line alike: 1 minus their normalised edit distance.

    Two readers that fail differently rarely agree on a line they both misread: a signer's
    title half hidden under a fax's black seal comes back as two different strings of
    plausible syllables, each read with confidence.
    """
    mine = " ".join(w.text for w in first)
    if not mine and not second.text:
        return 1.0
    return float(1.0 - Levenshtein.normalized_distance(mine, second.text))


def _digits(text: str) -> bool:
    """Whether a token has a digit in it (a number, a date, a code)."""
    return any(ch.isdigit() for ch in text)


def _shouting(text: str) -> bool:
    """A word of two or more letters, all capitals."""
    body = core(text)
    return len(body) >= 2 and body.isalpha() and body.isupper()


def _shouting_around(left: str | None, right: str | None) -> bool:
    """Whether a neighbour is in capitals too (a heading, an issuer's name, a code)."""
    return any(word is not None and core(word).isupper() for word in (left, right))


def _noise(words: Sequence[Word], judge: Judge) -> bool:
    """Specks Tesseract read as letters: unsure, and nothing a reader could have printed."""
    return all(kind(w.text, judge.lexicon) is Kind.GARBAGE and w.confidence < 60 for w in words)


def _span_box(words: Sequence[Word], before: Word | None, after: Word | None, line: Box) -> Box:
    """Where a run of trueocr's words goes: over Tesseract's words it replaces, or in the gap."""
    if words:
        return (
            min(w.box[0] for w in words),
            min(w.box[1] for w in words),
            max(w.box[2] for w in words),
            max(w.box[3] for w in words),
        )
    left = before.box[2] + 1 if before else line[0]
    right = after.box[0] - 1 if after else line[2]
    top = min((w.box[1] for w in (before, after) if w), default=line[1])
    bottom = max((w.box[3] for w in (before, after) if w), default=line[3])
    return (left, top, max(left + 1, right), bottom)


_DASHES = frozenset({"-", "–", "—", "-—", "—-", "--", "~"})
HYPHEN_BELOW = 0.40  # a lone dash narrower than this many letter heights is a hyphen
EN_DASH_ABOVE = 0.52  # ... wider than this an en dash ("Độc lập – Tự do – Hạnh phúc")
EM_DASH_ABOVE = 0.95


def settle_dashes(words: Sequence[Word]) -> tuple[Word, ...]:
    """Write each dash standing alone by its printed width: hyphen, en dash or em dash.

    trueocr knows only the hyphen and Tesseract reads an en dash as either, while the motto
    and many names print en dashes; the ink is the better witness. Widths between the bands
    keep what was read.
    """
    heights = sorted(w.box[3] - w.box[1] for w in words if core(w.text).isalpha())
    if not heights:
        return tuple(words)
    unit = max(1, heights[len(heights) // 2])
    out: list[Word] = []
    for word in words:
        if word.text in _DASHES:
            ratio = (word.box[2] - word.box[0]) / unit
            if ratio < HYPHEN_BELOW:
                word = replace(word, text="-")
            elif ratio > EM_DASH_ABOVE:
                word = replace(word, text="—")
            elif ratio > EN_DASH_ABOVE:
                word = replace(word, text="–")
        out.append(word)
    return tuple(out)


def vote_line(first: Sequence[Word], second: LineText, box: Box, judge: Judge) -> tuple[Word, ...]:
    """One line read by Tesseract (``first``) and by trueocr (``second``), voted word by word.

    Tesseract's dashes are settled by their width first (its boxes are the printed ink; the
    boxes of words only trueocr read are shared out by length and say nothing of width).
    """
    return _vote(settle_dashes(first), second, box, judge)


_GLUED = re.compile(r"(?<=[^\W\d_])([:;])(?=\w)")


def _vote(first: Sequence[Word], second: LineText, box: Box, judge: Judge) -> tuple[Word, ...]:
    # trueocr runs a label into what follows it ("phí:20.750.000"); Tesseract does not.
    theirs = _GLUED.sub(r"\1 ", second.text).split()
    if not first:
        if theirs and second.confidence >= judge.options.min_second:
            value = judge.span_value(theirs)
            if value >= 0.6 * sum(len(core(t) or t) for t in theirs):
                return spread_words(second.text, box, second.confidence)
        return ()
    if not theirs:
        return tuple(first)
    ours = [w.text for w in first]
    out: list[Word] = []
    for op in Levenshtein.opcodes(ours, theirs):
        mine = list(first[op.src_start : op.src_end])
        alt = theirs[op.dest_start : op.dest_end]
        if op.tag == "equal":
            out += [replace(w, confidence=max(w.confidence, second.confidence)) for w in mine]
            continue
        if op.tag == "replace" and len(mine) == len(alt):
            for k, (word, other) in enumerate(zip(mine, alt, strict=True)):
                at = op.src_start + k + 1
                right = ours[at] if at < len(ours) else None
                out.append(judge.word(word, other, second.confidence, [w.text for w in out], right))
            continue
        # Runs of different lengths, or words only one engine saw: keep the run that is more
        # plausible text, by a clear margin for trueocr's (Tesseract's carry real boxes).
        mine_value = judge.span_value([w.text for w in mine])
        alt_value = judge.span_value(alt)
        sure_alt = second.confidence >= judge.options.min_second
        if alt and sure_alt and alt_value > 1.25 * mine_value + 0.5:
            before = out[-1] if out else None
            after = first[op.src_end] if op.src_end < len(first) else None
            confidence = min(second.confidence, 75.0)
            out += spread_words(" ".join(alt), _span_box(mine, before, after, box), confidence)
        elif mine and (alt or not _noise(mine, judge)):
            out += mine  # words trueocr did not see are kept unless they are noise
    return tuple(out)


@dataclass(frozen=True)
class VotingRecognizer:
    """Lines found by trueocr's detector, read by Tesseract and by trueocr, voted word by word.

    Lines whose letters are small (the issuer block and the number line of many headers, every
    line of a 150-dpi scan) are read by Tesseract a second time enlarged, and the better of
    the two readings (:func:`~pipeline.text.quality.reading_score`) goes to the vote.
    """

    tessdata: Path
    languages: str
    lexicon: Lexicon | None
    small_line: float = 40.0  # a line box lower than this many pixels at 300 dpi is enlarged
    name: str = "vote"

    def read(self, image: Image.Image, dpi: float, deadline: float) -> OcrPage:
        """Read the page, with round seals and underlines taken out first.

        Taking them out is itself checked by reading: a line whose pixels it changed and that
        still reads unsurely is read again as scanned, and keeps the better reading (a ring
        on a fax is as black as the letters it crosses, and goes with bits of them). Lines a
        lighter second ink runs through (a seal in greyscale) are read again without it, and
        each keeps the better of its two readings.
        """
        scanned = np.asarray(image.convert("L"), dtype=np.uint8)
        gray, seals = layout.without_rings(scanned)
        gray, rules = layout.without_rules(gray, dpi)
        if seals or rules:
            image = Image.fromarray(gray)
        ink = layout.ink(gray)
        lines = engines.find_lines(gray, ink)
        boxes = list(lines.boxes)
        judge = Judge(self.lexicon)
        fit = dict(zip(boxes, layout.separated(ink, boxes), strict=True))
        voted, agreed = self._read(image, gray, dpi, boxes, judge, deadline, fit)
        if seals or rules:
            changed = [
                k
                for k, (x0, y0, x1, y1) in enumerate(boxes)
                if _weak(voted[k]) and (gray[y0:y1, x0:x1] != scanned[y0:y1, x0:x1]).any()
            ]
            self._better((voted, agreed), changed, scanned, dpi, boxes, judge, deadline, fit)
        weak = [k for k, words in enumerate(voted) if _weak(words)]
        cleaned, inked = layout.without_second_ink(gray, [boxes[k] for k in weak])
        again_at = [weak[i] for i in inked]
        self._better((voted, agreed), again_at, cleaned, dpi, boxes, judge, deadline, fit)
        dark = [seal for seal in seals if seal.one_ink]
        under = [any(seal.covers(box) for seal in dark) for box in boxes]
        return engines.page_of(voted, lines, image.size, agreed, under)

    def _better(
        self,
        readings: tuple[list[tuple[Word, ...]], list[float]],
        again_at: list[int],
        gray: NDArray[np.uint8],
        dpi: float,
        boxes: list[Box],
        judge: Judge,
        deadline: float,
        fit: dict[Box, Box],
    ) -> None:
        """Read the lines ``again_at`` on another copy of the page; keep each better reading.

        ``readings`` are the lines' words and the recognisers' agreement on each, both
        updated where a line is read better.
        """
        if not again_at:
            return
        voted, agreed = readings
        again, agreement = self._read(
            Image.fromarray(gray), gray, dpi, [boxes[k] for k in again_at], judge, deadline, fit
        )
        for k, i in self._keep_better(voted, again_at, again):
            agreed[k] = agreement[i]

    def _keep_better(
        self, current: list[tuple[Word, ...]], at: list[int], again: list[tuple[Word, ...]]
    ) -> list[tuple[int, int]]:
        """Put each of ``again`` in place of ``current[at[i]]`` where it reads better.

        Returns the (line, i) pairs replaced.
        """
        replaced: list[tuple[int, int]] = []
        for i, (k, words) in enumerate(zip(at, again, strict=True)):
            if reading_score(words, self.lexicon) > reading_score(current[k], self.lexicon):
                current[k] = words
                replaced.append((k, i))
        return replaced

    def _read(
        self,
        image: Image.Image,
        gray: NDArray[np.uint8],
        dpi: float,
        boxes: list[Box],
        judge: Judge,
        deadline: float,
        fit: dict[Box, Box],
    ) -> tuple[list[tuple[Word, ...]], list[float]]:
        """Each box read by both engines (small lines enlarged for Tesseract), then voted.

        A line Tesseract read unsurely or not at all is read again with the parts of the lines
        above and below in its box made paper (``fit``: where each line ends), and keeps the
        better reading: a detector's box reaches into its neighbours, and given half of
        another line Tesseract's single-line mode often returns nothing (on closely set
        200-dpi faxes, most lines of a page).
        """
        if not boxes:
            return [], []
        first = tesseract.read_lines(
            image, dpi, boxes, tessdata=self.tessdata, languages=self.languages, deadline=deadline
        )
        own = [fit.get(b, b) for b in boxes]

        def again(at: list[int], where: list[Box], **how: Any) -> None:
            """Read the lines ``at`` once more, in ``where``, and keep the better readings."""
            if at:
                read = tesseract.read_lines(
                    image,
                    dpi,
                    where,
                    tessdata=self.tessdata,
                    languages=self.languages,
                    deadline=deadline,
                    **how,
                )
                self._keep_better(first, at, read)

        unsure = [k for k, words in enumerate(first) if _weak(words) and own[k] != boxes[k]]
        again(unsure, [boxes[k] for k in unsure], bands=[(own[k][1], own[k][3]) for k in unsure])
        small = [k for k, b in enumerate(boxes) if (b[3] - b[1]) * 300 < self.small_line * dpi]
        again(small, [own[k] for k in small], scale=2.0)
        second = trueocr.read_lines(gray, boxes)
        voted = [
            vote_line(mine, theirs, box, judge)
            for mine, theirs, box in zip(first, second, boxes, strict=True)
        ]
        return voted, [agreement(mine, theirs) for mine, theirs in zip(first, second, strict=True)]


def _weak(words: Sequence[Word]) -> bool:
    """A line worth a second look: nothing read, or read unsurely."""
    if not words:
        return True
    return min(w.confidence for w in words) < 60 or vote_mean(words) < 85


def vote_mean(words: Sequence[Word]) -> float:
    """Mean confidence of a line's words."""
    return sum(w.confidence for w in words) / len(words) if words else 0.0
