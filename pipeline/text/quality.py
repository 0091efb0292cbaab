"""How well a page, a line or a word was read, judged by the text itself.

Confidence alone is a weak witness: Tesseract reports 40-60 on text read upside down, but also
on faded print it read correctly. What the words are is a second witness that does not depend
on the engine: Vietnamese text is almost all syllables of a known, closed set, so a reading
whose words are known syllables is a reading of real text, and garbage from a page read the
wrong way up, or from a seal, is not. Every decision that compares two readings of the same
pixels (which way up a page is, whether an enlarged line read better, which engine's word to
keep) scores them with :func:`reading_score`, so each checks itself instead of trusting a
threshold tuned on one corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from pipeline.ocr.page import TextLine, Word
from pipeline.text.fold import fold
from pipeline.text.lexicon import Lexicon
from pipeline.text.syllables import is_syllable

_CORE = re.compile(r"^(\W*)(.*?)(\W*)$", re.UNICODE)
_NUMERIC = re.compile(r"^[\dOIl|]*\d[\d.,/:\-–]*[A-ZĐa-zđ]?$")
_CODE = re.compile(r"^[\dA-ZĐ][\dA-ZĐ/.\-–]*$")
_CODE_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZĐ")


class Kind(IntEnum):
    """What a token is, from least to most plausible as printed text."""

    GARBAGE = 0  # letters no Vietnamese syllable spells, or stray symbols
    SHAPED = 1  # spelled like a syllable but not one the lexicon knows (a rare name)
    OTHER = 2  # a number, a code, punctuation: judged by the engines, not the lexicon
    KNOWN = 3  # a syllable the lexicon knows


WEIGHTS = {Kind.GARBAGE: 0.1, Kind.SHAPED: 0.7, Kind.OTHER: 0.8, Kind.KNOWN: 1.0}


def core(text: str) -> str:
    """The token without the punctuation around it ("Giang;" -> "Giang")."""
    match = _CORE.match(text)
    return match.group(2) if match else text


def kind(text: str, lexicon: Lexicon | None) -> Kind:
    """Classify one token as printed text (see :class:`Kind`)."""
    body = core(text)
    if not body:
        return Kind.OTHER if len(text) <= 2 else Kind.GARBAGE
    if body.isalpha():
        lower = body.lower()
        if lexicon is not None and lower in lexicon:
            return Kind.KNOWN
        folded = fold(lower)
        if is_syllable(folded):
            return Kind.SHAPED
        if body.isupper() and len(body) <= 10 and all(c in _CODE_LETTERS for c in body):
            return Kind.OTHER  # an abbreviation or a code: TNHH, UBND, QĐCNHG, CCTHADS
        return Kind.GARBAGE
    if _NUMERIC.match(body) or _CODE.match(body):
        return Kind.OTHER
    if "-" in body and all(core(p).isalpha() or not p for p in body.split("-")):
        return Kind.SHAPED  # hyphenated words: "Thẩm phán-Chủ tọa"
    return Kind.GARBAGE


HONORIFICS = frozenset({"ông", "bà", "anh", "chị", "em", "cháu", "cụ"})


def in_person_name(before: Sequence[str], longest: int = 4) -> bool:
    """Whether the next word continues a person's name: an honorific, then capitalised words.

    "Ông Lê Quang" + "Tuấn", "và bà" + "Đào": names are not running text, and what a word
    is there is not decided by how Vietnamese sentences go.
    """
    for back, text in enumerate(reversed(before)):
        body = core(text)
        if body.lower() in HONORIFICS:
            return True
        if back >= longest or not body[:1].isupper() or body.isupper() or text != body:
            return False
    return False


def reading_score(words: Iterable[Word], lexicon: Lexicon | None) -> float:
    """The amount of plausible text in a reading: characters, by kind, times confidence.

    Two readings of the same pixels compare by this number: a right reading has more
    characters that are known syllables, read surely; a wrong one (upside down, sideways, an
    enlargement that broke the letters) has fewer, or garbage.
    """
    total = 0.0
    for word in words:
        weight = WEIGHTS[kind(word.text, lexicon)]
        total += len(core(word.text) or word.text) * weight * max(0.0, word.confidence) / 100
    return total


@dataclass(frozen=True)
class PageQuality:
    """A page's reading judged three ways, and the verdict a person sees.

    ``confidence`` is the mean word confidence (0-100); ``syllables`` the share of alphabetic
    words that are known Vietnamese syllables; ``coverage`` the share of the page's
    letter-sized ink that lies inside a line that was read. ``verdict`` is "ok", "poor"
    (``reasons`` say which measure failed), "doubtful" (the page was read, but a part of it that
    matters, named in ``reasons``, was not read surely) or "blank" (no text to read).
    """

    confidence: float
    syllables: float
    coverage: float
    verdict: str
    reasons: tuple[str, ...] = ()
    unsure: float = 0.0  # share of the text's letters in lines read unsurely
    sealed: float = 1.0  # the readers' least agreement on a line under a dark seal (1: none)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, stored with the page."""
        return {
            "confidence": round(self.confidence, 1),
            "syllables": round(self.syllables, 3),
            "coverage": round(self.coverage, 3),
            "unsure": round(self.unsure, 3),
            "sealed": round(self.sealed, 3),
            "verdict": self.verdict,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class QualityBar:
    """Where a page stops counting as read. Set well below what any real reading scores.

    Measured on hundreds of generated and real pages, a page read the right way up scores a
    mean confidence above 75, more than 80% known syllables and a coverage above 80%; text
    read upside down or sideways scores below 50, 40% and 30%.
    """

    min_confidence: float = 55.0
    min_syllables: float = 0.6
    min_coverage: float = 0.55
    # A page whose body reads well can still have lost a block (the signer's title and name
    # under a seal on a fax): more than this share of its letters in lines read unsurely.
    max_unsure: float = 0.2
    unsure_line: float = 50.0  # a line whose words average less than this is read unsurely
    min_agreement: float = 0.7  # ... and one the two recognisers read less alike than this
    # A line under a seal as dark as the print is read through the seal's lettering: both
    # readers can be confidently wrong there, differently, on a few words that matter (the
    # signer's title and name). Such a line counts as read only when they nearly agree.
    min_sealed_agreement: float = 0.9
    sure_line: float = 90.0  # ... unless Tesseract read it with at least this confidence
    min_words: int = 5  # a page with fewer words and fewer letters of ink is blank
    min_letters: int = 40


def unsure_share(lines: Iterable[TextLine], bar: QualityBar = QualityBar()) -> float:
    """Share of the letters read that lie in lines read unsurely.

    A line is unsure when its words were read with little confidence, or when the two
    recognisers read it very differently (``TextLine.agreement``): each may be confident of
    its own wrong reading.
    """
    total = unsure = 0
    for line in lines:
        words = line.words
        letters = sum(len(core(w.text)) for w in words)
        total += letters
        mean = sum(w.confidence for w in words) / len(words) if words else 0.0
        if words and (mean < bar.unsure_line or line.agreement < bar.min_agreement):
            unsure += letters
    return unsure / total if total else 0.0


def seal_agreement(lines: Iterable[TextLine], bar: QualityBar = QualityBar()) -> float:
    """The two readers' least agreement on a line of words under a dark seal (1.0: none).

    A line Tesseract read with high confidence is left out: the seal did not trouble it, and
    the other reader is the one that stumbled.
    """
    return min(
        (
            line.agreement
            for line in lines
            if line.under_seal
            and sum(len(core(w.text)) for w in line.words) >= 3
            and sum(w.confidence for w in line.words) / len(line.words) < bar.sure_line
        ),
        default=1.0,
    )


def judge_page(
    words: Sequence[Word],
    coverage: float,
    letters: int,
    lexicon: Lexicon | None,
    bar: QualityBar = QualityBar(),
    unsure: float = 0.0,
    sealed: float = 1.0,
) -> PageQuality:
    """The verdict on one page's reading.

    Args:
        words: every word read on the page.
        coverage: share of the page's letter-sized ink inside the lines that were read.
        letters: how many letter-sized marks of ink the page has (few: nothing to read).
        lexicon: the syllables known to be Vietnamese (None: only confidence and coverage).
        bar: where a reading stops counting as read.
        unsure: share of the letters in lines read unsurely (:func:`unsure_share`).
        sealed: the readers' least agreement under a dark seal (:func:`seal_agreement`).
    """
    alphabetic = [w for w in words if core(w.text).isalpha()]
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    known = sum(1 for w in alphabetic if kind(w.text, lexicon) is Kind.KNOWN)
    syllables = known / len(alphabetic) if alphabetic else 0.0
    if letters < bar.min_letters and len(words) < bar.min_words:
        return PageQuality(confidence, syllables, coverage, "blank", (), unsure, sealed)
    reasons: list[str] = []
    if confidence < bar.min_confidence:
        reasons.append("low_confidence")
    if lexicon is not None and alphabetic and syllables < bar.min_syllables:
        reasons.append("not_vietnamese")
    if coverage < bar.min_coverage:
        reasons.append("text_missed")
    if unsure > bar.max_unsure:
        reasons.append("lines_unsure")
    doubtful = sealed < bar.min_sealed_agreement
    if doubtful:
        reasons.append("seal_over_text")
    verdict = "doubtful" if reasons == ["seal_over_text"] else "poor" if reasons else "ok"
    return PageQuality(confidence, syllables, coverage, verdict, tuple(reasons), unsure, sealed)
