"""Invented documents of every kind in a case file, with the facts each one states.

Issue 4's extraction is measured against these: each generated document carries the answer
(number, cited numbers, issuer, date, case type, parties with roles, amounts) next to its
printed lines. The printed forms vary the way real files do (numbers without hyphens or with
stray spaces and dashes, several people under one label, organisations, anonymised names,
labels with and without the comma, dates in three styles), and the non-parties a file names
(judges, clerks, prosecutors, enforcement officers, witnesses, signers) are printed too, so a
rule that takes every name it sees is caught. All names, places and numbers are drawn from small
invented lists; no real person appears.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.extract import model
from tests.synthetic.documents import MOTTO, MOTTO2, Line, SyntheticDocument, _wrap

# The product's document types, in its order, less "other" (no template writes one).
DOC_TYPES = tuple(t for t in model.DOC_TYPES if t != "other")

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Ngọc", "Thu", "Xuân", "Hồng"]
GIVEN = [
    "Hùng",
    "Lan",
    "Hương",
    "Tuấn",
    "Dũng",
    "Phương",
    "Thủy",
    "Hòa",
    "Thắng",
    "Mạnh",
    "Yến",
    "Khởi",
    "Đạt",
    "Quyết",
    "Hạnh",
    "Trường",
    "Sơn",
    "Nghĩa",
    "Thảo",
    "Cường",
    "Bình",
    "Long",
]
PROVINCES = ["Bắc Giang", "Tây Ninh", "Thái Bình", "Nghệ An", "Phú Thọ", "Lạng Sơn", "Bình Định"]
DISTRICTS = ["Lục Ngạn", "Tân Yên", "Yên Thế", "Hiệp Hòa", "Lạng Giang", "Gò Dầu", "Kiến Xương"]
COMMUNES = ["Quý Sơn", "Phượng Sơn", "Hồng Giang", "Tân Hoa", "Đồng Cốc", "Mỹ An", "Nghĩa Hồ"]
ORGANISATIONS = [
    "Ngân hàng Nông nghiệp và Phát triển nông thôn Việt Nam",
    "Ngân hàng TMCP Công thương Việt Nam",
    "Ngân hàng Chính sách xã hội Việt Nam",
    "Công ty TNHH Thương mại Hòa Phát",
    "Công ty cổ phần Xây dựng Minh Long",
    "Quỹ tín dụng nhân dân xã Quý Sơn",
]
CIVIL_MATTERS = {
    "DS": "Tranh chấp hợp đồng vay tài sản",
    "HNGĐ": "Tranh chấp về chia tài sản khi ly hôn",
    "KDTM": "Tranh chấp hợp đồng tín dụng",
    "LĐ": "Tranh chấp về tiền lương",
}
AMOUNTS = [
    (45_000_000, "Bốn mươi lăm triệu đồng"),
    (120_000_000, "Một trăm hai mươi triệu đồng"),
    (150_000_000, "Một trăm năm mươi triệu đồng"),
    (235_500_000, "Hai trăm ba mươi lăm triệu năm trăm nghìn đồng"),
    (1_250_000_000, "Một tỷ hai trăm năm mươi triệu đồng"),
    (80_000_000, "Tám mươi triệu đồng"),
]
FEES = [(2_250_000, "Hai triệu hai trăm năm mươi nghìn đồng"), (300_000, "Ba trăm nghìn đồng")]


@dataclass(frozen=True)
class PartyFact:
    """A party as the document names it: role code, name without honorific, details given."""

    role: str
    name: str
    birth_year: int | None = None
    id_number: str = ""
    address: str = ""


@dataclass(frozen=True)
class Facts:
    """What an extractor should find in a document."""

    doc_type: str
    number: str  # canonical, "" when the document has none
    printed_number: str
    cited: tuple[str, ...]
    issuer: str
    date: str  # ISO
    case_type: str
    parties: tuple[PartyFact, ...]
    amounts: tuple[int, ...]


@dataclass(frozen=True)
class CaseFileDocument:
    """A generated document: what the renderer draws and what the extractor should find."""

    document: SyntheticDocument
    facts: Facts


@dataclass
class _Ctx:
    """Drawn facts shared by the templates while one document is being written."""

    rng: random.Random
    province: str
    district: str
    year: int
    parties: list[PartyFact] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    amounts: list[int] = field(default_factory=list)

    def cite(self, canonical: str) -> str:
        """Record a cited number and return a printed form of it."""
        if canonical not in self.cited:
            self.cited.append(canonical)
        return printed(self.rng, canonical)

    def money(self, pair: tuple[int, str]) -> str:
        """Record an amount and print it with its words."""
        if pair[0] not in self.amounts:
            self.amounts.append(pair[0])
        return f"{dong(pair[0])} đồng ({pair[1]})"


def dong(amount: int) -> str:
    """An amount as printed: dots between thousands."""
    return f"{amount:,}".replace(",", ".")


def printed(rng: random.Random, canonical: str) -> str:
    """One of the ways a clerk's typewriter or word processor printed ``canonical``."""
    style = rng.random()
    if style < 0.55:
        return canonical
    parts = canonical.split("/")
    if style < 0.7 and len(parts) == 3 and parts[2].count("-") == 1:
        left, right = parts[2].split("-")
        if left in {"DS", "HS", "HNGĐ", "KDTM", "LĐ", "HC"}:
            return f"{parts[0]}/{parts[1]}/{left}{right}"  # 15/2018/DSST
    if style < 0.85:
        return " /".join(parts[:-1]) + "/ " + parts[-1].replace("-", " - ")  # 63 /2017/ DS - GĐT
    return canonical.replace("-", rng.choice(["–", "—"]))


def _person_name(rng: random.Random) -> str:
    if rng.random() < 0.12:  # anonymised copies: "Vũ Hồng S"
        return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)[0]}"
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _address(rng: random.Random, ctx: _Ctx) -> str:
    return (
        f"thôn {rng.randint(1, 12)}, xã {rng.choice(COMMUNES)}, huyện {ctx.district}, "
        f"tỉnh {ctx.province}"
    )


def _honorific(rng: random.Random, capital: bool = True) -> str:
    word = rng.choice(["Ông", "Bà", "Anh", "Chị"])
    return word if capital else word.lower()


def _person(ctx: _Ctx, role: str, *, details: bool = True, capital: bool = True) -> str:
    """A person's clause (honorific, name, birth year, identity number, address); records them."""
    rng = ctx.rng
    name = _person_name(rng)
    if not details:
        ctx.parties.append(PartyFact(role, name))
        return f"{_honorific(rng, capital)} {name}"
    year = rng.randint(1950, 1998)
    id_number = "".join(str(rng.randint(0, 9)) for _ in range(12)) if rng.random() < 0.4 else ""
    address = _address(rng, ctx)
    ctx.parties.append(PartyFact(role, name, year, id_number, address))
    born = (
        f"sinh năm {year}"
        if rng.random() < 0.8
        else f"sinh ngày {rng.randint(1, 28)}/" + (f"{rng.randint(1, 12)}/{year}")
    )
    ident = f"; CCCD số {id_number}" if id_number else ""
    place = rng.choice(["địa chỉ", "nơi cư trú", "trú tại", "HKTT"])
    return f"{_honorific(rng, capital)} {name}, {born}{ident}; {place}: {address}"


def _organisation(ctx: _Ctx, role: str) -> str:
    rng = ctx.rng
    name = rng.choice(ORGANISATIONS)
    address = f"số {rng.randint(1, 200)} đường Hùng Vương, thành phố {ctx.province}"
    ctx.parties.append(PartyFact(role, name, None, "", address))
    rep = _person_name(rng)
    ctx.parties.append(PartyFact("representative", rep))
    title = rng.choice(["Giám đốc", "Phó Giám đốc chi nhánh", "cán bộ tín dụng"])
    return (
        f"{name}; trụ sở: {address}. Người đại diện theo "
        f"{rng.choice(['pháp luật', 'ủy quyền'])}: {_honorific(rng)} {rep} - {title}"
    )


def _presence(rng: random.Random) -> str:
    return rng.choice(["Có mặt.", "(Vắng mặt).", "Có đơn xin xét xử vắng mặt.", ""])


def _party_line(ctx: _Ctx, label: str, role: str, *, org: float = 0.0) -> list[str]:
    """A labelled party paragraph: one person, two people under one label, or an organisation."""
    rng = ctx.rng
    if rng.random() < org:
        return [f"- {label}: {_organisation(ctx, role)}. {_presence(rng)}".rstrip()]
    if rng.random() < 0.25:  # two people under one label, one shared address
        names = [_person_name(rng), _person_name(rng)]
        years = [rng.randint(1950, 1995), rng.randint(1950, 1995)]
        address = _address(rng, ctx)
        ctx.parties += [
            PartyFact(role, n, y, "", address) for n, y in zip(names, years, strict=True)
        ]
        return [
            f"- {label}: {_honorific(rng)} {names[0]}, sinh năm {years[0]} và "
            f"{_honorific(rng, capital=False)} {names[1]}, sinh năm {years[1]}; "
            f"cùng địa chỉ: {address}. {_presence(rng)}".rstrip()
        ]
    return [f"- {label}: {_person(ctx, role)}. {_presence(rng)}".rstrip()]


def _date_line(ctx: _Ctx, place: str, day: int, month: int) -> Line:
    return Line(f"{place}, ngày {day} tháng {month} năm {ctx.year}", "right", italic=True)


def _court(ctx: _Ctx) -> tuple[list[str], str, str]:
    """A court header (upper-case lines), its name in sentence case, and the place for the date."""
    rng = ctx.rng
    p, d = ctx.province, ctx.district
    style = rng.random()
    if style < 0.45:
        return (
            ["TÒA ÁN NHÂN DÂN", f"HUYỆN {d.upper()}", f"TỈNH {p.upper()}"],
            f"Tòa án nhân dân huyện {d}, tỉnh {p}",
            d,
        )
    if style < 0.6:
        return (
            [f"TÒA ÁN NHÂN DÂN HUYỆN {d.upper()}", f"TỈNH {p.upper()}"],
            f"Tòa án nhân dân huyện {d}, tỉnh {p}",
            d,
        )
    if style < 0.85:
        return ["TÒA ÁN NHÂN DÂN", f"TỈNH {p.upper()}"], f"Tòa án nhân dân tỉnh {p}", p
    n = rng.randint(1, 9)
    return (
        ["TÒA ÁN NHÂN DÂN", f"KHU VỰC {n} - {p.upper()}"],
        f"Tòa án nhân dân khu vực {n} - {p}",
        p,
    )


def _office(ctx: _Ctx) -> tuple[list[str], str, str, str]:
    """An enforcement office header, its sentence-case name, its number suffix, the date place."""
    rng = ctx.rng
    p, d = ctx.province, ctx.district
    style = rng.random()
    if style < 0.5:
        parent = rng.choice(
            [f"CỤC THADS TỈNH {p.upper()}", f"CỤC THI HÀNH ÁN DÂN SỰ TỈNH {p.upper()}"]
        )
        return (
            [parent, "CHI CỤC THI HÀNH ÁN DÂN SỰ", f"HUYỆN {d.upper()}"],
            f"Chi cục Thi hành án dân sự huyện {d}, tỉnh {p}",
            "CCTHADS",
            d,
        )
    if style < 0.75:
        return (
            ["TỔNG CỤC THI HÀNH ÁN DÂN SỰ", "CỤC THI HÀNH ÁN DÂN SỰ", f"TỈNH {p.upper()}"],
            f"Cục Thi hành án dân sự tỉnh {p}",
            "CTHADS",
            p,
        )
    n = rng.randint(1, 9)
    return (
        [f"THI HÀNH ÁN DÂN SỰ TỈNH {p.upper()}", f"PHÒNG THI HÀNH ÁN DÂN SỰ KHU VỰC {n}"],
        f"Phòng Thi hành án dân sự khu vực {n} - Thi hành án dân sự tỉnh {p}",
        "THADS",
        p,
    )


def _header(left: list[str], number_line: str | None, date: Line) -> list[Line]:
    lines = [Line(left[0], "left", size=12), Line(MOTTO, "right", bold=True, size=11.5)]
    lines += [Line(text, "left", bold=True, size=12) for text in left[1:2]]
    lines.append(Line(MOTTO2, "right", bold=True, size=13))
    lines += [Line(text, "left", bold=True, size=12) for text in left[2:]]
    if number_line:
        lines.append(Line(number_line, "left"))
    lines.append(date)
    return lines


def _body(paragraphs: list[str]) -> list[Line]:
    return [Line(text) for para in paragraphs for text in _wrap(para)]


def _signature(title: str, ctx: _Ctx) -> list[Line]:
    return [Line(title, "center", bold=True), Line(_person_name(ctx.rng), "center", bold=True)]


def _judgment_number(ctx: _Ctx, case_type: str, level: str = "ST") -> str:
    suffix = ctx.rng.choice(["", "", "", "A"])
    return f"{ctx.rng.randint(1, 480):02d}{suffix}/{ctx.year}/{case_type}-{level}"


def _earlier(ctx: _Ctx) -> tuple[int, int, int]:
    return ctx.rng.randint(1, 28), ctx.rng.randint(1, 12), ctx.year - ctx.rng.randint(0, 2)


def _judgment(ctx: _Ctx) -> tuple[list[list[Line]], Facts]:
    rng = ctx.rng
    left, issuer, _place = _court(ctx)
    case_type = rng.choice(["DS", "DS", "HNGĐ", "KDTM", "LĐ", "HS", "HC"])
    number = _judgment_number(ctx, case_type, rng.choice(["ST", "ST", "PT"]))
    shown = printed(rng, number)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    header = [Line(left[0], "left", size=12), Line(MOTTO, "right", bold=True, size=11.5)]
    header += [Line(t, "left", bold=True, size=12) for t in left[1:2]]
    header.append(Line(MOTTO2, "right", bold=True, size=13))
    header += [Line(t, "left", bold=True, size=12) for t in left[2:]]
    header.append(Line(f"Bản án số: {shown}", "left"))
    header.append(Line(f"Ngày: {day}-{month}-{ctx.year}", "left"))
    header += [
        Line("NHÂN DANH", "center", bold=True, size=14),
        Line("NƯỚC CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "center", bold=True),
        Line(issuer.upper(), "center", bold=True),
    ]
    paras = [
        "- Thành phần Hội đồng xét xử gồm có:",
        f"Thẩm phán - Chủ tọa phiên tòa: {_honorific(rng)} {_person_name(rng)}.",
        f"Các Hội thẩm nhân dân: {_honorific(rng)} {_person_name(rng)} và "
        f"{_honorific(rng, capital=False)} {_person_name(rng)}.",
        f"- Thư ký phiên tòa: {_honorific(rng)} {_person_name(rng)} - Thư ký Tòa án.",
        f"- Đại diện Viện kiểm sát nhân dân tham gia phiên tòa: {_honorific(rng)} "
        f"{_person_name(rng)} - Kiểm sát viên.",
    ]
    d2, m2, y2 = _earlier(ctx)
    if case_type == "HS":
        paras.append(
            f"Ngày {day} tháng {month} năm {ctx.year}, tại trụ sở, xét xử sơ thẩm công khai vụ án "
            f"hình sự thụ lý số {ctx.cite(f'{rng.randint(1, 300)}/{y2}/TLST-HS')} ngày {d2} tháng "
            f"{m2} năm {y2}, đối với bị cáo:"
        )
        name = _person_name(rng)
        year = rng.randint(1970, 2000)
        address = _address(rng, ctx)
        ctx.parties.append(PartyFact("accused", name, year, "", address))
        paras.append(f"{name}, sinh năm {year}; nơi cư trú: {address}. Có mặt.")
        paras += _party_line(ctx, "Bị hại", "victim")
        verdict = (
            f"Buộc bị cáo {name} bồi thường cho bị hại số tiền {ctx.money(rng.choice(AMOUNTS))}."
        )
    elif case_type == "HC":
        paras.append(
            f"Xét xử sơ thẩm vụ án hành chính thụ lý số "
            f"{ctx.cite(f'{rng.randint(1, 90)}/{y2}/TLST-HC')} ngày {d2} tháng {m2} năm {y2}, "
            "giữa các đương sự:"
        )
        paras += _party_line(ctx, "Người khởi kiện", "petitioner")
        ubnd = f"Ủy ban nhân dân huyện {ctx.district}"
        ctx.parties.append(PartyFact("respondent", ubnd))
        paras.append(f"- Người bị kiện: {ubnd}, tỉnh {ctx.province}.")
        verdict = "Bác yêu cầu khởi kiện của người khởi kiện."
    else:
        paras.append(
            f"Xét xử sơ thẩm công khai vụ án thụ lý số "
            f"{ctx.cite(f'{rng.randint(1, 500)}/{y2}/TLST-{case_type}')} ngày {d2} tháng {m2} "
            f"năm {y2} về việc {CIVIL_MATTERS[case_type].lower()} theo Quyết định đưa vụ án ra xét "
            f"xử số {ctx.cite(f'{rng.randint(1, 300)}/{ctx.year}/QĐXXST-{case_type}')}, giữa các "
            "đương sự:"
        )
        paras += _party_line(
            ctx,
            rng.choice(["Nguyên đơn", "Nguyên đơn"]),
            "plaintiff",
            org=0.4 if case_type == "KDTM" else 0.15,
        )
        paras += _party_line(ctx, rng.choice(["Bị đơn", "Các bị đơn"]), "defendant")
        if rng.random() < 0.5:
            label = rng.choice(
                [
                    "Người có quyền lợi, nghĩa vụ liên quan",
                    "Người có quyền lợi nghĩa vụ liên quan",
                    "Người có quyền lợi và nghĩa vụ liên quan",
                ]
            )
            paras += _party_line(ctx, label, "related_party")
        if rng.random() < 0.3:
            paras.append(f"- Người làm chứng: {_honorific(rng)} {_person_name(rng)}.")
        debtor = next(p for p in ctx.parties if p.role == "defendant")
        verdict = (
            f"Buộc {debtor.name} phải trả cho nguyên đơn số tiền {ctx.money(rng.choice(AMOUNTS))}."
        )
    paras += [
        "NỘI DUNG VỤ ÁN:",
        "Theo đơn khởi kiện và lời khai trong quá trình giải quyết vụ án, các đương sự trình bày "
        "như sau; Hội đồng xét xử đã xem xét toàn bộ chứng cứ có trong hồ sơ vụ án.",
        "QUYẾT ĐỊNH:",
        verdict,
        f"Về án phí: phải chịu {ctx.money(rng.choice(FEES))} án phí sơ thẩm.",
    ]
    body = _body(paras)
    sign = _signature("TM. HỘI ĐỒNG XÉT XỬ", ctx)
    split = len(body) // 2
    pages = [header + body[:split], [Line("2", "center", size=12), *body[split:], *sign]]
    facts = Facts(
        "judgment",
        number,
        shown,
        (),
        issuer,
        f"{ctx.year}-{month:02d}-{day:02d}",
        case_type,
        (),
        (),
    )
    return pages, facts


def _court_decision(ctx: _Ctx) -> tuple[list[list[Line]], Facts]:
    rng = ctx.rng
    left, issuer, place = _court(ctx)
    divorce = rng.random() < 0.4
    case_type = "HNGĐ" if divorce else rng.choice(["DS", "KDTM"])
    kind = rng.choice(["QĐST", "QĐST", "QĐCNHG"])
    number = f"{rng.randint(1, 1800)}/{ctx.year}/{kind}-{case_type}"
    shown = printed(rng, number)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    header = _header(left, f"Số: {shown}", _date_line(ctx, place, day, month))
    title = "QUYẾT ĐỊNH"
    subtitle = (
        "CÔNG NHẬN THUẬN TÌNH LY HÔN VÀ SỰ THỎA THUẬN CỦA CÁC ĐƯƠNG SỰ"
        if divorce
        else "CÔNG NHẬN SỰ THỎA THUẬN CỦA CÁC ĐƯƠNG SỰ"
    )
    header += [Line(title, "center", bold=True, size=14), Line(subtitle, "center", bold=True)]
    d2, m2, y2 = _earlier(ctx)
    paras = [
        f"Căn cứ hồ sơ vụ việc thụ lý số "
        f"{ctx.cite(f'{rng.randint(1, 900)}/{y2}/TLST-{case_type}')} ngày {d2} tháng {m2} năm "
        f"{y2};",
        f"Căn cứ biên bản hòa giải thành ngày {rng.randint(1, 28)} tháng {month} năm {ctx.year};",
        "Xét thấy các đương sự đã thỏa thuận được với nhau về việc giải quyết toàn bộ vụ việc.",
    ]
    if divorce:
        paras.append(
            f"- Người yêu cầu giải quyết việc dân sự: {_person(ctx, 'petitioner')} và "
            f"{_person(ctx, 'petitioner', capital=False)}."
        )
    else:
        paras += _party_line(ctx, "Nguyên đơn", "plaintiff", org=0.3)
        paras += _party_line(ctx, "Bị đơn", "defendant")
    debtor = next(p for p in ctx.parties if p.role in ("defendant", "petitioner"))
    paras += [
        "QUYẾT ĐỊNH:",
        f"1. Công nhận sự thỏa thuận của các đương sự: {debtor.name} có nghĩa vụ thanh toán số "
        f"tiền {ctx.money(rng.choice(AMOUNTS))}.",
        "2. Quyết định này có hiệu lực pháp luật ngay sau khi được ban hành.",
    ]
    pages = [header + _body(paras) + _signature("THẨM PHÁN", ctx)]
    facts = Facts(
        "court_decision",
        number,
        shown,
        (),
        issuer,
        f"{ctx.year}-{month:02d}-{day:02d}",
        case_type,
        (),
        (),
    )
    return pages, facts


def _enforcement_numbers(ctx: _Ctx, suffix: str, prefix: str = "QĐ") -> str:
    return f"{ctx.rng.randint(1, 999):02d}/{prefix}-{suffix}"


def _enforcement_decision(ctx: _Ctx) -> tuple[list[list[Line]], Facts]:
    rng = ctx.rng
    left, issuer, suffix, place = _office(ctx)
    number = _enforcement_numbers(ctx, suffix)
    shown = printed(rng, number)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    on_request = rng.random() < 0.6
    header = _header(left, f"Số: {shown}", _date_line(ctx, place, day, month))
    header += [
        Line("QUYẾT ĐỊNH", "center", bold=True, size=14),
        Line(
            f"Về việc thi hành án {'theo yêu cầu' if on_request else 'chủ động'}",
            "center",
            bold=True,
        ),
        Line(
            "CHI CỤC TRƯỞNG CHI CỤC THI HÀNH ÁN DÂN SỰ"
            if suffix == "CCTHADS"
            else "THỦ TRƯỞNG CƠ QUAN THI HÀNH ÁN DÂN SỰ",
            "center",
            bold=True,
        ),
    ]
    court = _court(ctx)[1]
    case_type = rng.choice(["DS", "HNGĐ", "KDTM"])
    d2, m2, y2 = _earlier(ctx)
    judgment = f"{rng.randint(1, 400):02d}/{y2}/{case_type}-ST"
    paras = [
        f"Căn cứ Bản án số {ctx.cite(judgment)} ngày {d2} tháng {m2} năm {y2} của {court};",
    ]
    creditor_org = rng.random() < 0.2
    if on_request:
        if creditor_org:
            org = rng.choice(ORGANISATIONS[:3])
            ctx.parties.append(PartyFact("creditor", org))
            paras.append(
                f"Xét đơn yêu cầu thi hành án của {org} ngày {d2} tháng {month} năm {ctx.year};"
            )
        else:
            paras.append(
                f"Xét đơn yêu cầu thi hành án của {_person(ctx, 'creditor', capital=False)};"
            )
    paras.append("QUYẾT ĐỊNH:")
    debtor = _person(ctx, "debtor")
    paras.append(f"Điều 1. Cho thi hành án đối với: {debtor}.")
    creditors = [p for p in ctx.parties if p.role == "creditor"]
    if creditors:
        payee = (
            creditors[0].name if creditor_org else f"{_honorific(rng, False)} {creditors[0].name}"
        )
    else:
        name = _person_name(rng)
        ctx.parties.append(PartyFact("creditor", name))
        payee = f"{_honorific(rng, False)} {name}"
    paras += [
        f"Nghĩa vụ phải thi hành: Trả cho {payee} số tiền {ctx.money(rng.choice(AMOUNTS))} và lãi "
        "suất chậm thi hành án theo quy định của pháp luật.",
        "Điều 2. Người phải thi hành án có quyền tự nguyện thi hành trong thời hạn 10 ngày kể từ "
        "ngày nhận được quyết định này; hết thời hạn trên mà không tự nguyện thi hành thì bị "
        "cưỡng chế thi hành án.",
        "Điều 3. Chấp hành viên, người phải thi hành án và các cơ quan có liên quan chịu trách "
        "nhiệm thi hành quyết định này.",
    ]
    pages = [header + _body(paras) + _signature("CHI CỤC TRƯỞNG", ctx)]
    facts = Facts(
        "enforcement_decision",
        number,
        shown,
        (),
        issuer,
        f"{ctx.year}-{month:02d}-{day:02d}",
        "THADS",
        (),
        (),
    )
    return pages, facts


def _record(ctx: _Ctx, seizure: bool) -> tuple[list[list[Line]], Facts]:
    rng = ctx.rng
    left, issuer, suffix, place = _office(ctx)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    header = _header(left, None, _date_line(ctx, place, day, month))
    title = (
        rng.choice(["BIÊN BẢN KÊ BIÊN, XỬ LÝ TÀI SẢN", "BIÊN BẢN CƯỠNG CHẾ KÊ BIÊN TÀI SẢN"])
        if (seizure)
        else "BIÊN BẢN XÁC MINH ĐIỀU KIỆN THI HÀNH ÁN"
    )
    header.append(Line(title, "center", bold=True, size=14))
    decision = _enforcement_numbers(ctx, suffix)
    paras = [
        f"Căn cứ Quyết định thi hành án số {ctx.cite(decision)} ngày {rng.randint(1, 28)} "
        f"tháng {rng.randint(1, 12)} năm {ctx.year} của {issuer};"
    ]
    if seizure:
        coercion = _enforcement_numbers(ctx, suffix)
        paras.append(f"Căn cứ Quyết định cưỡng chế số {ctx.cite(coercion)};")
    paras += [
        f"Hôm nay, vào lúc {rng.randint(7, 16)} giờ ngày {day} tháng {month} năm {ctx.year}, "
        "chúng tôi gồm:",
        f"{_honorific(rng)} {_person_name(rng)} - Chấp hành viên;",
        f"{_honorific(rng)} {_person_name(rng)} - Công chức địa chính xã;",
        f"Người làm chứng: {_honorific(rng)} {_person_name(rng)}.",
        "Tiến hành "
        + ("kê biên tài sản" if seizure else "xác minh điều kiện thi hành án")
        + " của:",
    ]
    paras += _party_line(ctx, "Người phải thi hành án", "debtor")
    paras += _party_line(ctx, "Người được thi hành án", "creditor", org=0.2)
    if seizure:
        paras.append(
            f"Tài sản kê biên: quyền sử dụng đất diện tích {rng.randint(80, 400)} m2 tại thửa "
            f"đất số {rng.randint(10, 300)}, trị giá tạm tính {ctx.money(rng.choice(AMOUNTS))}."
        )
    else:
        paras.append(
            "Kết quả xác minh: người phải thi hành án có thu nhập từ sản xuất nông nghiệp, "
            "không có tài sản có giá trị để thi hành án."
        )
    paras.append("Biên bản lập xong hồi 11 giờ cùng ngày, đã đọc lại cho mọi người cùng nghe.")
    pages = [header + _body(paras) + _signature("CHẤP HÀNH VIÊN", ctx)]
    kind = "seizure_record" if seizure else "verification_record"
    facts = Facts(kind, "", "", (), issuer, f"{ctx.year}-{month:02d}-{day:02d}", "THADS", (), ())
    return pages, facts


def _notice(ctx: _Ctx) -> tuple[list[list[Line]], Facts]:
    rng = ctx.rng
    left, issuer, suffix, place = _office(ctx)
    number = _enforcement_numbers(ctx, suffix, "TB")
    shown = printed(rng, number)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    header = _header(left, f"Số: {shown}", _date_line(ctx, place, day, month))
    header += [
        Line("THÔNG BÁO", "center", bold=True, size=14),
        Line("Về việc cưỡng chế thi hành án", "center", bold=True),
    ]
    paras = [
        f"Căn cứ Quyết định thi hành án số {ctx.cite(_enforcement_numbers(ctx, suffix))} ngày "
        f"{rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm {ctx.year};",
        f"{issuer} thông báo cho:",
    ]
    paras += _party_line(ctx, "Người phải thi hành án", "debtor")
    paras += _party_line(ctx, "Người được thi hành án", "creditor", org=0.25)
    paras.append(
        f"Đến nay người phải thi hành án chưa tự nguyện thi hành nghĩa vụ trả số tiền "
        f"{ctx.money(rng.choice(AMOUNTS))}. Cơ quan thi hành án sẽ tổ chức cưỡng chế vào ngày "
        f"{rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm {ctx.year}."
    )
    pages = [header + _body(paras) + _signature("CHẤP HÀNH VIÊN", ctx)]
    facts = Facts(
        "notice", number, shown, (), issuer, f"{ctx.year}-{month:02d}-{day:02d}", "THADS", (), ()
    )
    return pages, facts


def _request(ctx: _Ctx) -> tuple[list[list[Line]], Facts]:
    rng = ctx.rng
    _, office, _, _ = _office(ctx)
    court = _court(ctx)[1]
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    case_type = rng.choice(["DS", "HNGĐ", "KDTM"])
    d2, m2, y2 = _earlier(ctx)
    judgment = f"{rng.randint(1, 400):02d}/{y2}/{case_type}-ST"
    lines = [
        Line(MOTTO, "center", bold=True, size=12.5),
        Line(MOTTO2, "center", bold=True),
        Line("ĐƠN YÊU CẦU THI HÀNH ÁN", "center", bold=True, size=14),
    ]
    paras = [f"Kính gửi: {office}."]
    paras += _party_line(ctx, "Người yêu cầu thi hành án", "creditor")
    paras += _party_line(ctx, "Người phải thi hành án", "debtor")
    paras += [
        f"Căn cứ Bản án số {ctx.cite(judgment)} ngày {d2} tháng {m2} năm {y2} của {court}, "
        "đã có hiệu lực pháp luật.",
        f"Tôi yêu cầu cơ quan thi hành án buộc người phải thi hành án trả cho tôi số tiền "
        f"{ctx.money(rng.choice(AMOUNTS))}.",
        "Tôi xin cam đoan những lời khai trên là đúng sự thật.",
    ]
    lines += _body(paras)
    lines.append(
        Line(f"{ctx.district}, ngày {day} tháng {month} năm {ctx.year}", "center", italic=True)
    )
    lines.append(Line("NGƯỜI YÊU CẦU", "center", bold=True))
    lines.append(Line(next(p for p in ctx.parties if p.role == "creditor").name, "center"))
    facts = Facts("request", "", "", (), "", f"{ctx.year}-{month:02d}-{day:02d}", "THADS", (), ())
    return [lines], facts


TEMPLATES: dict[str, Callable[[_Ctx], tuple[list[list[Line]], Facts]]] = {
    "judgment": _judgment,
    "court_decision": _court_decision,
    "enforcement_decision": _enforcement_decision,
    "verification_record": lambda ctx: _record(ctx, seizure=False),
    "seizure_record": lambda ctx: _record(ctx, seizure=True),
    "notice": _notice,
    "request": _request,
}


def make_case_document(seed: int, doc_type: str | None = None) -> CaseFileDocument:
    """An invented document of ``doc_type`` (drawn from the seed when None) with its facts.

    The same seed always gives the same document, so a failing case can be replayed.
    """
    rng = random.Random(seed)
    kind = doc_type or rng.choice(DOC_TYPES)
    ctx = _Ctx(rng, rng.choice(PROVINCES), rng.choice(DISTRICTS), rng.randint(2016, 2025))
    pages, facts = TEMPLATES[kind](ctx)
    facts = Facts(
        facts.doc_type,
        facts.number,
        facts.printed_number,
        tuple(ctx.cited),
        facts.issuer,
        facts.date,
        facts.case_type,
        tuple(ctx.parties),
        tuple(ctx.amounts),
    )
    document = SyntheticDocument(
        kind=kind,
        pages=pages,
        number=facts.number,
        parties=[(p.role, p.name) for p in ctx.parties],
    )
    return CaseFileDocument(document, facts)
