"""Extraction rules on typed text: header, parties and their roles, the non-parties left out."""

from __future__ import annotations

import pytest

from pipeline.extract import SourceWord, extract, lines_from_text, lines_from_words
from pipeline.extract.model import Extraction
from tests.synthetic.casefiles import DOC_TYPES, make_case_document


def _read(text: str) -> Extraction:
    pages = text.split("\f")
    return extract([line for i, page in enumerate(pages) for line in lines_from_text(i, page)])


def _parties(result: Extraction) -> list[tuple[str, str]]:
    return [(p.role, p.name) for p in result.parties]


ENFORCEMENT = """CỤC THADS TỈNH BẮC GIANG
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
CHI CỤC THI HÀNH ÁN DÂN SỰ
Độc lập - Tự do - Hạnh phúc
HUYỆN TÂN YÊN
Số: 215 /QD- CCTHADS
Tân Yên, ngày 15 tháng 6 năm 2020
QUYẾT ĐỊNH
Về việc thi hành án theo yêu cầu
Căn cứ Bản án số 25/2019/DSST ngày 3 tháng 4 năm 2019 của Tòa án nhân dân huyện Tân Yên;
Xét đơn yêu cầu thi hành án của ông Nguyễn Văn Hùng;
QUYẾT ĐỊNH:
Điều 1. Cho thi hành án đối với: Bà Trần Thị Lan, sinh năm 1970; CCCD số 024170001234;
địa chỉ: thôn 3, xã Quý Sơn, huyện Tân Yên, tỉnh Bắc Giang.
Nghĩa vụ phải thi hành: Trả cho ông Nguyễn Văn Hùng số tiền 150.000.000 đồng (Một trăm năm
mươi triệu đồng).
Điều 2. Chấp hành viên: Ông Lê Văn Tám có trách nhiệm tổ chức thi hành.
CHI CỤC TRƯỞNG
Phạm Minh Quyết"""


def test_enforcement_decision_without_labels() -> None:
    result = _read(ENFORCEMENT)
    assert result.doc_type.value == "enforcement_decision"
    assert (result.number.value, result.number.printed) == ("215/QĐ-CCTHADS", "215 /QD- CCTHADS")
    assert result.cited.value == ("25/2019/DS-ST",)
    assert result.issuer.value == "Chi cục Thi hành án dân sự huyện Tân Yên, tỉnh Bắc Giang"
    assert result.date.value == "2020-06-15"
    assert result.case_type.value == "THADS"
    assert result.amounts.value == (150_000_000,)
    assert _parties(result) == [("debtor", "Trần Thị Lan"), ("creditor", "Nguyễn Văn Hùng")]
    debtor = result.parties[0]
    assert (debtor.birth_year, debtor.id_number) == (1970, "024170001234")
    assert debtor.address == "thôn 3, xã Quý Sơn, huyện Tân Yên, tỉnh Bắc Giang"


JUDGMENT = """TÒA ÁN NHÂN DÂN
HUYỆN LỤC NGẠN
TỈNH BẮC GIANG
Bản án số: 63 /2017/ DS - ST
Ngày: 30-9-2017
NHÂN DANH
NƯỚC CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Thẩm phán - Chủ tọa phiên tòa: Ông Hoàng Văn Sơn.
Các Hội thẩm nhân dân: Bà Lê Thị Hoa và ông Đỗ Văn Nam.
- Thư ký phiên tòa: Bà Ngô Thị Mai - Thư ký Tòa án.
- Đại diện Viện kiểm sát nhân dân huyện Lục Ngạn tham gia phiên tòa: Ông Vũ Văn Bình -
Kiểm sát viên.
xét xử vụ án thụ lý số 447/2016/TLST-DS giữa các đương sự:
- Nguyên đơn: Ngân hàng Nông nghiệp và Phát triển nông thôn Việt Nam; trụ sở: số 2 Láng
Hạ, Hà Nội. Người đại diện theo ủy quyền: Ông Phạm Văn
Đức - cán bộ tín dụng. Có mặt.
- Các bị đơn: Ông Nguyễn Văn A, sinh năm 1968 và bà Trần Thị
B, sinh năm 1970; cùng địa chỉ: thôn 5, xã D, huyện L, tỉnh Bắc Giang. Vắng mặt.
- Người có quyền lợi nghĩa vụ liên quan: Anh Nguyễn Văn C, sinh năm 1992.
- Người làm chứng: Ông Lý Văn Tư.
NỘI DUNG VỤ ÁN:
Buộc bị đơn trả cho nguyên đơn số tiền 120.000.000 đồng.
TM. HỘI ĐỒNG XÉT XỬ
Hoàng Văn Sơn"""


def test_judgment_parties_roles_and_non_parties() -> None:
    result = _read(JUDGMENT)
    assert result.doc_type.value == "judgment"
    assert result.number.value == "63/2017/DS-ST"
    assert result.date.value == "2017-09-30"
    assert result.case_type.value == "DS"
    assert result.issuer.value == "Tòa án nhân dân huyện Lục Ngạn, tỉnh Bắc Giang"
    assert result.cited.value == ("447/2016/TLST-DS",)
    assert _parties(result) == [
        ("plaintiff", "Ngân hàng Nông nghiệp và Phát triển nông thôn Việt Nam"),
        ("representative", "Phạm Văn Đức"),
        ("defendant", "Nguyễn Văn A"),
        ("defendant", "Trần Thị B"),
        ("related_party", "Nguyễn Văn C"),
    ]
    a, b = result.parties[2], result.parties[3]
    assert (a.birth_year, b.birth_year) == (1968, 1970)
    assert a.address == b.address == "thôn 5, xã D, huyện L, tỉnh Bắc Giang"


def test_criminal_accused_without_label_per_person_and_victim() -> None:
    text = (
        "TÒA ÁN NHÂN DÂN\nTỈNH NGHỆ AN\nBản án số: 311/2025/HS-ST\nNgày: 2-3-2025\nNHÂN DANH\n"
        "Xét xử sơ thẩm vụ án hình sự đối với bị cáo:\nLê Văn Toàn, sinh năm 1990; nơi cư trú: "
        "xã Mỹ An. Có mặt.\n- Bị hại: Chị Phan Thị Hạnh, sinh năm 1995.\nNỘI DUNG VỤ ÁN:"
    )
    result = _read(text)
    assert result.case_type.value == "HS"
    assert result.issuer.value == "Tòa án nhân dân tỉnh Nghệ An"
    assert _parties(result) == [("accused", "Lê Văn Toàn"), ("victim", "Phan Thị Hạnh")]


def test_ocr_damaged_labels_still_match() -> None:
    text = "QUYẾT ĐỊNH\n- Nguyen don: Ông Trần Văn Hải, sinh nam 1960.\n- Bi đon; Bà Lê Thị Nga."
    assert _parties(_read(text)) == [("plaintiff", "Trần Văn Hải"), ("defendant", "Lê Thị Nga")]


def test_new_offices_and_regional_courts() -> None:
    header = (
        "THI HÀNH ÁN DÂN SỰ TỈNH TÂY NINH\nPHÒNG THI HÀNH ÁN DÂN SỰ KHU VỰC 3\n"
        "Số: 46/QĐ-THADS\nTây Ninh, ngày 1 tháng 8 năm 2025\nQUYẾT ĐỊNH\n"
    )
    result = _read(header)
    assert (
        result.issuer.value
        == "Phòng Thi hành án dân sự khu vực 3 - Thi hành án dân sự tỉnh Tây Ninh"
    )
    assert result.doc_type.value == "enforcement_decision"
    court = _read("TÒA ÁN NHÂN DÂN\nKHU VỰC 1 - TÂY NINH\nSố: 93/2025/QĐST-KDTM\nQUYẾT ĐỊNH\n")
    assert court.issuer.value == "Tòa án nhân dân khu vực 1 - Tây Ninh"
    assert court.doc_type.value == "court_decision" and court.case_type.value == "KDTM"


def test_a_name_broken_over_a_page_end() -> None:
    text = "BIÊN BẢN XÁC MINH\n- Người phải thi hành án: Ông\f2\nBùi Văn Long, sinh năm 1980."
    result = _read(text)
    assert _parties(result) == [("debtor", "Bùi Văn Long")]
    assert result.number.value == "" and result.doc_type.value == "verification_record"


def test_header_columns_read_as_one_line_are_split_by_the_gap() -> None:
    def word(text: str, x0: float, x1: float) -> SourceWord:
        return SourceWord(text, (x0, 0.1, x1, 0.11), 90.0)

    merged = [
        word("CỤC", 0.10, 0.13),
        word("THADS", 0.14, 0.20),
        word("CỘNG", 0.50, 0.55),
        word("HÒA", 0.56, 0.60),
    ]
    lines = lines_from_words(0, [merged])
    assert [line.text for line in lines] == ["CỤC THADS", "CỘNG HÒA"]
    assert lines[0].box == (0.10, 0.1, 0.20, 0.11)


def test_fields_carry_page_box_and_confidence() -> None:
    words = [
        [
            SourceWord("Số:", (0.1, 0.2, 0.13, 0.22), 95),
            SourceWord("5/QĐ-THADS", (0.14, 0.2, 0.3, 0.22), 85),
        ],
        [
            SourceWord("QUYẾT", (0.4, 0.3, 0.5, 0.32), 96),
            SourceWord("ĐỊNH", (0.51, 0.3, 0.6, 0.32), 96),
        ],
    ]
    result = extract(lines_from_words(0, words))
    assert result.number.value == "5/QĐ-THADS"
    assert result.number.page == 0 and result.number.box == (0.1, 0.2, 0.3, 0.22)
    assert 0.8 < result.number.confidence < 0.9
    assert Extraction.from_dict(result.to_dict()) == result


@pytest.mark.parametrize("doc_type", DOC_TYPES)
def test_generated_documents_of_every_kind(doc_type: str) -> None:
    """The rules read every generated variant of every kind exactly (true text, no OCR)."""
    for seed in range(40):
        case = make_case_document(seed, doc_type)
        pages = [case.document.page_text(i) for i in range(len(case.document.pages))]
        result = _read("\f".join(pages))
        facts = case.facts
        assert result.doc_type.value == facts.doc_type
        assert result.number.value == facts.number, seed
        assert result.cited.value == facts.cited, seed
        assert result.issuer.value == facts.issuer, seed
        assert result.date.value == facts.date, seed
        assert result.case_type.value == facts.case_type, seed
        assert result.amounts.value == facts.amounts, seed
        assert sorted(_parties(result)) == sorted((p.role, p.name) for p in facts.parties), seed
