"""Vietnamese post-correction of OCR words, changing a word only when it is clearly wrong.

OCR's Vietnamese errors are mostly marks: a tone on the wrong letter or missing (thẩm -> thầm,
PHỐ -> PHÓ, đơn -> don, Cổ phần -> Cô phân). For each word, the candidates are the known
syllables with the same letters and other marks. A run of words between punctuation is read as
a whole: the likeliest sequence by syllable-pair statistics of real Vietnamese and of legal
vocabulary, against a penalty for each word changed from what was read that grows with how
sure the recognisers were. A word changes only when the run's new reading wins by a wide
margin; every change is returned with its place, so a reviewer can see it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from pipeline.ocr.page import OcrPage, TextLine, Word
from pipeline.text.lexicon import NUMBER, ContextScorer, Lexicon, placed
from pipeline.text.quality import HONORIFICS, in_person_name

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

    max_confidence: float = 99.0  # words the recognisers are surer of than this are never changed
    min_gain: float = 4.0  # a run's new reading must be e^4 ≈ 55 times likelier, costs paid
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


def _name_part(flat: list[tuple[int, int, Word, tuple[str, str, str] | None]], i: int) -> bool:
    """A word of a person's name, or the honorific before one: never changed by context.

    The pair statistics know running text, not names: they would rather read "và ba Đào" than
    "và bà Đào", and "ông tuần" (a week) than "ông Tuấn".
    """
    parts = flat[i][3]
    following = flat[i + 1][3] if i + 1 < len(flat) else None
    if parts is not None and parts[1].lower() in HONORIFICS:
        return following is not None and following[1][:1].isupper()
    if parts is None or not parts[1][:1].isupper() or parts[1].isupper():
        return False
    return in_person_name([w.text for _, _, w, _ in flat[max(0, i - 5) : i]])


def _runs(joined_left: list[bool], joined_right: list[bool]) -> list[range]:
    """Runs of consecutive words that are context for each other (no punctuation between)."""
    runs: list[range] = []
    start = 0
    for i in range(1, len(joined_left) + 1):
        if i == len(joined_left) or not (joined_right[i - 1] and joined_left[i]):
            runs.append(range(start, i))
            start = i
    return runs


def _choices(
    core: str | None,
    word: Word,
    parts: tuple[str, str, str] | None,
    lexicon: Lexicon,
    options: CorrectorOptions,
) -> list[tuple[str, float]]:
    """A word's possible readings with what changing to each costs (the reading itself: 0)."""
    assert core is not None
    if parts is None or word.confidence > options.max_confidence:
        return [(core, 0.0)]
    cost = options.confidence_weight * word.confidence
    if core not in lexicon:
        cost -= 2.0  # what was read is not a Vietnamese syllable at all
    found: dict[str, float] = {core: 0.0}
    same = placed(core)  # "thoả" is "thỏa" spelled the old way, not a misreading of it
    for candidate in lexicon.variants(core):
        if candidate != same:
            found.setdefault(candidate, cost)
    for candidate in lexicon.near_variants(core):
        if candidate != same:
            found.setdefault(candidate, cost + options.letter_change_cost)
    return list(found.items())


def _best_path(
    choices: list[list[tuple[str, float]]], scorer: ContextScorer
) -> tuple[list[str], float]:
    """The likeliest reading of a run (syllable pairs minus change costs), and its gain.

    A run is decoded as a whole (Viterbi over each word's readings), so two neighbours read
    wrong together ("Cô phân" for "Cổ phần") are put right together, which a word-by-word
    check against wrong neighbours cannot do.
    """
    scores = {c: scorer.follows(None, c) - cost for c, cost in choices[0]}
    back: list[dict[str, str]] = []
    for step in choices[1:]:
        nxt: dict[str, float] = {}
        link: dict[str, str] = {}
        for candidate, cost in step:
            prev, value = max(
                ((p, v + scorer.follows(p, candidate)) for p, v in scores.items()),
                key=lambda pv: pv[1],
            )
            nxt[candidate], link[candidate] = value - cost, prev
        scores = nxt
        back.append(link)
    last = max(scores, key=lambda c: scores[c])
    path = [last]
    for link in reversed(back):
        path.append(link[path[-1]])
    path.reverse()
    read = [c[0][0] for c in choices]
    current = scorer.follows(None, read[0]) + sum(
        scorer.follows(a, b) for a, b in itertools.pairwise(read)
    )
    return path, scores[last] - current


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
    for run in _runs(joined_left, joined_right):
        if len(run) < 2:
            continue  # no context, no evidence
        choices = [
            [(cores[i] or "", 0.0)]
            if _name_part(flat, i)
            else _choices(cores[i], flat[i][2], flat[i][3], lexicon, options)
            for i in run
        ]
        if all(len(c) == 1 for c in choices):
            continue
        path, gain = _best_path(choices, scorer)
        if gain < options.min_gain:
            continue  # the margin is asked once of the run's new reading
        for i, best in zip(run, path, strict=True):
            li, wi, word, parts = flat[i]
            if best == cores[i] or parts is None:
                continue
            new_text = parts[0] + _cased(parts[1], best) + parts[2]
            changes[(li, wi)] = new_text
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
