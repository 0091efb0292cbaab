"""Search: forms, ranking, phrases, numbers in any printed form, filters, the CLI."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import InvalidInput, NotAllowed
from pipeline.extract.model import Extraction, Found, Party
from pipeline.jobs import audit, corrections, searching
from pipeline.records.database import Database
from pipeline.records.models import Batch, Document, DocumentNumber, Page, PartyRow, State, User
from pipeline.search import index as index_module
from pipeline.search.forms import exact, folded
from pipeline.search.index import Filters, number_snippet, snippet
from pipeline.search.query import Query
from pipeline.text.fold import fold
from pipeline.text.lexicon import load, skeleton
from pipeline.text.syllables import is_syllable
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


COURT = "Tòa án nhân dân huyện Hiệp Hòa, tỉnh Bắc Giang"
OFFICE = "Chi cục Thi hành án dân sự huyện Lục Ngạn, tỉnh Bắc Giang"
# type, own number, cited numbers, date, case type, issuer, party, page text
DOCS = [
    (
        "judgment",
        "25/2020/DS-ST",
        (),
        "2020-06-15",
        "DS",
        COURT,
        "Nguyễn Văn Hùng",
        "Bản án xét xử vụ án dân sự giữa ông Nguyễn Văn Hùng và bà Trần Thị Lan về hợp đồng",
    ),
    (
        "notice",
        "30/TB-CCTHADS",
        (),
        "2021-03-02",
        "THADS",
        OFFICE,
        "Nguyễn Văn Hưng",
        "Thông báo về việc thi hành án cho ông Nguyễn Văn Hưng tại xã Hoà Bình",
    ),
    (
        "enforcement_decision",
        "215/QĐ-CCTHADS",
        (),
        "2021-01-10",
        "THADS",
        OFFICE,
        "Lê Thị Bán",
        "Quyết định thi hành án theo yêu cầu; bà Lê Thị Bán phải trả số tiền",
    ),
    (  # cites document 1; has the words of "nguyen van hung", but not side by side
        "court_decision",
        "12/2021/QĐST-HNGĐ",
        ("25/2020/DS-ST",),
        "2021-07-07",
        "HNGĐ",
        COURT,
        "Trần Văn Hùng",
        "Căn cứ Bản án số 25 / 2020 / DS - ST; bà Nguyễn Thị Lan và ông Trần Văn Hùng chia tài sản",
    ),
    (  # a name OCR damaged: only fuzzy matching reaches it
        "verification_record",
        "",
        (),
        "2022-02-02",
        "THADS",
        OFFICE,
        "Nguyễn Văn Hùug",
        "Biên bản xác minh điều kiện thi hành án của ông Nguyễn Văn Hùug tại thôn Hạ",
    ),
]


def _db(tmp_path: Path, url: str = "") -> Database:
    db = Database.open(url or f"sqlite:///{tmp_path}/hoso.db", 10)
    with db.session() as session:
        batch = Batch(name="b")
        for k, (doc_type, number, cited, date, case_type, issuer, party, page) in enumerate(DOCS):
            doc = Document(
                batch=batch,
                original_name=f"{k}.pdf",
                sha256=f"{k:064d}",
                state=State.READY.value,
                doc_type=doc_type,
                number=number,
                issued_on=date,
                case_type=case_type,
                issuer=issuer,
            )
            doc.pages = [Page(index=0, text=page, confidence=90.0, source="ocr", dpi=300)]
            numbers = [number, *cited] if number else list(cited)
            doc.numbers = [
                DocumentNumber(position=i, number=n, own=i == 0 and bool(number))
                for i, n in enumerate(numbers)
            ]
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
    assert searching.reindex(db) == len(DOCS)
    return db


def _ids(db: Database, query: str, fuzzy: bool = False, **filters: object) -> list[int]:
    found = searching.search(db, query, Filters(**filters), fuzzy=fuzzy)  # type: ignore[arg-type]
    return [r["id"] for r in found]


def test_queries_with_and_without_diacritics(search_db: Database) -> None:
    db = search_db
    found = _ids(db, "nguyen van hung")
    assert set(found[:2]) == {1, 2} and found[2:] == [4]  # side by side first; 5 is damaged
    assert _ids(db, "Nguyễn Văn Hưng")[0] == 2  # the exact spelling first
    assert _ids(db, "Nguyễn Văn Hùng")[0] == 1
    assert _ids(db, "hòa bình") == [2]  # the page prints "Hoà Bình"
    assert set(_ids(db, '"thi hành án"')) == {2, 3, 5}
    assert _ids(db, '"án thi hành"') == []


def test_numbers_in_any_printed_form_and_filters(search_db: Database) -> None:
    db = search_db
    assert _ids(db, "25/2020/DSST") == [1, 4]  # its own document first, then the one citing it
    assert _ids(db, "25 / 2020 / DS - ST") == [1, 4]
    assert _ids(db, "thi hanh an", doc_type="notice") == [2]
    assert _ids(db, "thi hanh an", year=2021, party="le thi ban") == [3]
    assert _ids(db, "", number="215/QD-CCTHADS") == [3]
    (hit,) = searching.search(db, "tien", Filters())
    assert hit["page"] == 1 and "[tiền]" in hit["snippet"]


def test_search_through_the_cli(tmp_path: Path, hoso_env: dict[str, str]) -> None:
    _db(tmp_path)
    proc = run(["search", "reindex"], hoso_env)
    assert proc.returncode == 0 and f"{len(DOCS)} documents" in proc.stdout
    proc = run(["search", "tran thi lan", "--json"], hoso_env)
    assert proc.returncode == 0, proc.stderr
    hit = json.loads(proc.stdout)[0]  # document 4 has the three words, but apart
    assert hit["number"] == "25/2020/DS-ST" and "[Trần Thị Lan]" in hit["snippet"]
    assert set(hit) >= {"id", "number", "doc_type", "issuer", "date", "case", "score", "page"}


def test_fuzzy_matching_reaches_damaged_names_only(search_db: Database) -> None:
    db = search_db
    assert 5 not in _ids(db, "nguyen van hung")
    results = searching.search(db, "nguyen van hung", Filters(), fuzzy=True)
    ids = [r["id"] for r in results]
    assert set(ids[:2]) == {1, 2} and ids[2] == 5  # as typed first; the damaged phrase next
    assert "[Nguyễn Văn Hùug]" in results[2]["snippet"]
    assert _ids(db, "hang", fuzzy=True) == []  # "hùng"/"hưng" are real words, never reached


def test_filters_without_diacritics(search_db: Database) -> None:
    db = search_db
    assert set(_ids(db, "", issuer="luc ngan")) == {2, 3, 5}
    assert _ids(db, "", case_type="hngd") == [4]
    assert _ids(db, "tai san", issuer="hiep hoa", year=2021) == [4]
    assert _ids(db, "", party="tran van hung") == [4]


def test_snippet_shows_the_words_side_by_side() -> None:
    page = "Ông Nguyễn Thanh bán đất cho Văn Hùng. Sau đó ông Nguyễn Văn Hùng khởi kiện."
    shown = snippet(page, ["nguyen", "van", "hung"], [("nguyen", "van", "hung")])
    assert "[Nguyễn Văn Hùng]" in shown
    assert number_snippet("Căn cứ Bản án số 25 / 2020 / DS - ST;", ("25/2020/DS-ST",)) == (
        "Căn cứ Bản án số [25 / 2020 / DS - ST];"
    )


def test_query_parsing() -> None:
    q = Query.parse('Nguyễn "thi hành án" 25/2020/DS-ST')
    assert q.numbers == ("25/2020/DS-ST",) and q.words == ("nguyen",)
    assert q.phrases == (("thi", "hanh", "an"),) and q.accented
    assert not Query.parse("nguyen van hung").accented
    tiers = Query.parse("nguyen van hung").tiers({"hung": ("huug",)})
    assert [t.name for t in tiers] == ["phrase", "phrase, fuzzy", "words", "words, fuzzy"]
    assert ("nguyen", "van", "huug") in tiers[1].clauses[0]
    accented = Query.parse("Nguyễn Văn Hùng").tiers({})
    assert [t.name for t in accented] == ["phrase", "words"]
    assert accented[0].accents == [(("nguyễn", "văn", "hùng"),)]


@given(st.text(alphabet="abcdeghiklmnopqrstuvxy", min_size=1, max_size=8))
def test_syllable_shape_is_a_prefix_free_check(word: str) -> None:
    # Whatever the letters, the check answers without error, and a syllable stays one when
    # a tone mark is added and folded away again.
    assert is_syllable(word) == is_syllable(fold(word))


def test_syllables_of_running_text_pass_and_ocr_damage_fails() -> None:
    lexicon = load(Path(__file__).parents[1] / "ocr_models" / "lexicon")
    common = sorted(lexicon.unigrams.items(), key=lambda kv: -kv[1])[:3000]
    words = {skeleton(w) for w, _ in common if skeleton(w).isalpha() and len(skeleton(w)) > 1}
    failing = sorted(w for w in words if not is_syllable(w))
    # abbreviations (BLHS) and loanwords (amphetamine, container) of the legal codes only
    assert len(failing) <= 0.04 * len(words), failing
    for damaged in ("huug", "hvng", "ngayen", "nguyeu", "rnanh", "tnan", "lhi", "hing"):
        assert not is_syllable(damaged)
    for real in ("nguyen", "quynh", "khuyu", "nghieng", "thuy", "gi", "gia", "uyen"):
        assert is_syllable(real)


def test_corrected_fields_are_audited_and_searched(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with db.session() as session:
        session.add(User(name="lan", role="clerk"))
        session.add(User(name="kho", role="archivist"))
        doc = session.get(Document, 3)
        assert doc is not None
        doc.fields = _extraction(doc).to_dict()
    with pytest.raises(NotAllowed):
        corrections.correct_fields(db, 3, {"number": "216/QĐ-CCTHADS"}, "kho")
    with pytest.raises(InvalidInput, match="not a document number"):
        corrections.correct_fields(db, 3, {"number": "hai trăm"}, "lan")
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        corrections.correct_fields(db, 3, {"date": "10/1/2021"}, "lan")
    changed = corrections.correct_fields(
        db, 3, {"number": "216 / QD - CCTHADS"}, "lan", [("debtor", "Lê Thị Bản")]
    )
    assert changed["number"] == ["215/QĐ-CCTHADS", "216/QĐ-CCTHADS"]
    assert _ids(db, "216/QĐ-CCTHADS") == [3] and _ids(db, "215/QĐ-CCTHADS") == []
    assert _ids(db, "", party="le thi ban") == [3]  # the new party list is in the index
    (entry,) = audit.list_entries(db, action="field.edit")
    assert entry["actor"] == "lan" and entry["subject"] == "document:3"
    assert corrections.correct_fields(db, 3, {"number": "216/QĐ-CCTHADS"}, "lan") == {}
    with db.session() as session:
        doc = session.get(Document, 3)
        assert doc is not None
        doc.state = State.ARCHIVED.value
    with pytest.raises(NotAllowed, match="archived"):
        corrections.correct_fields(db, 3, {"issuer": "x"}, "lan")


def _extraction(doc: Document) -> Extraction:
    return Extraction(
        Found(doc.doc_type, 0.9),
        Found(doc.number, 0.9, printed=doc.number),
        Found(()),
        Found(doc.issuer, 0.9),
        Found(doc.issued_on, 0.9),
        Found(doc.case_type, 0.9),
        tuple(Party(p.role, p.name, confidence=0.9) for p in doc.parties),
    )


def test_edit_through_the_cli(tmp_path: Path, hoso_env: dict[str, str]) -> None:
    db = _db(tmp_path)
    with db.session() as session:
        session.add(User(name="lan", role="clerk"))
        doc = session.get(Document, 1)
        assert doc is not None
        doc.fields = _extraction(doc).to_dict()
    proc = run(
        ["--user", "lan", "documents", "edit", "1", "--date", "2020-06-16", "--json"], hoso_env
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["changed"] == {"date": ["2020-06-15", "2020-06-16"]}
    proc = run(["--user", "lan", "documents", "edit", "1", "--type", "verdict"], hoso_env)
    assert proc.returncode == InvalidInput.exit_code and "not a document type" in proc.stderr
    proc = run(["search", "nguyen van huug"], hoso_env)
    assert proc.returncode == 0 and "Hùug" in proc.stdout


def test_large_filter_sets_and_common_words_take_the_other_paths(
    search_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With every filter set "large", the filters are applied inside the full-text query; with
    # the fewest rows read per tier, the same documents are still found, newest first.
    monkeypatch.setattr(index_module, "SMALL_SCOPE", 0)
    monkeypatch.setattr(index_module, "CANDIDATES", 1)
    db = search_db
    assert set(_ids(db, "tai san", issuer="hiep hoa", year=2021)) == {4}
    assert set(_ids(db, '"thi hanh an"', issuer="luc ngan")) == {2, 3, 5}
    assert _ids(db, '"thi hanh an"') == [5, 3, 2]  # newest first
    assert set(_ids(db, "nguyen van hung")[:2]) == {1, 2}


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_an_index_from_before_migration_0008_is_carried_over(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from alembic import command
    from sqlalchemy import insert
    from sqlalchemy import text as sql

    from pipeline.records.database import _alembic_config, make_engine, migrate

    url = (
        request.getfixturevalue("postgres_schema_url")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path}/old.db"
    )
    engine = make_engine(url, 10)
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    with engine.begin() as connection:
        connection.execute(insert(Batch).values(id=1, name="b"))
        connection.execute(
            insert(Document).values(
                id=7, batch_id=1, original_name="a.pdf", sha256="x", state="ready", page_count=1
            )
        )
        page = "Thông báo cho ông Nguyễn Văn Hùng"
        connection.execute(
            sql(
                "INSERT INTO search_pages (document_id, page, exact, folded) VALUES (7, 0, :e, :f)"
            ),
            {"e": exact(page), "f": folded(page)},
        )
    migrate(engine)
    db = Database.open(url, 10)
    assert _ids(db, "nguyen van hung") == [7]
