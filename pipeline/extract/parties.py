"""Parties and their roles, read from the labels a case file prints before each one.

Every rule is one row of :data:`LABELS`: a folded pattern for the label as printed ("Các bị
đơn:", "Người có quyền lợi, nghĩa vụ liên quan:", "Cho thi hành án đối với:") and the role it
gives, or None for the people who are never parties (judges, lay assessors, clerks, prosecutors,
enforcement officers, witnesses). A label's text runs to the next label or to a line that starts
a new section; inside it each honorific (Ông/Bà/Anh/Chị) or organisation word starts one party,
so "Ông X, sinh năm 1968 và bà Y, sinh năm 1970; cùng địa chỉ: ..." gives two. Enforcement
decisions often print no labels: there the person "trả cho ..." is paid and the one whose
"đơn yêu cầu" started the case is the creditor (:data:`ENFORCEMENT_PHRASES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.extract.model import Party
from pipeline.extract.source import Flow
from pipeline.text.fold import fold

_COLON = r"\s{0,2}[:;]"
LABELS: tuple[tuple[str | None, str], ...] = (
    (
        "representative",
        r"nguoi\s+dai\s+dien(?:\s+theo\s+(?:uy\s+quyen|phap\s+luat)|\s+hop\s+phap)?"
        rf"(?:\s+cua\s+[^:;\n]{{1,60}}?)?{_COLON}",
    ),
    (  # "Đại diện theo ủy quyền của nguyên đơn:" (without "Người")
        "representative",
        rf"dai\s+dien\s+theo\s+(?:uy\s+quyen|phap\s+luat)(?:\s+cua\s+[^:;\n]{{1,60}}?)?{_COLON}",
    ),
    (
        "related_party",
        rf"nguoi\s+co\s+quyen\s+loi\s*,?\s+(?:va\s+)?nghia\s+vu\s+lien\s+quan{_COLON}",
    ),
    ("petitioner", rf"nguoi\s+yeu\s+cau\s+giai\s+quyet\s+viec\s+dan\s+su{_COLON}"),
    ("petitioner", rf"nguoi\s+khoi\s+kien{_COLON}"),
    ("respondent", rf"nguoi\s+bi\s+kien{_COLON}"),
    ("creditor", rf"nguoi\s+(?:duoc|yeu\s+cau)\s+thi\s+hanh\s+an{_COLON}"),
    ("debtor", rf"nguoi\s+phai\s+thi\s+hanh\s+an{_COLON}"),
    ("debtor", r"cho\s+thi\s+hanh\s+an\s+doi\s+voi\s{0,2}[:;]?"),
    ("plaintiff", rf"(?:cac\s+)?nguyen\s+don{_COLON}"),
    ("defendant", rf"(?:cac\s+)?bi\s+don{_COLON}"),
    ("accused", rf"(?:doi\s+voi\s+)?(?:cac\s+)?bi\s+cao{_COLON}"),
    ("victim", rf"(?:nguoi\s+)?bi\s+hai{_COLON}"),
    (None, r"tham\s+phan[^:;\n]{0,40}[:;]"),
    (None, rf"(?:cac\s+)?hoi\s+tham(?:\s+nhan\s+dan)?{_COLON}"),
    (None, rf"thu\s+ky(?:\s+phien\s+toa|\s+toa\s+an)?{_COLON}"),
    (None, rf"(?:kiem\s+sat\s+vien|chap\s+hanh\s+vien|nguoi\s+lam\s+chung){_COLON}"),
    (None, r"dai\s+dien\s+vien\s+kiem\s+sat[^:;\n]{0,80}[:;]"),
    (None, rf"chung\s+toi\s+gom{_COLON}"),
    (None, rf"(?:noi\s+nhan|kinh\s+gui){_COLON}"),
)
_LABEL = re.compile("|".join(f"(?P<l{i}>{pattern})" for i, (_, pattern) in enumerate(LABELS)))
# Lines that start a new section end a party's text even without a label.
_SECTION = re.compile(
    r"\n\s*(?:[-+•]\s*)?(?:noi\s+dung|xet\s+thay|nhan\s+dinh|quyet\s+dinh|can\s+cu|nghia\s+vu|"
    r"tai\s+san|ket\s+qua|tien\s+hanh|dieu\s+\d|hom\s+nay|toi\s+|ve\s+an\s+phi|bien\s+ban|"
    r"den\s+nay|xet\s+xu|tm\.|[ivx]+\.\s|\d+\.\s|[a-z]+\s*,\s*ngay\s)"
)
# What may stand before a person's honorific when several share one label: "và", a comma, a new
# line, or a list number ("3.1. Ông X", "a) Bà Y", "- Ông Z").
_BEFORE_PERSON = re.compile(r"(?:\bva|[,;:]|\n|\d+(?:\.\d+)*\.?|\b[a-z]\)|-)\s*$")
_BARE_PERSON = re.compile(r"\n\s*(?:[-+•]\s*)?([a-z][a-z ]{2,40}?)\s*[,;]\s*sinh\s+(?:nam|ngay)")
_HONORIFIC = re.compile(r"(?<![a-z])(?:ong|ba|anh|chi)\s+(?=[^\W\d_])")
_ORG_WORDS = re.compile(
    r"(?:ngan\s+hang|cong\s+ty|uy\s+ban\s+nhan\s+dan|ubnd|quy\s+tin\s+dung|hop\s+tac\s+xa|"
    r"chi\s+nhanh|tong\s+cong\s+ty|doanh\s+nghiep|tap\s+doan|truong|benh\s+vien|"
    r"van\s+phong|so\s+tai\s+nguyen|chi\s+cuc\s+thue)\s"
)
_ORG_END = re.compile(r"[;(]|,|\.\s|\s[-–—]\s|\s(?:ngay|tru\s+so|dia\s+chi|so\s+tien|co\s+tru)\s")
# After a dash an organisation's name goes on ("Công ty Cổ phần Đầu tư – Thương mại – Dịch vụ
# Việt Úc") unless what follows is a person's title or role ("... - Giám đốc").
_ROLE_AFTER_DASH = re.compile(
    r"(?:giam\s+doc|pho\s+giam|chu\s+tich|chuc\s+vu|truong|pho|dai\s+dien|la\s|nguoi\s|"
    r"chi\s+nhanh|can\s+bo|nhan\s+vien|ke\s+toan|thu\s+ky)"
)
_SUBFIELD_WORDS = re.compile(
    r"sinh\s+(?:nam|ngay)|cccd|cmnd|can\s+cuoc|ho\s+chieu|dia\s+chi|noi\s+cu\s+tru|tru\s+tai|"
    r"hktt|tru\s+so|cung\s+dia\s+chi|co\s+mat|vang\s+mat"
)
_BIRTH = re.compile(r"sinh\s+(?:nam|ngay\s+\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-])\s*:?\s*(\d{4})")
_ID = re.compile(r"(?:cccd|cmnd|can\s+cuoc\s+cong\s+dan|ho\s+chieu)(?:\s+so)?\s*:?\s*(\d{9,12})")
_ADDRESS = re.compile(
    r"(cung\s+dia\s+chi|dia\s+chi|noi\s+cu\s+tru|tru\s+tai|hktt|tru\s+so)\s*[:;]?\s*"
)
_ADDRESS_END = re.compile(r";|\.(?:\s|$)|\(|\s-\s|\n(?=\s*-)")
# Enforcement decisions without labels (domain file, "Parties and their roles").
ENFORCEMENT_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("creditor", re.compile(r"\btra\s+cho\s+")),
    ("creditor", re.compile(r"don\s+yeu\s+cau\s+thi\s+hanh\s+an\s+cua\s+")),
)
MAX_SEGMENT = 700
MAX_NAME_WORDS = 6


@dataclass(frozen=True)
class _Person:
    lead: int  # where the party's text begins (its honorific, if any)
    start: int  # the name itself
    end: int
    name: str


def _is_name_word(word: str) -> bool:
    core = word.strip(",.;:()")
    # "(Tên gọi khác: ...)", "(Giấy ủy quyền ...)": a bracket opens what follows the name.
    return (
        bool(core)
        and not word.startswith("(")
        and core[0].isupper()
        and core.replace("-", "").isalpha()
    )


def _name_at(text: str, start: int) -> tuple[int, int, str] | None:
    """A person's name beginning at ``start``: capitalised syllables up to punctuation."""
    words: list[re.Match[str]] = []
    for match in re.finditer(r"\S+", text[start : start + 80]):
        word = match.group(0)
        if not _is_name_word(word) or len(words) >= MAX_NAME_WORDS:
            break
        words.append(match)
        if word[-1] in ",.;:(":
            break
    if not words:
        return None
    last = words[-1]
    end = start + last.start() + len(last.group(0).rstrip(",.;:()"))
    return start, end, " ".join(w.group(0).strip(",.;:()") for w in words)


def _org_at(flow: Flow, start: int, limit: int) -> tuple[int, int, str] | None:
    at = start
    while True:
        end_match = _ORG_END.search(flow.folded, at, limit)
        if end_match is None or end_match.group(0).strip() not in "-–—":
            break
        after = end_match.end()
        capital = flow.text[after : after + 1].isupper()
        if not capital or _ROLE_AFTER_DASH.match(flow.folded, after):
            break
        at = after
    end = end_match.start() if end_match else limit
    name = " ".join(flow.text[start:end].split())
    return (start, end, name) if len(name) > 4 else None


def _people(flow: Flow, start: int, end: int) -> list[_Person]:
    """The parties named in ``flow.text[start:end]``: after honorifics, organisations, or bare."""
    people: list[_Person] = []
    folded = flow.folded
    cursor = start
    while cursor < end and folded[cursor] in " \n-:;,":
        cursor += 1
    first = _ORG_WORDS.match(folded, cursor)
    if first:
        org = _org_at(flow, cursor, end)
        if org:
            return [_Person(cursor, *org)]
    for match in _HONORIFIC.finditer(folded, cursor, end):
        if people and match.start() < people[-1].end:
            continue  # "ông Lục Ngọc / Anh Quý": a name syllable, not the next honorific
        before = folded[max(cursor, match.start() - 6) : match.start()]
        at_start = match.start() == cursor
        if not at_start and not re.search(_BEFORE_PERSON, before):
            continue
        found = _name_at(flow.text, match.end())
        if found and found[1] <= end:
            people.append(_Person(match.start(), *found))
    if people:
        return people
    # No honorifics ("đối với bị cáo: / Nguyễn Văn A, sinh năm ... / Trần Thị B, sinh năm"):
    # the first name, then every line that opens with a name and its birth year.
    starts = [cursor] + [
        m.start(1) for m in _BARE_PERSON.finditer(folded, cursor, end) if m.start(1) > cursor
    ]
    for at in starts:
        found = _name_at(flow.text, at)
        if found and found[1] <= end and not _SUBFIELD_WORDS.match(folded, at):
            people.append(_Person(at, *found))
    return people


def _details(flow: Flow, start: int, end: int) -> tuple[int | None, str, str, bool]:
    """Birth year, identity number and address stated in one party's text."""
    folded = flow.folded[start:end]
    birth = _BIRTH.search(folded)
    ident = _ID.search(folded)
    address = ""
    shared = False
    where = _ADDRESS.search(folded)
    if where:
        stop = _ADDRESS_END.search(folded, where.end())
        stop_at = stop.start() if stop else len(folded)
        address = " ".join(flow.text[start + where.end() : start + stop_at].split())
        address = re.sub(r"(?:\s+(?:và|va))?[\s,]*$", "", address)
        shared = where.group(1).startswith("cung")
    return (
        (int(birth.group(1)) if birth else None),
        (ident.group(1) if ident else ""),
        address,
        shared,
    )


def _segment_parties(flow: Flow, role: str, start: int, end: int) -> list[Party]:
    people = _people(flow, start, end)
    parties: list[Party] = []
    shared_address = ""
    for k, person in enumerate(people):
        stop = people[k + 1].lead if k + 1 < len(people) else end
        year, ident, address, shared = _details(flow, person.end, stop)
        if shared:
            shared_address = address
            address = ""
        page, box, confidence = flow.where(person.start, person.end)
        parties.append(
            Party(role, person.name, year, ident, address, round(confidence / 100, 3), page, box)
        )
    if shared_address:
        parties = [
            p
            if p.address
            else Party(
                p.role,
                p.name,
                p.birth_year,
                p.id_number,
                shared_address,
                p.confidence,
                p.page,
                p.box,
            )
            for p in parties
        ]
    return parties


def _segments(flow: Flow) -> list[tuple[str | None, int, int]]:
    # "- Bị cáo;" at the end of a line is an item of the "Nơi nhận:" list, not a label.
    labels = [
        m
        for m in _LABEL.finditer(flow.folded)
        if not (m.group(0).endswith(";") and flow.folded[m.end() : m.end() + 1] in ("\n", ""))
    ]
    segments = []
    for k, match in enumerate(labels):
        role = LABELS[int((match.lastgroup or "l0")[1:])][0]
        end = labels[k + 1].start() if k + 1 < len(labels) else len(flow.folded)
        section = _SECTION.search(flow.folded, match.end(), end)
        if section:
            end = section.start()
        segments.append((role, match.end(), min(end, match.end() + MAX_SEGMENT)))
    return segments


def find_parties(flow: Flow, doc_type: str) -> list[Party]:
    """Every party the document names, in order, each once per role."""
    parties: list[Party] = []
    for role, start, end in _segments(flow):
        if role is not None:
            for party in _segment_parties(flow, role, start, end):
                if party.name and not any(
                    p.role == party.role and p.name.casefold() == party.name.casefold()
                    for p in parties
                ):
                    parties.append(party)
    if doc_type == "enforcement_decision":
        for role, pattern in ENFORCEMENT_PHRASES:
            for match in pattern.finditer(flow.folded):
                section = _SECTION.search(flow.folded, match.end(), match.end() + 200)
                end = section.start() if section else min(len(flow.folded), match.end() + 200)
                for party in _segment_parties(flow, role, match.end(), end)[:1]:
                    # The same creditor named twice ("đơn yêu cầu của X", "trả cho X") may be
                    # read differently each time; a near-identical name is the same party.
                    if not any(
                        p.role == role and fuzz.ratio(fold(p.name), fold(party.name)) >= 85
                        for p in parties
                    ):
                        parties.append(party)
    return parties
