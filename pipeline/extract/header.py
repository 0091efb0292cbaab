"""The first page's header (Decree 30/2020/NĐ-CP layout): issuer, number, date, title.

The issuing body is printed upper-case on the left, parent body first ("CỤC THADS TỈNH BẮC
GIANG" / "CHI CỤC THI HÀNH ÁN DÂN SỰ" / "HUYỆN TÂN YÊN"); the motto sits on the right; the
number line ("Số: ...") under the issuer and the place and date under the motto; then the
centred title ("QUYẾT ĐỊNH", "BIÊN BẢN ...", "BẢN ÁN"/"NHÂN DANH"). All rules here read only
the lines before the body, matched on folded text so OCR's lost tone marks do not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.dates import NUMERIC, WORDS, DateMatch, find_dates
from pipeline.extract.issuer import name_body
from pipeline.extract.numbers import NO_YEAR, WITH_YEAR, NumberMatch, canonical_of
from pipeline.extract.source import Flow
from pipeline.text.fold import fold

HEADER_LINES = 24  # the title is never further down the first page than this

# Document kinds by their title (folded), checked in this order on each title line.
TITLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("request", re.compile(r"^don\s+(?:yeu\s+cau|de\s+nghi)")),
    ("judgment", re.compile(r"^(?:ban\s+an(?!\s+co\s+hieu)|nhan\s+danh$)")),
    ("verification_record", re.compile(r"^bien\s+ban\s+xac\s+minh")),
    ("seizure_record", re.compile(r"^bien\s+ban\s+(?:.*\s)?(?:ke\s+bien|cuong\s+che|xu\s+ly)")),
    ("other", re.compile(r"^bien\s+ban\b")),
    ("notice", re.compile(r"^thong\s+bao\b")),
    ("decision", re.compile(r"^quyet\s+dinh\b")),
)
_MOTTO = (
    re.compile(r"c[oô]ng\s*h[oò]a\s*xa\s*h[oô]i.{0,20}?viet\s*nam"),
    re.compile(r"doc\s*lap\s*[-\u2013.,]?\s*tu\s*do\s*[-\u2013.,]?\s*hanh\s*phuc"),
)
_NUMBER_LINE = re.compile(r"^(?:ban\s+an\s+|quyet\s+dinh\s+)?so\s*[:;.]?\s*")
_DATE_LINE = re.compile(r"(?:^|\s)(?:ngay\s*[:;]|[a-z]+\s*,\s*ngay\s)")
_ORG = re.compile(
    r"toa\s+an|chi\s+cuc|(?<!tong\s)cuc\s+thi\s+hanh|cuc\s+thads|phong\s+thi\s+hanh|"
    r"thi\s+hanh\s+an\s+dan\s+su|vien\s+kiem\s+sat|uy\s+ban\s+nhan\s+dan"
)
_PARENT_ONLY = re.compile(r"^(?:tong\s+cuc|bo\s+tu\s+phap|cuc\s+thads)")
_ENFORCEMENT_CODE = re.compile(r"THA|TB-|CCTHADS|CTHADS")


@dataclass(frozen=True)
class Header:
    """What the header says and the index of the title line in the flow."""

    kind: str  # a doc_type, or "decision" before the issuer tells court from enforcement
    title_line: int | None
    number: NumberMatch | None
    issuer: str
    issuer_span: tuple[int, int] | None
    date: DateMatch | None


def _title(flow: Flow, limit: int) -> tuple[str, int | None]:
    for index in range(limit):
        line = flow.lines[index]
        if line.page != flow.lines[0].page:
            break
        letters = [c for c in line.text if c.isalpha()]
        if not letters or sum(c.isupper() for c in letters) < 0.7 * len(letters):
            continue
        # OCR doubles letters in big bold titles ("BIẾÊN BẢN"); single them for matching.
        folded = re.sub(r"([a-z])\1+", r"\1", fold(line.text).strip(" -.:;"))
        for kind, pattern in TITLES:
            if pattern.search(folded):
                return kind, index
    return "other", None


def _own_number(flow: Flow, limit: int) -> NumberMatch | None:
    """The number on a "Số: ..." or "Bản án số: ..." line among the first ``limit`` lines."""
    for index in range(limit):
        start = flow.starts[index]
        end = start + len(flow.lines[index].text)
        folded = flow.folded[start:end].lstrip()
        head = _NUMBER_LINE.match(folded)
        if head is None:
            continue
        rest_at = end - len(folded) + head.end()
        rest = flow.text[rest_at:end]  # sliced: the number may follow "Số" with no space
        for pattern in (WITH_YEAR, NO_YEAR):
            match = pattern.match(rest)
            canonical = canonical_of(match) if match else None
            if match and canonical:
                return NumberMatch(
                    canonical, match.group(0), rest_at + match.start(), rest_at + match.end()
                )
    return None


def _strip_motto(text: str) -> str:
    folded = fold(text)
    for pattern in _MOTTO:
        match = pattern.search(folded)
        if match:
            text = text[: match.start()] + text[match.end() :]
            folded = folded[: match.start()] + folded[match.end() :]
    return text.strip(" -")


def _issuer(flow: Flow, limit: int, number_line: int | None) -> tuple[str, tuple[int, int] | None]:
    """The issuing body named by the upper-case lines left of the motto, in sentence case."""
    stop = number_line if number_line is not None else limit
    candidates: list[tuple[int, str]] = []
    for index in range(min(stop, limit)):
        raw = _strip_motto(flow.lines[index].text)
        folded = fold(raw)
        numbered = _NUMBER_LINE.match(folded) is not None and re.search(r"\d", raw) is not None
        if not raw or numbered or _DATE_LINE.search(folded):
            continue
        letters = [c for c in raw if c.isalpha()]
        if letters and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
            candidates.append((index, raw))
    org_at = [
        k
        for k, (_, raw) in enumerate(candidates)
        if _ORG.search(fold(raw)) and not _PARENT_ONLY.match(fold(raw))
    ]
    if not org_at:
        return "", None
    body_from = org_at[-1]
    body = [raw for _, raw in candidates[body_from:]]
    parents = [raw for _, raw in candidates[:body_from]]
    first_line = candidates[body_from][0]
    last_line = candidates[-1][0]
    span = (flow.starts[first_line], flow.starts[last_line] + len(flow.lines[last_line].text))
    return name_body(body, parents), span


def _date(flow: Flow, limit: int) -> DateMatch | None:
    """The date of issue: "<place>, ngày ..." or "Ngày: d-m-y" in the header, else anywhere."""
    end = flow.starts[limit - 1] + len(flow.lines[limit - 1].text) if limit else 0
    head = flow.folded[:end]
    placed = re.compile(r"[a-z]\s*,\s*(?=ngay\s)")
    for match in placed.finditer(head):
        found = [d for d in find_dates(head[match.end() : match.end() + 40]) if d.start == 0]
        if found:
            d = found[0]
            return DateMatch(d.date, match.end() + d.start, match.end() + d.end)
    labelled = re.compile(r"ngay\s*[:;]\s*")
    for match in labelled.finditer(head):
        window = head[match.end() : match.end() + 20]
        numeric = NUMERIC.match(window)
        if numeric:
            found = find_dates(window)
            if found:
                return DateMatch(found[0].date, match.end(), match.end() + found[0].end)
    for match in placed.finditer(flow.folded):  # a request dates itself above the signature
        window = flow.folded[match.end() : match.end() + 40]
        words = WORDS.match(window)
        if words:
            found = find_dates(window)
            if found:
                return DateMatch(found[0].date, match.end(), match.end() + found[0].end)
    return None


def read_header(flow: Flow) -> Header:
    """Read title, own number, issuer and date from the top of the first page."""
    if not flow.lines:
        return Header("other", None, None, "", None, None)
    limit = min(len(flow.lines), HEADER_LINES)
    kind, title_line = _title(flow, limit)
    top = title_line if title_line is not None else limit
    number = _own_number(flow, max(top, 1))
    if number is None and kind == "judgment":  # "Bản án số:" may sit under "NHÂN DANH"
        number = _own_number(flow, limit)
    number_line = flow.line_at(number.start) if number else None
    issuer, issuer_span = _issuer(flow, max(top, 1), number_line)
    date = _date(flow, max(top + 1, 1) if title_line is not None else limit)
    if kind == "decision":
        enforcement = (number is not None and _ENFORCEMENT_CODE.search(number.canonical)) or (
            "thi hanh an" in fold(issuer)
        )
        kind = "enforcement_decision" if enforcement else "court_decision"
    return Header(kind, title_line, number, issuer, issuer_span, date)
