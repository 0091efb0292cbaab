"""A search query taken apart: document numbers, quoted phrases and loose words, in both forms.

A full-text backend matches *clauses*: every clause must match, and a clause is a set of
alternatives, each a run of words that must stand together (a one-word run is a plain word).
Loose words become one-alternative clauses unless fuzzy matching adds spellings OCR damaged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.extract.numbers import find_numbers
from pipeline.search.forms import exact, folded

Clause = tuple[tuple[str, ...], ...]
_TOKEN = re.compile(r"\w+")
_PHRASE = re.compile(r'"([^"]*)"')


def _words(text: str, form: Callable[[str], str]) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(form(text)))


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
        phrases = tuple(p for p in (_words(q, folded) for q in quoted) if p)
        exact_phrases = tuple(p for p in (_words(q, exact) for q in quoted) if p)
        words = _words(loose, folded)
        exact_words = _words(loose, exact)
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

    def whole_phrase(self) -> list[Clause] | None:
        """Loose words asked for together, as one phrase ("nguyen van hung").

        Documents printing them side by side in that order rank above those that only contain
        each somewhere.
        """
        if self.phrases or len(self.words) < 2:
            return None
        return [(self.words,)]
