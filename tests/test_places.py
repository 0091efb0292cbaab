"""The gazetteer and the issuing body's name built with it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.extract.issuer import name_body
from pipeline.text.places import gazetteer


def test_places_of_both_periods_are_known() -> None:
    g = gazetteer()
    district = g.find("huyện", "Tân Yên")
    assert district is not None and district.province == "Bắc Giang"
    assert g.find("tỉnh", "Bắc Giang") is not None  # merged into Bắc Ninh in 2025
    city = g.find("thành phố", "Hồ Chí Minh")
    assert city is not None and city.level == "province"
    assert g.find("thành phố", "Bắc Giang").level == "district"  # the city, not the province
    assert g.find("thành phố", "Thủ Đức").province == "Hồ Chí Minh"
    # A district upgraded since keeps its name under its old unit word.
    assert g.find("huyện", "Việt Yên").name == "Việt Yên"
    assert g.find("thị trấn", "Chũ") is None  # wards are for the lexicon, not for issuers


@pytest.mark.parametrize(
    ("printed", "known"),
    [("bắc gịang", "Bắc Giang"), ("lang sơn", "Lạng Sơn"), ("hò chí minh", "Hồ Chí Minh")],
)
def test_damaged_names_are_put_back(printed: str, known: str) -> None:
    unit = "thành phố" if "chí" in printed else "tỉnh"
    found = gazetteer().find(unit, printed)
    assert found is not None and found.name == known


def test_a_name_near_none_is_not_guessed() -> None:
    assert gazetteer().find("tỉnh", "Xyz Abc") is None


@pytest.mark.parametrize(
    ("body", "parents", "name"),
    [
        (
            ["CHI CỤC THI HÀNH ÁN DÂN SỰ", "HUYỆN TÂN YÊN"],
            ["CỤC THI HÀNH ÁN DÂN SỰ TỈNH BẮC GIANG"],
            "Chi cục Thi hành án dân sự huyện Tân Yên, tỉnh Bắc Giang",
        ),
        (  # no parent line: the province comes from the gazetteer
            ["CHI CỤC THI HÀNH ÁN DÂN SỰ THÀNH PHỐ BẮC GIANG"],
            [],
            "Chi cục Thi hành án dân sự thành phố Bắc Giang, tỉnh Bắc Giang",
        ),
        (
            ["TÒA ÁN NHÂN DÂN", "THÀNH PHỐ THỦ ĐỨC", "THÀNH PHỐ HỒ CHÍ MINH"],
            [],
            "Tòa án nhân dân thành phố Thủ Đức, Thành phố Hồ Chí Minh",
        ),
        (["TÒA ÁN NHÂN DÂN", "THÀNH PHỐ HỒ CHÍ MINH"], [], "Tòa án nhân dân Thành phố Hồ Chí Minh"),
        (  # OCR's damage to the place and the unit word
            ["TÒA ÁN NHÂN DÂN HUYỆN LỤC NAM", "TÍNH BẮC GỊANG"],
            [],
            "Tòa án nhân dân huyện Lục Nam, tỉnh Bắc Giang",
        ),
        (
            ["PHÒNG THI HÀNH ÁN DÂN SỰ KHU VỰC 5"],
            ["THI HÀNH ÁN DÂN SỰ TỈNH BẮC NINH"],
            "Phòng Thi hành án dân sự khu vực 5 - Thi hành án dân sự tỉnh Bắc Ninh",
        ),
        (["TÒA ÁN NHÂN DÂN", "KHU VỰC 1 - TÂY NINH"], [], "Tòa án nhân dân khu vực 1 - Tây Ninh"),
        (
            ["'CHI CỤC THI HÀNH ÁN DÂN SỰ.", "HUYỆN TÂN YÊN.,"],  # stray marks OCR leaves
            ["CỤC THI HÀNH ÁN DÂN SỰ TỈNH BẮC GIANG"],
            "Chi cục Thi hành án dân sự huyện Tân Yên, tỉnh Bắc Giang",
        ),
    ],
)
def test_issuer_names(body: list[str], parents: list[str], name: str) -> None:
    assert name_body(body, parents) == name


DISTRICTS = sorted({(p.unit, p.name) for ps in gazetteer().districts.values() for p in ps})


@given(st.sampled_from(DISTRICTS))
def test_a_district_court_is_located_in_its_province_when_the_name_tells(
    district: tuple[str, str],
) -> None:
    unit, name = district
    provinces = {
        p.province
        for ps in gazetteer().districts.values()
        for p in ps
        if p.name.lower() == name.lower() and p.unit == unit
    }
    issuer = name_body(["TÒA ÁN NHÂN DÂN", f"{unit.upper()} {name.upper()}"], [])
    assert issuer.startswith(f"Tòa án nhân dân {unit} {name}")
    if len(provinces) == 1:  # one district of that name: its province is known
        (province,) = provinces
        assert issuer.endswith((f", tỉnh {province}", f", Thành phố {province}"))
    else:  # "huyện Châu Thành" is in several provinces: none is guessed
        assert issuer == f"Tòa án nhân dân {unit} {name}"
