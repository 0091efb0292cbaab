"""Text of invented case-file documents laid out like Decree 30/2020/NĐ-CP documents."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Ngọc", "Thu", "Xuân"]
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
]
PROVINCES = [
    "Bắc Giang",
    "Tây Ninh",
    "Thái Bình",
    "Nghệ An",
    "Hà Tĩnh",
    "Quảng Ngãi",
    "Đồng Tháp",
    "Phú Thọ",
    "Lạng Sơn",
    "Bình Định",
]
DISTRICTS = [
    "Lục Ngạn",
    "Tân Yên",
    "Yên Thế",
    "Hiệp Hòa",
    "Lạng Giang",
    "Sơn Động",
    "Việt Yên",
    "Gò Dầu",
    "Hòa Thành",
    "Kiến Xương",
]
COMMUNES = ["Quý Sơn", "Phượng Sơn", "Hồng Giang", "Tân Hoa", "Đồng Cốc", "Mỹ An", "Nghĩa Hồ"]
CASE_TYPES = {"DS": "dân sự", "HNGĐ": "hôn nhân và gia đình", "KDTM": "kinh doanh, thương mại"}
AMOUNT_WORDS = {
    50_000_000: "Năm mươi triệu đồng",
    120_000_000: "Một trăm hai mươi triệu đồng",
    150_000_000: "Một trăm năm mươi triệu đồng",
    235_500_000: "Hai trăm ba mươi lăm triệu năm trăm nghìn đồng",
    80_000_000: "Tám mươi triệu đồng",
}
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO2 = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class Line:
    """One printed line: its text, where it sits and how it is set."""

    text: str
    column: str = "body"  # "left", "right", "body", "center"
    bold: bool = False
    size: float = 13.0
    italic: bool = False


@dataclass(frozen=True)
class SyntheticDocument:
    """An invented document: its printed lines per page and the facts it states."""

    kind: str
    pages: list[list[Line]]
    number: str
    parties: list[tuple[str, str]] = field(default_factory=list)

    def page_text(self, index: int) -> str:
        """The true text of one page, one printed line per line."""
        return "\n".join(line.text for line in self.pages[index])


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _address(rng: random.Random, province: str) -> str:
    return (
        f"thôn {rng.randint(1, 12)}, xã {rng.choice(COMMUNES)}, huyện {rng.choice(DISTRICTS)}, "
        f"tỉnh {province}"
    )


def _dong(amount: int) -> str:
    """An amount as printed in Vietnamese documents: dots between thousands."""
    return f"{amount:,}".replace(",", ".")


def _wrap(text: str, width: int = 78) -> list[str]:
    """Break a paragraph into printed lines of at most ``width`` characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def _paragraphs(
    rng: random.Random, province: str, creditor: str, debtor: str, amount: int, judgment: str
) -> list[str]:
    return [
        f"Căn cứ Bản án số {judgment} ngày {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm "
        f"{rng.randint(2015, 2024)} của Tòa án nhân dân huyện {rng.choice(DISTRICTS)}, "
        f"tỉnh {province};",
        f"Xét đơn yêu cầu thi hành án của ông {creditor}, địa chỉ: {_address(rng, province)};",
        f"Cho thi hành án đối với: bà {debtor}, sinh năm {rng.randint(1950, 1995)}; nơi cư trú: "
        f"{_address(rng, province)}.",
        f"Nghĩa vụ phải thi hành: trả cho ông {creditor} số tiền {_dong(amount)} đồng "
        f"({AMOUNT_WORDS[amount]}) và lãi suất chậm thi hành án theo quy định của pháp luật.",
        "Chấp hành viên có trách nhiệm tổ chức thi hành quyết định này; người phải thi hành án "
        "có quyền tự nguyện thi hành trong thời hạn mười ngày kể từ ngày nhận được quyết định.",
        "Trường hợp hết thời hạn tự nguyện mà không thi hành thì bị cưỡng chế thi hành án theo "
        "quy định của Luật Thi hành án dân sự; quyền sử dụng đất và tài sản gắn liền với đất có "
        "thể bị kê biên, xử lý để bảo đảm thi hành án.",
    ]


def make_document(seed: int, pages: int = 1) -> SyntheticDocument:
    """Build an invented enforcement decision of ``pages`` pages from ``seed``.

    The same seed always gives the same document, so a test failure can be replayed.
    """
    rng = random.Random(seed)
    province = rng.choice(PROVINCES)
    district = rng.choice(DISTRICTS)
    number = f"{rng.randint(10, 999)}/QĐ-CCTHADS"
    case_type = rng.choice(list(CASE_TYPES))
    judgment = f"{rng.randint(1, 400)}/{rng.randint(2015, 2024)}/{case_type}-ST"
    creditor, debtor = _person(rng), _person(rng)
    amount = rng.choice(list(AMOUNT_WORDS))
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2016, 2025)

    header = [
        Line(f"CỤC THADS TỈNH {province.upper()}", "left", size=12),
        Line(MOTTO, "right", bold=True, size=11.5),
        Line("CHI CỤC THI HÀNH ÁN DÂN SỰ", "left", bold=True, size=12),
        Line(MOTTO2, "right", bold=True, size=13),
        Line(f"HUYỆN {district.upper()}", "left", bold=True, size=12),
        Line(f"Số: {number}", "left", size=13),
        Line(f"{district}, ngày {day} tháng {month} năm {year}", "right", italic=True, size=13),
        Line("QUYẾT ĐỊNH", "center", bold=True, size=14),
        Line("Về việc thi hành án theo yêu cầu", "center", bold=True, size=13),
        Line("CHI CỤC TRƯỞNG CHI CỤC THI HÀNH ÁN DÂN SỰ", "center", bold=True, size=13),
    ]
    body_lines = [
        Line(text)
        for para in _paragraphs(rng, province, creditor, debtor, amount, judgment)
        for text in _wrap(para)
    ]
    page_list: list[list[Line]] = [header + body_lines]
    for page_no in range(2, pages + 1):
        more = _paragraphs(
            rng, province, _person(rng), _person(rng), rng.choice(list(AMOUNT_WORDS)), judgment
        )
        lines = [Line(f"Trang {page_no}", "center", size=12)]
        lines += [Line(text) for para in more for text in _wrap(para)]
        page_list.append(lines)
    return SyntheticDocument(
        kind="enforcement_decision",
        pages=page_list,
        number=number,
        parties=[("creditor", creditor), ("debtor", debtor)],
    )
