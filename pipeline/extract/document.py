"""Extract a document's facts from its lines: the one entry point of the extraction stage."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.extract.amounts import find_amounts
from pipeline.extract.header import read_header
from pipeline.extract.model import Extraction, Found
from pipeline.extract.numbers import case_type_of, find_numbers
from pipeline.extract.parties import find_parties
from pipeline.extract.source import Flow, SourceLine

# Documents an enforcement office issues or receives for enforcement (case type THADS).
ENFORCEMENT_KINDS = frozenset(
    {"enforcement_decision", "verification_record", "seizure_record", "notice", "request"}
)
# How much a value found by its primary rule is trusted before OCR confidence is counted.
RULE_TRUST = {
    "number": 0.98,
    "issuer": 0.9,
    "date": 0.95,
    "doc_type": 0.95,
    "cited": 0.9,
    "amounts": 0.95,
}


def _found(
    flow: Flow, value: object, start: int, end: int, trust: float, printed: str = ""
) -> Found:
    page, box, confidence = flow.where(start, end)
    return Found(value, round(trust * confidence / 100, 3), page, box, printed)


_PAGE_NUMBER = re.compile(r"^(?:-\s*)?(?:trang\s+)?\d{1,3}(?:\s*-)?$", re.IGNORECASE)


def _without_page_numbers(lines: Sequence[SourceLine]) -> list[SourceLine]:
    """Drop the page numbers printed above or below the text, so text flows across pages.

    A name broken over a page end ("... theo pháp luật: Bà" / "2" / "Vũ Thu Long") then reads
    as one.
    """
    kept = []
    for k, line in enumerate(lines):
        first = k == 0 or lines[k - 1].page != line.page
        last = k == len(lines) - 1 or lines[k + 1].page != line.page
        if (first or last) and line.page > 0 and _PAGE_NUMBER.match(line.text.strip()):
            continue
        kept.append(line)
    return kept


def extract(lines: Sequence[SourceLine]) -> Extraction:
    """Read doc_type, number, cited numbers, issuer, date, case type, parties and amounts.

    ``lines`` are the document's lines in reading order, pages in order. Every rule reads folded
    text (no tone marks), so OCR's diacritic errors do not hide a label or a number.
    """
    flow = Flow.of(_without_page_numbers(lines))
    header = read_header(flow)
    kind = header.kind
    if header.title_line is not None:
        title = flow.starts[header.title_line]
        doc_type = _found(flow, kind, title, title + 1, RULE_TRUST["doc_type"])
    else:
        doc_type = Found(kind, 0.3)

    own = header.number
    if own is not None:
        number = _found(flow, own.canonical, own.start, own.end, RULE_TRUST["number"], own.printed)
    else:
        number = Found(
            "", 0.6 if kind in ("verification_record", "seizure_record", "request") else 0.3
        )

    numbers = [m for m in find_numbers(flow.text) if own is None or m.start != own.start]
    cited_values: list[str] = []
    for match in numbers:
        if match.canonical not in cited_values and (
            own is None or match.canonical != own.canonical
        ):
            cited_values.append(match.canonical)
    cited = (
        _found(flow, tuple(cited_values), numbers[0].start, numbers[0].end, RULE_TRUST["cited"])
        if numbers
        else Found((), 0.5)
    )

    if header.issuer_span is not None:
        issuer = _found(flow, header.issuer, *header.issuer_span, RULE_TRUST["issuer"])
    else:
        issuer = Found("", 0.5 if kind == "request" else 0.2)

    date = (
        _found(
            flow,
            header.date.date.isoformat(),
            header.date.start,
            header.date.end,
            RULE_TRUST["date"],
        )
        if header.date
        else Found("", 0.1)
    )

    if kind in ENFORCEMENT_KINDS:
        case_type = Found("THADS", doc_type.confidence)
    else:
        source = own.canonical if own else next((m.canonical for m in numbers), "")
        value = case_type_of(source) if source else ""
        case_type = Found(value, number.confidence if own else 0.5 if value else 0.1)

    amounts_found = find_amounts(flow.folded)
    values: list[int] = []
    for amount in amounts_found:
        if amount.value not in values:
            values.append(amount.value)
    amounts = (
        _found(
            flow, tuple(values), amounts_found[0].start, amounts_found[0].end, RULE_TRUST["amounts"]
        )
        if amounts_found
        else Found((), 0.6)
    )

    parties = tuple(find_parties(flow, kind))
    return Extraction(doc_type, number, cited, issuer, date, case_type, parties, amounts)
