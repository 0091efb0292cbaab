"""The search interface the CLI, web UI and API use, and its two backends.

A document is indexed page by page: each page's text in its exact and folded forms, plus one
row of fields (number, parties, issuer) so a query naming a party or a number finds the document
even where OCR text is damaged. Words that cannot be Vietnamese syllables (mostly OCR damage) are
kept in a vocabulary so fuzzy matching can reach them.

Ranking, best first: the document whose own number was asked for; then by the first of the
query's tiers that finds it (the words side by side with the diacritics typed, side by side,
a damaged spelling side by side, every word with the diacritics typed, every word, damaged
spellings; see ``Query.tiers``); then a match in the extracted fields (the person is a party,
not a name merely printed in the text); then the newest document. Corpus statistics (bm25,
ts_rank) are not used: computing them means reading every row that holds a common word such as
"nguyễn" or "công", which made a search over 100,000 documents several times slower, and the
tiers already say more about what was asked for than word frequencies do. Filters, numbers,
fuzzy spellings, snippets and the order of results are decided here, once, for both backends.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import Connection, text

from pipeline.extract.numbers import find_numbers
from pipeline.search.forms import exact, folded, pair_tokens, pairs
from pipeline.search.query import Clause, Query, words_of
from pipeline.text.syllables import is_syllable

FIELDS_PAGE = -1  # the pseudo-page holding a document's fields
SNIPPET = 80  # characters either side of a hit
MAX_PAGES = 65536  # SQLite rowids: a document's rows are id * MAX_PAGES + page + 1
CANDIDATES = 60  # rows a tier reads at most (newest first), or three per result asked for
TIER_SCORE = 8  # score shown: 100 for an own number, 10 for each level above the last, 5 for fields
SMALL_SCOPE = 200  # filters allowing at most this many documents are searched document by document
_TOKEN = re.compile(r"\w+")

Scope = tuple[str, dict[str, Any]]  # "SELECT d.id FROM documents d WHERE ..." and its parameters
Within = Scope | list[int] | None  # documents a full-text query may return: SQL, ids, or all
Row = tuple[int, int]  # document, page


@dataclass(frozen=True)
class Filters:
    """Narrowing a search: by document type, case type, year, issuer, party, number."""

    doc_type: str = ""
    case_type: str = ""
    year: int | None = None
    issuer: str = ""
    party: str = ""
    number: str = ""


@dataclass(frozen=True)
class Hit:
    """A document found: where (page, 0-based; -1 for its fields), how well, and a snippet."""

    document_id: int
    score: float
    page: int
    snippet: str


def _bracket(page_text: str, spans: list[tuple[int, int]], focus: int | None = None) -> str:
    """The text around ``focus`` (default: the first span), spans in [brackets], spacing tidied."""
    if not spans:
        return " ".join(page_text[: 2 * SNIPPET].split())
    spans.sort()
    if focus is not None:
        spans = [sp for sp in spans if sp[1] > focus]
    merged: list[tuple[int, int]] = []
    for s, e in spans:  # words of one phrase are bracketed together
        if merged and s <= merged[-1][1] + 1 and not page_text[merged[-1][1] : s].strip():
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        elif not merged or s >= merged[-1][1]:
            merged.append((s, e))
    start = max(0, merged[0][0] - SNIPPET)
    end = min(len(page_text), merged[0][1] + SNIPPET)
    out, cursor = [], start
    for s, e in merged:
        if e > end:
            break
        out.append(page_text[cursor:s] + "[" + page_text[s:e] + "]")
        cursor = e
    out.append(page_text[cursor:end])
    body = " ".join("".join(out).split())
    return ("…" if start else "") + body + ("…" if end < len(page_text) else "")


def snippet(
    page_text: str, words: list[str], sequences: list[tuple[str, ...]] | None = None
) -> str:
    """The page text around the first hit, printed form kept; hits in [brackets].

    The first place where one of ``sequences`` (folded words side by side) is printed is shown
    if there is one, else the first of the single ``words``.
    """
    folded_page = folded(page_text)  # same length as the page: fold maps character to character
    spans: list[tuple[int, int]] = []
    focus_at: int | None = None
    for sequence in [*(sequences or []), *((w,) for w in words)]:
        pattern = r"\W+".join(re.escape(w) for w in sequence)
        spans += [(m.start(), m.end()) for m in re.finditer(rf"\b{pattern}\b", folded_page)]
        if spans and len(sequence) > 1 and focus_at is None:
            focus_at = min(s for s, _ in spans)
    return _bracket(page_text, spans, focus_at)


def number_snippet(page_text: str, numbers: tuple[str, ...]) -> str | None:
    """The page text around a printed form of one of ``numbers`` (canonical); None if absent."""
    spans = [(m.start, m.end) for m in find_numbers(page_text) if m.canonical in numbers]
    return _bracket(page_text, spans) if spans else None


def _ocr_shape(word: str) -> str:
    """The word with OCR's two-for-one misreadings undone, for counting edits."""
    return word.replace("rn", "m")


def vocabulary(folded_texts: list[str]) -> set[str]:
    """Words of ``folded_texts`` that no Vietnamese syllable spells: what fuzzy search reaches."""
    words = {w for t in folded_texts for w in _TOKEN.findall(t)}
    return {
        w for w in words if 3 <= len(w) <= 40 and w.isalpha() and w.isascii() and not is_syllable(w)
    }


class SearchIndex:
    """The search interface; a backend supplies how its full-text index is written and matched."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # --- what a backend supplies -----------------------------------------------------------

    def _top(self, clauses: list[Clause], within: Within, n: int) -> list[Row]:
        """Up to ``n`` rows whose folded text matches every clause, among ``within``.

        The newest ``n`` matching rows are read, and of them fields rows come first. Reading
        more would cost a seek per row for words that fill half the archive.
        """
        raise NotImplementedError

    def _stored(self, rows: list[Row], column: str) -> dict[Row, str]:
        """The indexed ``column`` text of ``rows``."""
        raise NotImplementedError

    def _matching(self, rows: list[Row], column: str, clauses: list[Clause]) -> set[Row]:
        """Which ``rows`` have ``column`` text matching every clause.

        Checked here: for the few rows a tier returned this is cheaper than a second full-text
        query, which would have to walk every row holding the words.
        """
        return {
            row for row, stored in self._stored(rows, column).items() if _matches(stored, clauses)
        }

    def _fields_phrase(self, words: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        """SQL selecting the documents whose fields row holds ``words`` side by side."""
        raise NotImplementedError

    def _indexed(self, alias: str) -> str:
        """SQL condition: the document ``alias`` is in the index (processed and searchable)."""
        raise NotImplementedError

    def _insert(self, document_id: int, rows: list[tuple[int, str, str, str]]) -> None:
        """Write (page, exact, folded, pairs) rows."""
        raise NotImplementedError

    def remove(self, document_id: int) -> None:
        """Forget a document."""
        raise NotImplementedError

    def _stored_fields(self, document_id: int) -> str:
        raise NotImplementedError

    # --- writing ----------------------------------------------------------------------------

    def add(
        self, document_id: int, pages: list[str], fields_text: str, *, replace: bool = True
    ) -> None:
        """Index a document's pages and its fields.

        What was indexed before is replaced, unless ``replace`` is False: a rebuild after
        :meth:`clear`, where there is nothing to replace and looking costs time.
        """
        if replace:
            self.remove(document_id)
        rows = []
        for page, page_text in [(FIELDS_PAGE, fields_text), *enumerate(pages)]:
            plain = folded(page_text)
            rows.append((page, exact(page_text), plain, pairs(plain)))
        self._insert(document_id, rows)
        terms = vocabulary([row[2] for row in rows])
        if terms:
            self.connection.execute(
                text("INSERT INTO search_terms (term) VALUES (:t) ON CONFLICT DO NOTHING"),
                [{"t": t} for t in sorted(terms)],
            )

    def settle(self) -> None:
        """After a rebuild: let the database plan and read the new index well."""
        raise NotImplementedError

    def clear(self) -> None:
        """Forget every document (the vocabulary of damaged words is rebuilt as pages return)."""
        self.connection.execute(text("DELETE FROM search_pages"))
        self.connection.execute(text("DELETE FROM search_terms"))

    # --- reading ----------------------------------------------------------------------------

    def search(
        self, query: str, filters: Filters, limit: int = 20, *, fuzzy: bool = False
    ) -> list[Hit]:
        """Ranked documents for ``query`` under ``filters``; the best page of each."""
        q = Query.parse(query, filters.number)
        scope = self._scope(filters, q.numbers)
        if not q.has_text:
            return self._by_fields(scope, q.numbers, limit) if scope else []
        within: Within = scope
        if scope is not None:
            allowed = self._scope_ids(scope, SMALL_SCOPE + 1)
            within = allowed if len(allowed) <= SMALL_SCOPE else scope
        spellings = {w: self.spellings(w) for w in q.words} if fuzzy else {}
        n = max(CANDIDATES, 3 * limit)  # a document has at least two rows: fields and a page
        found: dict[tuple[int, int], int] = {}  # row -> the first tier that found it
        for k, tier in enumerate(q.tiers(spellings)):
            rows = [r for r in self._top(tier.clauses, within, n) if r not in found]
            accented = self._matching(rows, "exact", tier.accents) if tier.accents else set()
            for row in rows:  # two levels per tier: diacritics as typed, then the rest
                found[row] = 2 * k + (row not in accented)
            if not q.numbers and len({doc for doc, _ in found}) >= limit:
                break  # every later tier ranks below the documents already found
        own = self._own({doc for doc, _ in found}, q.numbers)

        def rank_key(key: tuple[int, int]) -> tuple[bool, int, bool, int]:
            return (key[0] in own, -found[key], key[1] == FIELDS_PAGE, key[0])

        best: dict[int, tuple[int, int]] = {}
        for key in sorted(found, key=rank_key, reverse=True):
            best.setdefault(key[0], key)
        ranked = sorted(best.values(), key=rank_key, reverse=True)[:limit]
        sequences = [*q.phrases, *(q.spelled_phrases(spellings) if len(q.words) > 1 else ())]
        words = [s for w in q.words for s in (w, *spellings.get(w, ()))]
        hits = []
        for doc, page in ranked:
            is_own, level, fields, _ = rank_key((doc, page))
            score = float(100 * is_own + 10 * (TIER_SCORE + level) + 5 * fields)
            page, shown = self._shown_page(doc, page, set(found), sequences, words)
            hits.append(Hit(doc, score, page, shown))
        return hits

    def spellings(self, word: str) -> tuple[str, ...]:
        """Damaged spellings of ``word`` found in the indexed text (fuzzy matching).

        Only words that cannot be Vietnamese syllables are candidates, so "hung" may reach
        "huug" or "hvng" but never the real, different name "hang". One edit for words of up to
        five letters, two for longer ones; "rn" read for "m" counts as one.
        """
        if len(word) < 3 or not word.isalpha():
            return ()
        edits = 1 if len(word) <= 5 else 2
        terms = list(
            self.connection.scalars(
                text("SELECT term FROM search_terms WHERE length(term) BETWEEN :a AND :b"),
                {"a": len(word) - edits, "b": len(word) + edits + 1},
            )
        )
        found = process.extract(
            word,
            terms,
            scorer=Levenshtein.distance,
            processor=_ocr_shape,
            score_cutoff=edits,
            limit=None,
        )
        return tuple(sorted(t for t, _, _ in found if t != word))

    def _shown_page(
        self,
        doc: int,
        page: int,
        keys: set[tuple[int, int]],
        sequences: list[tuple[str, ...]],
        words: list[str],
    ) -> tuple[int, str]:
        """The page to open and its snippet: a text page where the fields row matched best."""
        if page == FIELDS_PAGE:
            pages = sorted(p for d, p in keys if d == doc and p != FIELDS_PAGE)
            if pages:
                page = pages[0]
            else:
                return page, snippet(self._stored_fields(doc), words, sequences)
        return page, snippet(self._page_text(doc, page), words, sequences)

    def _page_text(self, document_id: int, page: int) -> str:
        row = self.connection.execute(
            text('SELECT text FROM pages WHERE document_id = :d AND "index" = :p'),
            {"d": document_id, "p": page},
        ).first()
        return row[0] if row else ""

    def _own(self, documents: set[int], numbers: tuple[str, ...]) -> set[int]:
        """Which ``documents`` carry one of ``numbers`` as their own number (not a citation)."""
        if not numbers or not documents:
            return set()
        rows = self.connection.execute(
            text(
                "SELECT document_id FROM document_numbers WHERE own AND number IN "
                f"({', '.join(f':n{k}' for k in range(len(numbers)))})"
            ),
            {f"n{k}": n for k, n in enumerate(numbers)},
        )
        return {r[0] for r in rows} & documents

    def _by_fields(self, scope: Scope, numbers: tuple[str, ...], limit: int) -> list[Hit]:
        """A query of numbers and filters only: own numbers first, newest first."""
        sql, params = scope
        own = (
            "EXISTS (SELECT 1 FROM document_numbers o WHERE o.document_id = d.id AND o.own AND "
            f"o.number IN ({', '.join(f':own{k}' for k in range(len(numbers)))}))"
            if numbers
            else "0 = 1"
        )
        params = {**params, **{f"own{k}": n for k, n in enumerate(numbers)}, "limit": limit}
        rows = self.connection.execute(
            text(
                f"SELECT d.id, CASE WHEN {own} THEN 1 ELSE 0 END AS own FROM documents d "
                f"WHERE d.id IN ({sql}) AND {self._indexed('d')} "
                "ORDER BY own DESC, d.issued_on DESC, d.id LIMIT :limit"
            ),
            params,
        ).all()
        hits = []
        for doc, is_own in rows:
            page, shown = FIELDS_PAGE, self._stored_fields(doc)
            for index, page_text in self.connection.execute(
                text('SELECT "index", text FROM pages WHERE document_id = :d ORDER BY "index"'),
                {"d": doc},
            ):
                found = number_snippet(page_text, numbers) if numbers else None
                if found:
                    page, shown = index, found
                    break
            hits.append(Hit(doc, 100.0 if is_own else 1.0, page, shown))
        return hits

    def _scope_ids(self, scope: Scope, most: int) -> list[int]:
        """Up to ``most`` documents the filters allow."""
        sql, params = scope
        return list(self.connection.scalars(text(f"{sql} LIMIT {int(most)}"), params))

    def _scope(self, filters: Filters, numbers: tuple[str, ...]) -> Scope | None:
        """The documents the filters and numbers allow, as SQL (None: everything indexed)."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if filters.doc_type:
            clauses.append("d.doc_type = :doc_type")
            params["doc_type"] = filters.doc_type
        if filters.case_type:
            clauses.append(
                _among(
                    "d.case_type",
                    "ct",
                    self._spelled("case_type", filters.case_type, whole=True),
                    params,
                )
            )
        if filters.year:
            clauses.append("d.issued_on >= :year_from AND d.issued_on < :year_to")
            params["year_from"], params["year_to"] = f"{filters.year}", f"{filters.year + 1}"
        if filters.issuer:
            clauses.append(
                _among("d.issuer", "is", self._spelled("issuer", filters.issuer), params)
            )
        if filters.party:
            party_sql, party_params = self._fields_phrase(words_of(filters.party, folded))
            clauses.append(f"d.id IN ({party_sql})")
            params.update(party_params)
        for k, number in enumerate(numbers):
            clauses.append(
                f"d.id IN (SELECT document_id FROM document_numbers WHERE number = :n{k})"
            )
            params[f"n{k}"] = number
        if not clauses:
            return None
        return "SELECT d.id FROM documents d WHERE " + " AND ".join(clauses), params

    def _spelled(self, column: str, typed: str, *, whole: bool = False) -> tuple[str, ...]:
        """Stored values of ``column`` that contain (or are) ``typed``, diacritics optional."""
        want = folded(typed).strip()
        values = self.connection.scalars(
            text(f"SELECT DISTINCT {column} FROM documents WHERE {column} <> ''")
        )
        return tuple(v for v in values if (folded(v) == want if whole else want in folded(v)))


def _among(column: str, name: str, values: tuple[str, ...], params: dict[str, Any]) -> str:
    """``column IN (...)`` with one parameter per value; nothing matches an empty list."""
    if not values:
        return "1 = 0"
    params.update({f"{name}{k}": v for k, v in enumerate(values)})
    return f"{column} IN ({', '.join(f':{name}{k}' for k in range(len(values)))})"


def _best_rows(rows: list[Row], n: int) -> list[Row]:
    """Fields rows first, then the newest documents."""
    return sorted(rows, key=lambda r: (r[1] != FIELDS_PAGE, -r[0], r[1]))[:n]


@functools.lru_cache(maxsize=256)
def _phrase_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + r"[\W_]+".join(re.escape(w) for w in words) + r"(?!\w)")


def _matches(stored: str, clauses: list[Clause]) -> bool:
    """Whether every clause has an alternative printed in ``stored`` text."""
    return all(any(_phrase_pattern(alt).search(stored) for alt in clause) for clause in clauses)


def _fts5_alternative(words: tuple[str, ...]) -> str:
    phrase = 'folded : "' + " ".join(words) + '"'
    return " AND ".join([phrase, *(f'pairs : "{p}"' for p in pair_tokens(words))])


def _fts5(clauses: list[Clause]) -> str:
    """An FTS5 query: every clause, each one of its alternatives (phrases narrowed by pairs)."""
    return " AND ".join(
        "(" + " OR ".join(f"({_fts5_alternative(alt)})" for alt in clause) + ")"
        for clause in clauses
    )


def _rowid(document_id: int, page: int) -> int:
    """SQLite row of a page, numbered so that one document's rows are one rowid range.

    FTS5 finds a rowid range quickly; its other columns it can only scan.
    """
    if not FIELDS_PAGE <= page < MAX_PAGES - 1:
        raise ValueError(f"A document of more than {MAX_PAGES - 1} pages cannot be indexed.")
    return document_id * MAX_PAGES + page + 1


class SqliteIndex(SearchIndex):
    """SQLite FTS5 (migrations 0007, 0008): rows numbered by document, phrases narrowed by pairs."""

    def _insert(self, document_id: int, rows: list[tuple[int, str, str, str]]) -> None:
        self.connection.execute(
            text(
                "INSERT INTO search_pages (rowid, document_id, page, exact, folded, pairs) "
                "VALUES (:r, :d, :p, :e, :f, :pairs)"
            ),
            [
                {"r": _rowid(document_id, p), "d": document_id, "p": p, "e": e, "f": f, "pairs": w}
                for p, e, f, w in rows
            ],
        )

    def remove(self, document_id: int) -> None:
        """Forget a document."""
        self.connection.execute(
            text("DELETE FROM search_pages WHERE rowid BETWEEN :a AND :b"),
            {"a": _rowid(document_id, FIELDS_PAGE), "b": _rowid(document_id + 1, FIELDS_PAGE) - 1},
        )

    def settle(self) -> None:
        """Merge FTS5's segments into one, as its manual advises after a bulk load."""
        self.connection.execute(text("INSERT INTO search_pages(search_pages) VALUES ('optimize')"))

    def _stored(self, rows: list[Row], column: str) -> dict[Row, str]:
        if not rows:
            return {}
        rowids = ", ".join(str(_rowid(d, p)) for d, p in rows)
        return {
            (int(d), int(p)): t
            for d, p, t in self.connection.execute(
                text(
                    f"SELECT document_id, page, {column} FROM search_pages "
                    f"WHERE rowid IN ({rowids})"
                )
            )
        }

    def _stored_fields(self, document_id: int) -> str:
        row = self.connection.execute(
            text("SELECT exact FROM search_pages WHERE rowid = :r"),
            {"r": _rowid(document_id, FIELDS_PAGE)},
        ).first()
        return row[0] if row else ""

    def _top(self, clauses: list[Clause], within: Within, n: int) -> list[Row]:
        if isinstance(within, list):
            return self._top_among(clauses, within, n)
        sql, params = within or ("", {})
        where = f"AND document_id IN ({sql})" if sql else ""
        rows = self.connection.execute(
            text(
                "SELECT document_id, page FROM search_pages "
                f"WHERE search_pages MATCH :m {where} ORDER BY rowid DESC LIMIT :cap"
            ),
            {**params, "m": _fts5(clauses), "cap": n},
        )
        return _best_rows([(int(d), int(p)) for d, p in rows], n)

    def _top_among(self, clauses: list[Clause], documents: list[int], n: int) -> list[Row]:
        """A few documents are read and matched here: FTS5 checks listed rows one by one, slowly.

        The match follows FTS5's: a phrase is its words in order with only punctuation or
        spaces between them.
        """
        rows = []
        for document_id in documents:
            for page, stored in self.connection.execute(
                text("SELECT page, folded FROM search_pages WHERE rowid BETWEEN :a AND :b"),
                {
                    "a": _rowid(document_id, FIELDS_PAGE),
                    "b": _rowid(document_id + 1, FIELDS_PAGE) - 1,
                },
            ):
                if _matches(stored, clauses):
                    rows.append((document_id, int(page)))
        return _best_rows(rows, n)

    def _indexed(self, alias: str) -> str:
        return f"EXISTS (SELECT 1 FROM search_pages s WHERE s.rowid = {alias}.id * {MAX_PAGES})"

    def _fields_phrase(self, words: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        return (
            "SELECT document_id FROM search_pages WHERE search_pages MATCH :party AND page = -1",
            {"party": _fts5([(words,)])},
        )


class PostgresIndex(SearchIndex):
    """PostgreSQL tsvector columns with GIN indexes (migrations 0007, 0008), pairs first."""

    @staticmethod
    def _condition(clauses: list[Clause], prefix: str = "q") -> tuple[str, str, dict[str, str]]:
        """SQL for every clause (each one of its alternatives), and a narrower first step.

        The first step asks only for the word pairs of clauses whose alternatives all have
        them: rare tokens, found in the pairs index, so the phrases of common words are checked
        on a few rows instead of making the planner walk the index of every common word.
        """
        parts, narrow, params = [], [], {}
        for i, clause in enumerate(clauses):
            tests, pair_tests = [], []
            for j, alt in enumerate(clause):
                key = f"{prefix}{i}_{j}"
                params[key] = " ".join(alt)
                tests.append(f"folded_tsv @@ phraseto_tsquery('simple', :{key})")
                if pair_tokens(alt):
                    params[key + "p"] = " ".join(pair_tokens(alt))
                    pair_tests.append(f"pairs_tsv @@ plainto_tsquery('simple', :{key}p)")
            parts.append("(" + " OR ".join(tests) + ")")
            if len(pair_tests) == len(tests):
                narrow.append("(" + " OR ".join(pair_tests) + ")")
        return " AND ".join(parts) or "FALSE", " AND ".join(narrow), params

    def _insert(self, document_id: int, rows: list[tuple[int, str, str, str]]) -> None:
        self.connection.execute(
            text(
                "INSERT INTO search_pages (document_id, page, exact, folded, pairs) "
                "VALUES (:d, :p, :e, :f, :pairs)"
            ),
            [{"d": document_id, "p": p, "e": e, "f": f, "pairs": w} for p, e, f, w in rows],
        )

    def remove(self, document_id: int) -> None:
        """Forget a document."""
        self.connection.execute(
            text("DELETE FROM search_pages WHERE document_id = :d"), {"d": document_id}
        )

    def settle(self) -> None:
        """Fresh statistics for the planner.

        Without them it walked the whole table for a phrase of common words instead of using
        the document or pairs index: 2.2 s against 60 ms over 100,000 documents.
        """
        for table in ("search_pages", "documents", "document_numbers", "parties"):
            self.connection.execute(text(f"ANALYZE {table}"))

    def _stored(self, rows: list[Row], column: str) -> dict[Row, str]:
        wanted = set(rows)
        found = self.connection.execute(
            text(
                f"SELECT document_id, page, {column} FROM search_pages WHERE document_id = ANY(:d)"
            ),
            {"d": sorted({d for d, _ in rows})},
        )
        return {(int(d), int(p)): t for d, p, t in found if (d, p) in wanted}

    def _stored_fields(self, document_id: int) -> str:
        row = self.connection.execute(
            text("SELECT exact FROM search_pages WHERE document_id = :d AND page = :p"),
            {"d": document_id, "p": FIELDS_PAGE},
        ).first()
        return row[0] if row else ""

    def _top(self, clauses: list[Clause], within: Within, n: int) -> list[Row]:
        condition, narrow, terms = self._condition(clauses)
        scope_params: dict[str, Any]
        if isinstance(within, list):
            where, scope_params = "document_id = ANY(:ids)", {"ids": within}
            narrow = " AND ".join(c for c in (where, narrow) if c)  # a few documents: by id
        else:
            sql, scope_params = within or ("", {})
            where = f"document_id IN ({sql})" if sql else ""
        rows_sql = "SELECT document_id, page, folded_tsv FROM search_pages"
        if narrow:  # OFFSET 0 keeps the planner from folding the first step into the second
            rows_sql = f"SELECT * FROM ({rows_sql} WHERE {narrow} OFFSET 0) AS narrowed"
        conditions = " AND ".join(c for c in (condition, where) if c)
        # Matches come from the indexes as bitmaps, then the newest are taken: left free, the
        # planner walked the document_id index backwards for ORDER BY ... LIMIT and tested
        # every row against the query (1.3 s for a rare identity number over 100,000 documents).
        self.connection.execute(text("SET LOCAL enable_indexscan = off"))
        rows = self.connection.execute(
            text(
                f"SELECT document_id, page FROM ({rows_sql}) AS r WHERE {conditions} "
                "ORDER BY document_id DESC LIMIT :cap"
            ),
            {**terms, **scope_params, "cap": n},
        )
        return _best_rows([(int(d), int(p)) for d, p in rows], n)

    def _indexed(self, alias: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM search_pages s WHERE s.document_id = {alias}.id "
            "AND s.page = -1)"
        )

    def _fields_phrase(self, words: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        condition, narrow, params = self._condition([(words,)], prefix="party")
        rows = "SELECT document_id, folded_tsv FROM search_pages WHERE page = -1"
        if narrow:
            rows += f" AND {narrow} OFFSET 0"
        return f"SELECT document_id FROM ({rows}) AS p WHERE {condition}", params


def open_index(connection: Connection) -> SearchIndex:
    """The backend for the database ``connection`` talks to."""
    if connection.dialect.name == "postgresql":
        return PostgresIndex(connection)
    return SqliteIndex(connection)
