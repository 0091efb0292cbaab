"""A search query taken apart: document numbers, quoted phrases and loose words, in both forms.

A full-text backend matches *clauses*: every clause must match, and a clause is a set of
alternatives, each a run of words that must stand together (a one-word run is a plain word).
Loose words become one-alternative clauses unless fuzzy matching adds spellings OCR damaged.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.extract.numbers import find_numbers
from pipeline.search.forms import exact, folded

Clause = tuple[tuple[str, ...], ...]
SPELLED_PHRASES = 64  # most damaged spellings of a whole phrase tried
_TOKEN = re.compile(r"\w+")
_PHRASE = re.compile(r'"([^"]*)"')


def words_of(text: str, form: Callable[[str], str]) -> tuple[str, ...]:
    """The words of ``text`` in ``form`` (folded or exact)."""
    return tuple(_TOKEN.findall(form(text)))


@dataclass(frozen=True)
class Tier:
    """One full-text query a search runs, on the folded text.

    A row ranks by the first tier that finds it; within the tier, rows whose exact text also
    matches ``accents`` (the diacritics as typed) rank first.
    """

    name: str
    clauses: list[Clause]
    accents: list[Clause] | None = None


@dataclass(frozen=True)
class Query:
    """What was asked: canonical numbers, phrases and words, folded and exact.

    ``accented`` says whether the user typed diacritics: only then does an exact-diacritic
    match earn a higher rank.
    """

    numbers: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    words: tuple[str, ...]
    exact_phrases: tuple[tuple[str, ...], ...]
    exact_words: tuple[str, ...]
    accented: bool

    @classmethod
    def parse(cls, text: str, number_filter: str = "") -> Query:
        """Numbers first (any printed variant, matched canonically), then phrases and words."""
        found = find_numbers(text)
        for match in found:
            text = text.replace(match.printed, " ")
        numbers = [m.canonical for m in found] + [m.canonical for m in find_numbers(number_filter)]
        quoted = _PHRASE.findall(text)
        loose = _PHRASE.sub(" ", text).replace('"', " ")
        phrases = tuple(p for p in (words_of(q, folded) for q in quoted) if p)
        exact_phrases = tuple(p for p in (words_of(q, exact) for q in quoted) if p)
        words = words_of(loose, folded)
        exact_words = words_of(loose, exact)
        typed = " ".join([*quoted, loose]).lower()
        return cls(
            tuple(dict.fromkeys(numbers)),
            phrases,
            words,
            exact_phrases,
            exact_words,
            folded(typed) != typed,
        )

    @property
    def has_text(self) -> bool:
        """Whether anything is left to match in the text once numbers are taken out."""
        return bool(self.phrases or self.words)

    def clauses(self, alternatives: Mapping[str, tuple[str, ...]] | None = None) -> list[Clause]:
        """Folded clauses; ``alternatives`` adds other spellings of a loose word."""
        extra = alternatives or {}
        out: list[Clause] = [(phrase,) for phrase in self.phrases]
        out += [((w,), *((a,) for a in extra.get(w, ()))) for w in self.words]
        return out

    def exact_clauses(self) -> list[Clause]:
        """Clauses in the exact form (diacritics as typed, one tone placement)."""
        out: list[Clause] = [(phrase,) for phrase in self.exact_phrases]
        return out + [((w,),) for w in self.exact_words]

    def tiers(self, spellings: Mapping[str, tuple[str, ...]]) -> list[Tier]:
        """The full-text queries to run, best first; a row ranks by the first that finds it.

        Loose words asked for together ("nguyen van hung") rank documents printing them side
        by side above those that only contain each somewhere; diacritics as typed rank above
        other diacritics; words as typed rank above damaged spellings (fuzzy matching), though a
        damaged spelling of the whole phrase still ranks above the words scattered. Each tier is
        its own query, so a search can stop as soon as the better tiers fill the page.
        """
        whole = self.words if not self.phrases and len(self.words) > 1 else ()
        fuzzy = any(spellings.values())
        tiers = []
        if whole:
            accents: list[Clause] | None = [(self.exact_words,)] if self.accented else None
            tiers.append(Tier("phrase", [(whole,)], accents))
            if fuzzy:
                tiers.append(Tier("phrase, fuzzy", [self.spelled_phrases(spellings)]))
        tiers.append(Tier("words", self.clauses(), self.exact_clauses() if self.accented else None))
        if fuzzy:
            tiers.append(Tier("words, fuzzy", self.clauses(spellings)))
        return tiers

    def spelled_phrases(self, spellings: Mapping[str, tuple[str, ...]]) -> Clause:
        """The loose words as one phrase, in every combination of their spellings (capped)."""
        options = [(w, *spellings.get(w, ())) for w in self.words]
        return tuple(itertools.islice(itertools.product(*options), SPELLED_PHRASES))
