"""Vietnamese post-correction of OCR words, changing a word only when it is clearly wrong.

Tesseract's Vietnamese errors are mostly marks: a tone on the wrong letter or missing (thẩm ->
thầm, PHỐ -> PHÓ, đơn -> don). For each word Tesseract was unsure of, the candidates are the
known syllables with the same letters and other marks. Each is scored by how well it fits
between its neighbours (syllable-pair statistics of real Vietnamese and of legal vocabulary),
against a penalty for disagreeing with what Tesseract saw. A candidate replaces the word only
when it wins by a wide margin; every change is returned with its place, so a reviewer can see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pipeline.ocr.page import OcrPage, TextLine, Word
from pipeline.text.lexicon import NUMBER, ContextScorer, Lexicon

_CORE = re.compile(r"^(\W*)(\w+?)(\W*)$", re.UNICODE)
_NUMBER = re.compile(r"^\d[\d.,/]*$")


@dataclass(frozen=True)
class Correction:
    """One word changed: where it is, what Tesseract read, what it became, and why."""

    line: int
    word: int
    before: str
    after: str
    box: tuple[int, int, int, int]
    confidence: float
    gain: float  # how many times likelier the new word is, in natural-log units


@dataclass(frozen=True)
class CorrectorOptions:
    """How cautious the corrector is."""

    max_confidence: float = 93.0  # words Tesseract is surer of than this are never changed
    min_gain: float = 4.0  # the new word must be e^4 ≈ 55 times likelier in context
    confidence_weight: float = 0.06  # each point of confidence costs this much gain
    letter_change_cost: float = 4.0  # extra gain needed to change a letter, not just marks


def _split(text: str) -> tuple[str, str, str] | None:
    match = _CORE.match(text)
    if match is None or not match.group(2).isalpha():
        return None
    return match.group(1), match.group(2), match.group(3)


def _cased(template: str, syllable: str) -> str:
    if template.isupper() and len(template) > 1:
        return syllable.upper()
    if template[:1].isupper():
        return syllable[:1].upper() + syllable[1:]
    return syllable


def correct_page(
    page: OcrPage, lexicon: Lexicon, options: CorrectorOptions = CorrectorOptions()
) -> tuple[OcrPage, list[Correction]]:
    """Return the page with confident corrections applied, and the list of them."""
    scorer = ContextScorer(lexicon)
    flat: list[tuple[int, int, Word, tuple[str, str, str] | None]] = [
        (li, wi, word, _split(word.text))
        for li, line in enumerate(page.lines)
        for wi, word in enumerate(line.words)
    ]
    cores = [
        parts[1].lower() if parts else (NUMBER if _NUMBER.match(word.text) else None)
        for _, _, word, parts in flat
    ]
    # Context does not run across punctuation; a number is context ("ngày <num> tháng").
    joined_left = [
        cores[i] is not None and (parts is None or not parts[0])
        for i, (_, _, _, parts) in enumerate(flat)
    ]
    joined_right = [
        cores[i] is not None and (parts is None or not parts[2])
        for i, (_, _, _, parts) in enumerate(flat)
    ]
    changes: dict[tuple[int, int], str] = {}
    corrections: list[Correction] = []
    for i, (li, wi, word, parts) in enumerate(flat):
        if parts is None or word.confidence > options.max_confidence:
            continue
        core = cores[i]
        assert core is not None
        candidates = [(c, 0.0) for c in lexicon.variants(core) if c != core]
        candidates += [(c, options.letter_change_cost) for c in lexicon.near_variants(core)]
        if not candidates:
            continue
        before = cores[i - 1] if i > 0 and joined_left[i] and joined_right[i - 1] else None
        after = (
            cores[i + 1] if i + 1 < len(flat) and joined_right[i] and joined_left[i + 1] else None
        )
        if before is None and after is None:
            continue  # no context, no evidence
        current = scorer.fit(before, core, after)
        best_score, best, _ = max(
            (scorer.fit(before, c, after) - cost, c, cost) for c, cost in candidates
        )
        gain = best_score - current
        needed = options.min_gain + options.confidence_weight * word.confidence
        if core not in lexicon:
            needed -= 2.0  # Tesseract's word is not a Vietnamese syllable at all
        if gain < needed:
            continue
        new_text = parts[0] + _cased(parts[1], best) + parts[2]
        changes[(li, wi)] = new_text
        cores[i] = best
        corrections.append(
            Correction(li, wi, word.text, new_text, word.box, word.confidence, round(gain, 2))
        )
    if not changes:
        return page, []
    lines: list[TextLine] = []
    for li, line in enumerate(page.lines):
        words = tuple(
            replace(w, text=changes[(li, wi)]) if (li, wi) in changes else w
            for wi, w in enumerate(line.words)
        )
        lines.append(replace(line, words=words))
    return replace(page, lines=tuple(lines)), corrections
