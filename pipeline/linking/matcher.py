"""Rank the enforcement cases a document may belong to, and decide whether to link it.

Two kinds of evidence, strongest first:

1. **Numbers.** The document's own number, or any number it cites, equals a decision or judgment
   number of a case (canonical forms, see :mod:`pipeline.extract.numbers`). A number identifies
   a case unless several cases carry it.
2. **Names.** The document's parties against each case's debtors and creditors, compared folded
   (no tone marks, so OCR's Hùng/Hưng, Yến/Yên damage costs nothing) with rapidfuzz, and a
   little credit when the issuing body matches the case's agency and the years agree.

A pure module: it works on plain records held in memory (:class:`CaseIndex`), so the same code
serves the jobs layer, the review screen and the benchmark, and 100,000 cases answer in
milliseconds. Names are found through an index of their syllable pairs, which keeps fuzzy
comparison to a few hundred names instead of all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from pipeline.text.fold import fold

# Roles on each side: a judgment's defendant usually becomes the enforcement debtor.
DEBTOR_SIDE = frozenset({"debtor", "defendant", "accused", "respondent"})
CREDITOR_SIDE = frozenset({"creditor", "plaintiff", "petitioner", "victim"})
NAME_CUTOFF = 80.0  # below this a name is not the same person, however damaged


@dataclass(frozen=True)
class CaseRecord:
    """What matching needs of a case."""

    id: int
    code: str
    agency: str = ""
    numbers: tuple[str, ...] = ()
    debtors: tuple[str, ...] = ()
    creditors: tuple[str, ...] = ()
    year: int | None = None  # the year the case was opened


@dataclass(frozen=True)
class DocumentFacts:
    """What matching needs of a document (from its extraction)."""

    numbers: tuple[str, ...] = ()  # own number first, then cited
    parties: tuple[tuple[str, str], ...] = ()  # (role, name)
    issuer: str = ""
    year: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A case the document may belong to, how sure, and why."""

    case_id: int
    code: str
    score: float
    method: str  # "number" or "name"
    reason: str


@dataclass(frozen=True)
class Decision:
    """``linked`` (to ``candidates[0]``), ``review`` (ranked candidates) or ``unlinked``."""

    state: str
    candidates: tuple[Candidate, ...] = ()

    @property
    def chosen(self) -> Candidate | None:
        """The case linked automatically, if any."""
        return self.candidates[0] if self.state == "linked" else None


@dataclass(frozen=True)
class Thresholds:
    """When a name match is trusted: its score, and its lead over the next case."""

    link: float = 0.92
    margin: float = 0.05
    review: float = 0.5


def _tokens(folded: str) -> list[str]:
    """Blocking keys: every pair of syllables.

    A name with one syllable misread by OCR (or cut to an initial) still shares a key with
    itself, while a key is rare enough to keep the fuzzy comparison to a few hundred names.
    """
    words = folded.split()
    if len(words) < 2:
        return words
    words = words[:4]
    return [f"{a} {b}" for i, a in enumerate(words) for b in words[i + 1 :]]


@dataclass
class CaseIndex:
    """Cases in memory: by number, and their party names by their last syllables."""

    cases: dict[int, CaseRecord] = field(default_factory=dict)
    by_number: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    names: list[str] = field(default_factory=list)  # folded
    owners: list[tuple[int, str]] = field(default_factory=list)  # (case id, side)
    by_token: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _agencies: dict[str, str] = field(default_factory=dict)

    def agency(self, case: CaseRecord) -> str:
        """The case's agency folded (cached: thousands of cases share a few agencies)."""
        folded = self._agencies.get(case.agency)
        if folded is None:
            folded = self._agencies[case.agency] = fold(case.agency)
        return folded

    @classmethod
    def build(cls, cases: Iterable[CaseRecord]) -> CaseIndex:
        """Index ``cases``; a later record with the same id replaces the earlier."""
        index = cls()
        for case in cases:
            index.add(case)
        return index

    def add(self, case: CaseRecord) -> None:
        """Add one case (used while importing)."""
        self.cases[case.id] = case
        for number in case.numbers:
            if case.id not in self.by_number[number]:
                self.by_number[number].append(case.id)
        for side, names in (("debtor", case.debtors), ("creditor", case.creditors)):
            for name in names:
                folded = " ".join(fold(name).split())
                position = len(self.names)
                self.names.append(folded)
                self.owners.append((case.id, side))
                for token in _tokens(folded):
                    self.by_token[token].append(position)

    def name_hits(self, name: str) -> dict[tuple[int, str], float]:
        """Cases (and side) with a party whose name is like ``name``: best score (0-100)."""
        folded = " ".join(fold(name).split())
        positions: set[int] = set()
        for token in _tokens(folded):
            positions.update(self.by_token.get(token, ()))
        if not positions:
            return {}
        ordered = sorted(positions)
        choices = [self.names[p] for p in ordered]
        hits: dict[tuple[int, str], float] = {}
        words = folded.split()
        if len(words) >= 2 and len(words[-1]) == 1:
            # An anonymised copy prints "Mai Văn P": the rest must match, the initial must agree.
            prefix, initial = " ".join(words[:-1]), words[-1]
            for k, choice in enumerate(choices):
                head, _, given = choice.rpartition(" ")
                if given.startswith(initial):
                    score = fuzz.ratio(prefix, head) * 0.97
                    if score >= NAME_CUTOFF:
                        owner = self.owners[ordered[k]]
                        hits[owner] = max(hits.get(owner, 0.0), score)
            return hits
        for _, score, k in process.extract(
            folded, choices, scorer=fuzz.ratio, score_cutoff=NAME_CUTOFF, limit=None
        ):
            owner = self.owners[ordered[k]]
            hits[owner] = max(hits.get(owner, 0.0), float(score))
        return hits


def _name_scores(index: CaseIndex, facts: DocumentFacts) -> dict[int, tuple[float, list[str]]]:
    """Per case: how well the document's parties match the case's (0-1), and which matched."""
    per_case: dict[int, list[float]] = defaultdict(list)
    names_per_case: dict[int, list[str]] = defaultdict(list)
    parties = [(role, name) for role, name in facts.parties if role != "representative"]
    for role, name in parties:
        side = "debtor" if role in DEBTOR_SIDE else "creditor" if role in CREDITOR_SIDE else ""
        best: dict[int, float] = {}
        for (case_id, case_side), score in index.name_hits(name).items():
            agree = 1.0 if not side or side == case_side else 0.93
            best[case_id] = max(best.get(case_id, 0.0), score / 100 * agree)
        for case_id, score in best.items():
            per_case[case_id].append(score)
            names_per_case[case_id].append(name)
    wanted = min(2, len(parties))
    out = {}
    for case_id, scores in per_case.items():
        case = index.cases[case_id]
        top = sorted(scores, reverse=True)[:wanted]
        top += [0.0] * (wanted - len(top))
        value = sum(top) / len(top)
        if wanted == 1 or len(case.debtors) + len(case.creditors) < 2:
            value *= 0.92  # one name alone is weaker evidence than two
        out[case_id] = (value, names_per_case[case_id])
    return out


def _context(
    index: CaseIndex, case: CaseRecord, issuer: str, facts: DocumentFacts
) -> tuple[float, float]:
    """Agency and year agreement, 0-1 each (0.5 when the document does not say)."""
    agency = (
        fuzz.token_set_ratio(issuer, index.agency(case)) / 100 if issuer and case.agency else 0.5
    )
    if facts.year is None or case.year is None:
        year = 0.5
    elif facts.year < case.year - 1:
        year = 0.0  # a document older than the judgment behind its case
    else:
        year = max(0.0, 1.0 - 0.15 * abs(facts.year - case.year))  # most come in its first years
    return agency, year


def rank(index: CaseIndex, facts: DocumentFacts, limit: int = 5) -> list[Candidate]:
    """Candidate cases, best first, each scored 0-1.

    A case that carries one of the document's numbers starts at 0.6 and needs its parties to
    match too before it can be linked (a number read with one digit wrong is another case's
    number); a case found by names alone needs near-identical names, agency and year.
    """
    numbered: dict[int, str] = {}
    for number in facts.numbers:
        for case_id in index.by_number.get(number, ()):
            numbered.setdefault(case_id, number)
    names = _name_scores(index, facts)

    def evidence(case_id: int) -> float:
        name = names.get(case_id, (0.0, []))[0]
        return 0.6 + 0.3 * name if case_id in numbered else 0.8 * name

    # Agency and year move a score by at most 0.2: only the cases that could still come first
    # are worth comparing them for (a common name matches hundreds of cases).
    shortlist = sorted(set(numbered) | set(names), key=evidence, reverse=True)
    cutoff = evidence(shortlist[0]) - 0.2 if shortlist else 0.0
    issuer = fold(facts.issuer)
    out = []
    for case_id in shortlist[: max(limit * 10, 50)]:
        if evidence(case_id) < cutoff:
            break
        case = index.cases[case_id]
        name, matched = names.get(case_id, (0.0, []))
        agency, year = _context(index, case, issuer, facts)
        reasons = [f"number {numbered[case_id]}"] if case_id in numbered else []
        if matched:
            reasons.append("names " + ", ".join(matched[:3]))
        if case_id in numbered:
            score = 0.6 + 0.3 * name + 0.05 * agency + 0.05 * year
            method = "number"
        else:
            score = 0.8 * name + 0.1 * agency + 0.1 * year
            method = "name"
        out.append(Candidate(case_id, case.code, round(score, 4), method, "; ".join(reasons)))
    out.sort(key=lambda c: (-c.score, c.code))
    return out[:limit]


def decide(candidates: Sequence[Candidate], thresholds: Thresholds | None = None) -> Decision:
    """Link when one case is clearly right, queue for review when unsure, else leave unlinked."""
    t = thresholds or Thresholds()
    if not candidates:
        return Decision("unlinked")
    top = candidates[0]
    second = candidates[1].score if len(candidates) > 1 else 0.0
    if top.score >= t.link and top.score - second >= t.margin:
        return Decision("linked", tuple(candidates))
    if top.score >= t.review:
        return Decision("review", tuple(candidates))
    return Decision("unlinked", tuple(candidates))
