"""Vietnamese syllable statistics for OCR post-correction.

Counts come from three sources: a segmented Vietnamese text corpus (real running text, so
"tháng" is known to be far more common than "thúng"), a 74k-word dictionary (every multi-syllable
word is a syllable pair that occurs), and the legal vocabulary of case files
(``data/legal_terms.txt``). The first two are installed into ``ocr_models/lexicon`` by set-up.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pipeline.errors import MissingDependency
from pipeline.text import places
from pipeline.text.tones import one_placement

_MARKS = {"đ": "d", "Đ": "D"}
# Vowel letters whose marked forms look alike in print and in Tesseract's errors.
CONFUSABLE_VOWELS = {"a": "uo", "u": "a", "o": "a"}


def skeleton(syllable: str) -> str:
    """The syllable's letters without tone or vowel marks: "Thị" -> "thi", "đơn" -> "don"."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return "".join(_MARKS.get(ch, ch) for ch in bare)


@dataclass(frozen=True)
class Lexicon:
    """Syllable and syllable-pair counts, and the syllables sharing each skeleton.

    Syllables are counted and looked up in one tone placement ("hoà" is "hòa"): the two
    spellings are one syllable, and a corrector must never take one for a misreading of the
    other.
    """

    unigrams: dict[str, int]
    bigrams: dict[tuple[str, str], int]
    total: int
    by_skeleton: dict[str, tuple[str, ...]]

    def __contains__(self, syllable: str) -> bool:
        return placed(syllable) in self.unigrams

    def count(self, syllable: str) -> int:
        """How often the syllable occurs."""
        return self.unigrams.get(placed(syllable), 0)

    def pair(self, first: str, second: str) -> int:
        """How often ``first`` is followed by ``second``."""
        return self.bigrams.get((placed(first), placed(second)), 0)

    def variants(self, syllable: str) -> tuple[str, ...]:
        """Known syllables written with the same letters but other marks."""
        return self.by_skeleton.get(skeleton(syllable), ())

    def near_variants(self, syllable: str) -> tuple[str, ...]:
        """Known syllables one vowel letter away that Tesseract confuses (tháng/thúng)."""
        bare = skeleton(syllable)
        found: list[str] = []
        for i, ch in enumerate(bare):
            for other in CONFUSABLE_VOWELS.get(ch, ""):
                found += self.by_skeleton.get(bare[:i] + other + bare[i + 1 :], ())
        return tuple(found)


SMOOTHING = 30.0  # pseudo-counts pulling a syllable pair towards the syllable's own frequency
NUMBER = "<num>"  # every number is one token: "ngày <num> tháng <num> năm <num>"


class ContextScorer:
    """How well a syllable fits between its neighbours: smoothed syllable-pair log probabilities."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lx = lexicon
        self.vocabulary = max(1, len(lexicon.unigrams))
        self._follows: dict[tuple[str | None, str], float] = {}

    def unigram(self, syllable: str) -> float:
        """P(syllable), smoothed so an unknown syllable is rare but possible."""
        return (self.lx.count(syllable) + 0.1) / (self.lx.total + 0.1 * self.vocabulary)

    def follows(self, first: str | None, second: str) -> float:
        """Log P(second | first), smoothed towards P(second)."""
        key = (first, second)
        known = self._follows.get(key)
        if known is None:
            known = self._follows[key] = self._follows_uncached(first, second)
        return known

    def _follows_uncached(self, first: str | None, second: str) -> float:
        if first is None:
            return math.log(self.unigram(second))
        prior = self.unigram(second)
        return math.log(
            (self.lx.pair(first, second) + SMOOTHING * prior) / (self.lx.count(first) + SMOOTHING)
        )

    def fit(self, before: str | None, syllable: str, after: str | None) -> float:
        """Log-probability of ``syllable`` between its neighbours (None: no neighbour)."""
        score = self.follows(before, syllable)
        if after is not None:
            score += self.follows(syllable, after)
        return score


@lru_cache(maxsize=200_000)
def placed(syllable: str) -> str:
    """The syllable in the one tone placement the lexicon counts in."""
    return one_placement(syllable)


def _syllables(phrase: str) -> list[str]:
    out = []
    for s in one_placement(unicodedata.normalize("NFC", phrase.lower())).replace("_", " ").split():
        if s.isalpha():
            out.append(s)
        elif s.replace(".", "").replace(",", "").isdigit():
            out.append(NUMBER)
    return out


def _add(
    phrase: list[str], weight: int, unigrams: Counter[str], bigrams: Counter[tuple[str, str]]
) -> None:
    for syllable in phrase:
        unigrams[syllable] += weight
    for pair in itertools.pairwise(phrase):
        bigrams[pair] += weight


_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def _running_text(path: Path, unigrams: Counter[str], bigrams: Counter[tuple[str, str]]) -> None:
    """Count a plain text file: punctuation and line ends break the context."""
    for line in path.read_text(encoding="utf-8").splitlines():
        run: list[str] = []
        for token in _TOKEN.findall(one_placement(unicodedata.normalize("NFC", line.lower()))):
            if token.isalpha():
                run.append(token)
            elif token.isdigit():
                run.append(NUMBER)
            else:
                _add(run, 1, unigrams, bigrams)
                run = []
        _add(run, 1, unigrams, bigrams)


def build(
    corpus: Path,
    dictionary: Path,
    legal_terms: list[str],
    texts: Sequence[Path] = (),
    names: Sequence[str] = (),
) -> Lexicon:
    """Count syllables and pairs from the corpus (sentences separated by blank lines).

    ``texts`` are plain running text (the legal codes), counted sentence piece by piece;
    ``names`` are place names with their unit words ("thị trấn Chũ"), counted once each.
    """
    unigrams: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    for text in texts:
        _running_text(text, unigrams, bigrams)
    sentence: list[str] = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        token = line.split("\t", 1)[0]
        words = _syllables(token)
        if not token.strip() or not words:  # sentence end or punctuation: context breaks
            _add(sentence, 1, unigrams, bigrams)
            sentence = []
            continue
        sentence += words
    _add(sentence, 1, unigrams, bigrams)
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        _add(_syllables(line), 1, unigrams, bigrams)
    for phrase in legal_terms:
        _add(_syllables(phrase), 20, unigrams, bigrams)
    for name in names:
        _add(_syllables(name), 1, unigrams, bigrams)
    by_skeleton: dict[str, list[str]] = {}
    for syllable in unigrams:
        by_skeleton.setdefault(skeleton(syllable), []).append(syllable)
    return Lexicon(
        dict(unigrams),
        dict(bigrams),
        sum(unigrams.values()),
        {k: tuple(v) for k, v in by_skeleton.items()},
    )


def legal_terms() -> list[str]:
    """The legal vocabulary and place names shipped with hoso."""
    lines: list[str] = []
    for name in ("legal_terms.txt", "places.txt"):
        text = resources.files("pipeline.text").joinpath(f"data/{name}").read_text("utf-8")
        lines += [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return lines


def installed(folder: Path) -> bool:
    """Whether set-up has put the lexicon's files in ``folder``."""
    return (folder / "vlsp2013.txt").is_file() and (folder / "Viet74K.txt").is_file()


@lru_cache(maxsize=2)
def load(folder: Path) -> Lexicon:
    """The lexicon from ``folder`` (``ocr_models/lexicon``), built once per process."""
    corpus, dictionary = folder / "vlsp2013.txt", folder / "Viet74K.txt"
    if not corpus.is_file() or not dictionary.is_file():
        raise MissingDependency(
            f"The Vietnamese lexicon is not in {folder}. Run `make models` to install it, or "
            "turn post-correction off with ocr.correct: false."
        )
    texts = [path for path in (folder / "legal-codes.txt",) if path.is_file()]
    return build(corpus, dictionary, legal_terms(), texts, places.names())
