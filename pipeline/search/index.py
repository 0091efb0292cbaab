"""The search interface the CLI, web UI and API use, and its two backends.

A document is indexed page by page: each page's text in its exact and folded forms, plus one
row of fields (number, parties, issuer) so a query naming a party or a number finds the document
even where OCR text is damaged. Filters (type, case type, year, issuer, party, number) read the
document tables. A query is folded and matched against the folded text; hits whose exact form
also matches rank higher. A document number typed in any printed variant is recognised and
matched by its canonical form. The backends differ only in how the full-text index is matched
and ranked: SQLite FTS5 with bm25, PostgreSQL tsvector with ts_rank.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from pipeline.extract.numbers import find_numbers
from pipeline.search.forms import exact, folded

FIELDS_PAGE = -1  # the pseudo-page holding a document's fields
_TOKEN = re.compile(r"\w+")
SNIPPET = 80  # characters either side of a hit


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
    fields: dict[str, Any] = field(default_factory=dict)


def _terms(query: str, form: Callable[[str], str] = folded) -> tuple[list[str], list[str]]:
    """Quoted phrases and loose words of a query, in ``form`` (folded or exact)."""
    phrases = [form(p) for p in re.findall(r'"([^"]+)"', query)]
    rest = re.sub(r'"[^"]*"', " ", query)
    words = [form(w) for w in _TOKEN.findall(rest)]
    return phrases, words


def _fts_query(phrases: list[str], words: list[str]) -> str:
    parts = ['"' + " ".join(_TOKEN.findall(p)) + '"' for p in phrases if _TOKEN.findall(p)]
    parts += ['"' + w + '"' for w in words]
    return " AND ".join(parts)


def snippet(page_text: str, query_terms: list[str]) -> str:
    """The page text around the first hit, the matched words in [brackets] (printed form kept)."""
    folded_page = folded(page_text)
    spans = []
    for term in query_terms:
        for match in re.finditer(r"\b" + re.escape(term) + r"\b", folded_page):
            spans.append((match.start(), match.end()))
    if not spans:
        return " ".join(page_text[: 2 * SNIPPET].split())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:  # words of one phrase are bracketed together
        if merged and s <= merged[-1][1] + 1 and not page_text[merged[-1][1] : s].strip():
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    spans = merged
    start = max(0, spans[0][0] - SNIPPET)
    end = min(len(page_text), spans[0][1] + SNIPPET)
    out, cursor = [], start
    for s, e in spans:
        if s < cursor or e > end:
            continue
        out.append(page_text[cursor:s] + "[" + page_text[s:e] + "]")
        cursor = e
    out.append(page_text[cursor:end])
    body = " ".join("".join(out).split())
    return ("…" if start else "") + body + ("…" if end < len(page_text) else "")


class SearchIndex:
    """The search interface; a backend supplies only how its full-text index is matched."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _matches(
        self, terms: tuple[list[str], list[str]], exact_terms: tuple[list[str], list[str]], n: int
    ) -> tuple[list[tuple[int, int, float]], set[tuple[int, int]]]:
        """(document, page, score) of pages matching folded; (document, page) matching exact."""
        raise NotImplementedError

    def remove(self, document_id: int) -> None:
        """Forget a document."""
        self.connection.execute(
            text("DELETE FROM search_pages WHERE document_id = :d"), {"d": document_id}
        )

    def add(self, document_id: int, pages: list[str], fields_text: str) -> None:
        """Index a document's pages and its fields (replacing what was indexed before)."""
        self.remove(document_id)
        rows = [(FIELDS_PAGE, fields_text), *enumerate(pages)]
        self.connection.execute(
            text(
                "INSERT INTO search_pages (document_id, page, exact, folded) "
                "VALUES (:d, :p, :e, :f)"
            ),
            [{"d": document_id, "p": p, "e": exact(t), "f": folded(t)} for p, t in rows],
        )

    def search(self, query: str, filters: Filters, limit: int = 20) -> list[Hit]:
        """Ranked documents for ``query`` under ``filters``; the best page of each."""
        found = find_numbers(query)
        numbers = [m.canonical for m in found]
        for m in found:  # a number is matched by its canonical form, not as words
            query = query.replace(m.printed, " ")
        if filters.number:
            numbers += [m.canonical for m in find_numbers(filters.number)]
        phrases, words = _terms(query)
        allowed = self._filtered(filters, numbers)
        if not phrases and not words:
            return [Hit(d, 1.0, FIELDS_PAGE, "") for d in sorted(allowed or set())[:limit]]
        exact_terms = _terms(query, exact)
        rows, exact_rows = self._matches((phrases, words), exact_terms, max(200, limit * 20))
        best: dict[int, tuple[float, int]] = {}
        for document_id, page, rank in rows:
            if allowed is not None and document_id not in allowed:
                continue
            score = float(rank) + (10.0 if (document_id, page) in exact_rows else 0.0)
            if document_id not in best or score > best[document_id][0]:
                best[document_id] = (score, page)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        terms = [*phrases, *words]
        hits = []
        for document_id, (score, page) in ranked:
            page_text = self._page_text(document_id, page)
            hits.append(Hit(document_id, round(score, 3), page, snippet(page_text, terms)))
        return hits

    def _page_text(self, document_id: int, page: int) -> str:
        if page == FIELDS_PAGE:
            row = self.connection.execute(
                text("SELECT exact FROM search_pages WHERE document_id = :d AND page = :p"),
                {"d": document_id, "p": page},
            ).first()
            return row[0] if row else ""
        row = self.connection.execute(
            text('SELECT text FROM pages WHERE document_id = :d AND "index" = :p'),
            {"d": document_id, "p": page},
        ).first()
        return row[0] if row else ""

    def _filtered(self, filters: Filters, numbers: list[str]) -> set[int] | None:
        """Documents the filters allow (None: no filter given)."""
        clauses, params = [], {}
        if filters.doc_type:
            clauses.append("d.doc_type = :t")
            params["t"] = filters.doc_type
        if filters.case_type:
            clauses.append("d.case_type = :c")
            params["c"] = filters.case_type
        if filters.year:
            clauses.append("substr(d.issued_on, 1, 4) = :y")
            params["y"] = str(filters.year)
        if filters.issuer:
            clauses.append("d.issuer LIKE :i")
            params["i"] = f"%{filters.issuer}%"
        if filters.party:
            clauses.append("d.id IN (SELECT document_id FROM parties WHERE name_folded LIKE :p)")
            params["p"] = f"%{folded(filters.party)}%"
        for k, number in enumerate(numbers):
            clauses.append(
                f"d.id IN (SELECT document_id FROM document_numbers WHERE number = :n{k})"
            )
            params[f"n{k}"] = number
        if not clauses:
            return None
        sql = "SELECT d.id FROM documents d WHERE " + " AND ".join(clauses)
        return {row[0] for row in self.connection.execute(text(sql), params)}


class SqliteIndex(SearchIndex):
    """SQLite FTS5 (migration 0007); bm25 ranks."""

    def _matches(
        self, terms: tuple[list[str], list[str]], exact_terms: tuple[list[str], list[str]], n: int
    ) -> tuple[list[tuple[int, int, float]], set[tuple[int, int]]]:
        sql = (
            "SELECT document_id, page, -bm25(search_pages) AS score FROM search_pages "
            "WHERE search_pages MATCH :m ORDER BY score DESC LIMIT :n"
        )
        rows = [
            (int(r[0]), int(r[1]), float(r[2]))
            for r in self.connection.execute(
                text(sql), {"m": f"folded : ({_fts_query(*terms)})", "n": n}
            )
        ]
        exact_match = _fts_query(*exact_terms)
        exact_rows = (
            {
                (int(r[0]), int(r[1]))
                for r in self.connection.execute(
                    text(sql), {"m": f"exact : ({exact_match})", "n": n}
                )
            }
            if exact_match
            else set()
        )
        return rows, exact_rows


class PostgresIndex(SearchIndex):
    """PostgreSQL tsvector columns with GIN indexes (migration 0007); ts_rank ranks."""

    @staticmethod
    def _tsquery(column: str, terms: tuple[list[str], list[str]]) -> tuple[str, dict[str, str]]:
        phrases, words = terms
        parts, params = [], {}
        for k, phrase in enumerate(phrases):
            parts.append(f"phraseto_tsquery('simple', :{column}p{k})")
            params[f"{column}p{k}"] = phrase
        for k, word in enumerate(words):
            parts.append(f"plainto_tsquery('simple', :{column}w{k})")
            params[f"{column}w{k}"] = word
        return " && ".join(parts) or "''::tsquery", params

    def _matches(
        self, terms: tuple[list[str], list[str]], exact_terms: tuple[list[str], list[str]], n: int
    ) -> tuple[list[tuple[int, int, float]], set[tuple[int, int]]]:
        query, params = self._tsquery("f", terms)
        rows = [
            (int(r[0]), int(r[1]), float(r[2]))
            for r in self.connection.execute(
                text(
                    f"SELECT document_id, page, ts_rank(folded_tsv, q) * 10 AS score "
                    f"FROM search_pages, (SELECT {query}) AS t(q) WHERE folded_tsv @@ q "
                    f"ORDER BY score DESC LIMIT :n"
                ),
                {**params, "n": n},
            )
        ]
        equery, eparams = self._tsquery("e", exact_terms)
        exact_rows = {
            (int(r[0]), int(r[1]))
            for r in self.connection.execute(
                text(
                    f"SELECT document_id, page FROM search_pages, (SELECT {equery}) AS t(q) "
                    f"WHERE exact_tsv @@ q LIMIT :n"
                ),
                {**eparams, "n": n},
            )
        }
        return rows, exact_rows


def open_index(connection: Connection) -> SearchIndex:
    """The backend for the database ``connection`` talks to."""
    if connection.dialect.name == "postgresql":
        return PostgresIndex(connection)
    return SqliteIndex(connection)
