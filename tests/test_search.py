"""Search: forms, ranking, phrases, numbers in any printed form, filters, the CLI."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.jobs import searching
from pipeline.records.database import Database
from pipeline.records.models import Batch, Document, DocumentNumber, Page, PartyRow, State
from pipeline.search.forms import exact, folded
from pipeline.search.index import Filters
from pipeline.text.fold import fold
from tests.test_cli import run

VIETNAMESE = st.text(
    alphabet=st.sampled_from([*list("aăâeêioôơuưyđ "), "à", "á", "ả", "ã", "ạ", "ỳ", "ủ", "ọ"]),
    max_size=30,
)


@given(VIETNAMESE)
def test_forms_are_idempotent_and_folding_ignores_tone_placement(text: str) -> None:
    text = unicodedata.normalize("NFC", text)
    assert exact(exact(text)) == exact(text)
    assert folded(exact(text)) == folded(text)


def test_tone_placement_variants_meet() -> None:
    assert exact("Hoà Bình") == exact("Hòa Bình") == "hòa bình"
    assert exact("thuỷ") == exact("thủy") and exact("quý") == "quý"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def search_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """The same documents in a SQLite and a PostgreSQL database: each backend, the same tests."""
    if request.param == "postgresql":
        return _db(tmp_path, request.getfixturevalue("postgres_schema_url"))
    return _db(tmp_path)


def _db(tmp_path: Path, url: str = "") -> Database:
    db = Database.open(url or f"sqlite:///{tmp_path}/hoso.db", 10)
    docs = [
        (
            "judgment",
            "25/2020/DS-ST",
            "2020-06-15",
            "Nguyễn Văn Hùng",
            "Bản án xét xử vụ án dân sự giữa ông Nguyễn Văn Hùng và bà Trần Thị Lan về hợp đồng",
        ),
        (
            "notice",
            "30/TB-CCTHADS",
            "2021-03-02",
            "Nguyễn Văn Hưng",
            "Thông báo về việc thi hành án cho ông Nguyễn Văn Hưng tại xã Hoà Bình",
        ),
        (
            "enforcement_decision",
            "215/QĐ-CCTHADS",
            "2021-01-10",
            "Lê Thị Bán",
            "Quyết định thi hành án theo yêu cầu; bà Lê Thị Bán phải trả số tiền",
        ),
    ]
    with db.session() as session:
        batch = Batch(name="b")
        for k, (doc_type, number, date, party, page) in enumerate(docs):
            doc = Document(
                batch=batch,
                original_name=f"{k}.pdf",
                sha256=f"{k:064d}",
                state=State.READY.value,
                doc_type=doc_type,
                number=number,
                issued_on=date,
                case_type="DS" if k == 0 else "THADS",
            )
            doc.pages = [Page(index=0, text=page, confidence=90.0, source="ocr", dpi=300)]
            doc.numbers = [DocumentNumber(position=0, number=number, own=True)]
            doc.parties = [
                PartyRow(
                    position=0,
                    role="defendant",
                    name=party,
                    name_folded=fold(party),
                    id_number="",
                    address="",
                    confidence=0.9,
                )
            ]
            session.add(doc)
    assert searching.reindex(db) == 3
    return db


def _ids(db: Database, query: str, **filters: object) -> list[int]:
    return [r["id"] for r in searching.search(db, query, Filters(**filters))]  # type: ignore[arg-type]


def test_queries_with_and_without_diacritics(search_db: Database) -> None:
    db = search_db
    assert set(_ids(db, "nguyen van hung")) == {1, 2}
    assert _ids(db, "Nguyễn Văn Hưng")[0] == 2  # the exact spelling first
    assert _ids(db, "Nguyễn Văn Hùng")[0] == 1
    assert _ids(db, "hòa bình") == [2]  # the page prints "Hoà Bình"
    assert _ids(db, '"thi hành án"') == [2, 3] or _ids(db, '"thi hành án"') == [3, 2]
    assert _ids(db, '"án thi hành"') == []


def test_numbers_in_any_printed_form_and_filters(search_db: Database) -> None:
    db = search_db
    assert _ids(db, "25/2020/DSST") == [1]
    assert _ids(db, "25 / 2020 / DS - ST") == [1]
    assert _ids(db, "thi hanh an", doc_type="notice") == [2]
    assert _ids(db, "thi hanh an", year=2021, party="le thi ban") == [3]
    assert _ids(db, "", number="215/QD-CCTHADS") == [3]
    (hit,) = searching.search(db, "tien", Filters())
    assert hit["page"] == 1 and "[tiền]" in hit["snippet"]


def test_search_through_the_cli(tmp_path: Path, hoso_env: dict[str, str]) -> None:
    _db(tmp_path)
    proc = run(["search", "reindex"], hoso_env)
    assert proc.returncode == 0 and "3 documents" in proc.stdout
    proc = run(["search", "tran thi lan", "--json"], hoso_env)
    assert proc.returncode == 0, proc.stderr
    (hit,) = json.loads(proc.stdout)
    assert hit["number"] == "25/2020/DS-ST" and "[Trần Thị Lan]" in hit["snippet"]
    assert set(hit) >= {"id", "number", "doc_type", "issuer", "date", "case", "score", "page"}
