"""Case records and linking: the matcher, the import, and the whole path through the CLI."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipeline.errors import InputFileError
from pipeline.jobs import cases, linking
from pipeline.linking import CaseIndex, CaseRecord, DocumentFacts, decide, rank
from pipeline.records.database import Database
from tests.test_cli import run
from tests.test_extract_e2e import _scan
from tests.test_watch import watch_once

AGENCY = "Chi cục Thi hành án dân sự huyện Tân Yên, tỉnh Bắc Giang"


def _index() -> CaseIndex:
    return CaseIndex.build(
        [
            CaseRecord(
                1,
                "A",
                AGENCY,
                ("215/QĐ-CCTHADS", "25/2019/DS-ST"),
                ("Trần Thị Lan",),
                ("Nguyễn Văn Hùng",),
                2020,
            ),
            # Same decision number a year later, same office: numbers restart every year.
            CaseRecord(
                2,
                "B",
                AGENCY,
                ("215/QĐ-CCTHADS", "26/2019/DS-ST"),
                ("Lê Văn Nam",),
                ("Phạm Thị Hoa",),
                2021,
            ),
            # The same debtor's name in another case.
            CaseRecord(
                3,
                "C",
                AGENCY,
                ("99/QĐ-CCTHADS", "7/2020/DS-ST"),
                ("Trần Thị Lan",),
                ("Đỗ Minh Tâm",),
                2021,
            ),
        ]
    )


def test_a_shared_number_is_settled_by_the_names() -> None:
    facts = DocumentFacts(
        ("215/QĐ-CCTHADS", "25/2019/DS-ST"),
        (("debtor", "Trần Thị Lan"), ("creditor", "Nguyễn Văn Hùng")),
        AGENCY,
        2020,
    )
    decision = decide(rank(_index(), facts))
    assert decision.state == "linked" and decision.chosen is not None
    assert decision.chosen.code == "A" and decision.chosen.method == "number"


def test_names_alone_with_ocr_damage_and_no_tone_marks() -> None:
    facts = DocumentFacts(
        (), (("debtor", "Tran Thi Lan"), ("creditor", "Nguyen Van Hung")), AGENCY, 2020
    )
    decision = decide(rank(_index(), facts))
    assert decision.state == "linked" and decision.chosen and decision.chosen.code == "A"
    assert decision.chosen.method == "name"


def test_one_shared_name_is_ambiguous_and_goes_to_review() -> None:
    facts = DocumentFacts((), (("debtor", "Trần Thị Lan"),), AGENCY, 2020)
    decision = decide(rank(_index(), facts))
    assert decision.state == "review"
    assert {c.code for c in decision.candidates[:3]} >= {"A", "C"}


def test_a_number_one_digit_off_does_not_link_the_wrong_case() -> None:
    facts = DocumentFacts(("216/QĐ-CCTHADS",), (("debtor", "Hoàng Văn Sơn"),), AGENCY, 2020)
    assert decide(rank(_index(), facts)).state == "unlinked"


def test_an_anonymised_initial_matches_the_full_name() -> None:
    facts = DocumentFacts(("215/QĐ-CCTHADS",), (("debtor", "Trần Thị L"),), AGENCY, 2020)
    decision = decide(rank(_index(), facts))
    assert decision.candidates[0].code == "A"


def _db(tmp_path: Path) -> Database:
    return Database.open(f"sqlite:///{tmp_path}/hoso.db", 10)


def test_csv_import_reports_bad_rows_and_reimport_updates(tmp_path: Path) -> None:
    export = tmp_path / "cases.csv"
    export.write_text(
        "case_code,agency,decision_number,judgment_number,debtor,creditor,amount,opened_on\n"
        f'THA-1,"{AGENCY}",215/QD-CCTHADS,25/2019/DSST,Trần Thị Lan,Nguyễn Văn Hùng,'
        '"150.000.000",15/06/2020\n'
        f'THA-2,"{AGENCY}",not a number,,X,Y,,\n'
        f'THA-3,"{AGENCY}",99/QĐ-CCTHADS; 100/QĐ-CCTHADS,,A; B,C,5000000,2021-01-02\n',
        "utf-8",
    )
    db = _db(tmp_path)
    report = cases.import_cases(db, export)
    assert (report.created, report.updated) == (2, 0)
    assert report.errors == [(3, "decision_number 'not a number' is not a document number")]
    shown = cases.show_case(db, "THA-1")
    assert shown["decision_numbers"] == ["215/QĐ-CCTHADS"]
    assert shown["judgment_numbers"] == ["25/2019/DS-ST"]
    assert shown["amount"] == 150_000_000 and shown["opened_on"] == "2020-06-15"
    assert cases.show_case(db, "THA-3")["debtors"] == ["A", "B"]
    again = cases.import_cases(db, export)
    assert (again.created, again.updated) == (0, 2)
    assert len(cases.list_cases(db)) == 2


def test_xlsx_import_with_a_column_mapping(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã hồ sơ", "Cơ quan", "Số QĐ", "Người phải THA", "Ngày thụ lý"])
    sheet.append(["THA-9", AGENCY, "46/QĐ-THADS", "Bùi Văn Long", "2025-08-01"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "case_code: Mã hồ sơ\nagency: Cơ quan\ndecision_number: Số QĐ\n"
        "debtor: Người phải THA\nopened_on: Ngày thụ lý\n",
        "utf-8",
    )
    db = _db(tmp_path)
    report = cases.import_cases(db, path, mapping)
    assert report.created == 1 and not report.errors
    assert cases.show_case(db, "THA-9")["debtors"] == ["Bùi Văn Long"]
    with pytest.raises(InputFileError, match="no column case_code"):
        cases.import_cases(db, path)


def test_scanned_documents_are_linked_and_the_queue_is_worked(
    tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox" / "Kệ 3"
    inbox.mkdir(parents=True)
    decision = _scan(inbox / "qd.pdf", 920, "enforcement_decision")
    record = _scan(inbox / "bb.pdf", 921, "verification_record")
    debtor = next(p.name for p in decision.parties if p.role == "debtor")
    creditor = next(p.name for p in decision.parties if p.role == "creditor")
    record_debtor = next(p.name for p in record.parties if p.role == "debtor")
    export = tmp_path / "cases.csv"
    with export.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "case_code",
                "agency",
                "decision_number",
                "judgment_number",
                "debtor",
                "creditor",
                "opened_on",
            ]
        )
        writer.writerow(
            [
                "THA-1",
                decision.issuer,
                decision.number,
                decision.cited[0],
                debtor,
                creditor,
                decision.date,
            ]
        )
        # Two cases share the record's debtor: the record must wait for a person.
        writer.writerow(["THA-2", record.issuer, "", "", record_debtor, "Người Khác", record.date])
        writer.writerow(
            ["THA-3", record.issuer, "", "", record_debtor, "Người Thứ Ba", record.date]
        )
    proc = run(["cases", "import", str(export), "--json"], hoso_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["created"] == 3
    assert watch_once(hoso_env).returncode == 0

    docs = {d["file"]: d for d in json.loads(run(["documents", "list", "--json"], hoso_env).stdout)}
    assert docs["qd.pdf"]["case"] == "THA-1" and docs["qd.pdf"]["link_method"] == "number"
    assert docs["bb.pdf"]["case"] is None and docs["bb.pdf"]["link_state"] == "review"
    queue = json.loads(run(["review", "list", "--json"], hoso_env).stdout)
    assert [q["file"] for q in queue] == ["bb.pdf"]
    assert {c["case"] for c in queue[0]["candidates"][:3]} >= {"THA-2", "THA-3"}

    bb = str(docs["bb.pdf"]["id"])
    proc = run(["--user", "chv.lan", "review", "accept", bb, "--json"], hoso_env)
    assert json.loads(proc.stdout)["case"] == queue[0]["candidates"][0]["case"]
    assert run(["--user", "chv.lan", "review", "unlink", bb], hoso_env).returncode == 0
    proc = run(["--user", "chv.lan", "review", "choose", bb, "THA-3", "--json"], hoso_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"document": int(bb), "case": "THA-3", "user": "chv.lan"}
    shown = json.loads(run(["cases", "show", "THA-3", "--json"], hoso_env).stdout)
    assert [d["file"] for d in shown["documents"]] == ["bb.pdf"]
    history = json.loads(run(["documents", "show", bb, "--json"], hoso_env).stdout)["link_history"]
    first = queue[0]["candidates"][0]["case"]
    assert [(e["action"], e["actor"], e["case"]) for e in history] == [
        ("queued", "hoso", first),
        ("chose", "chv.lan", first),
        ("unlinked", "chv.lan", first),
        ("chose", "chv.lan", "THA-3"),
    ]
    # A manual choice survives a later import.
    assert run(["cases", "import", str(export)], hoso_env).returncode == 0
    again = {
        d["file"]: d for d in json.loads(run(["documents", "list", "--json"], hoso_env).stdout)
    }
    assert again["bb.pdf"]["case"] == "THA-3" and again["bb.pdf"]["link_method"] == "manual"
    with sqlite3.connect(tmp_path / "hoso.db") as conn:
        assert conn.execute("SELECT count(*) FROM link_events").fetchone()[0] >= 3
    shutil.rmtree(tmp_path / "archive", ignore_errors=True)


def test_importing_cases_links_documents_that_waited(tmp_path: Path, make_settings) -> None:  # type: ignore[no-untyped-def]
    del make_settings
    db = _db(tmp_path)
    cache = linking.IndexCache()
    with db.session() as session:
        assert cache.get(session).cases == {}
    cases.add_case(db, cases.parse_row({"case_code": "X-1", "debtor": "Lê Văn Nam"}))
    with db.session() as session:
        assert [c.code for c in cache.get(session).cases.values()] == ["X-1"]


@pytest.mark.postgres
def test_cases_import_and_link_on_postgresql(postgres_schema_url: str, tmp_path: Path) -> None:
    db = Database.open(postgres_schema_url, 10)
    export = tmp_path / "cases.csv"
    with export.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case_code", "agency", "decision_number", "debtor", "creditor"])
        writer.writerow(["P-1", AGENCY, "215/QĐ-CCTHADS", "Trần Thị Lan", "Nguyễn Văn Hùng"])
    assert cases.import_cases(db, export).created == 1
    assert cases.import_cases(db, export).updated == 1
    cache = linking.IndexCache()
    with db.session() as session:
        index = cache.get(session)
    facts = DocumentFacts(("215/QĐ-CCTHADS",), (("debtor", "Tran Thi Lan"),), AGENCY, None)
    assert decide(rank(index, facts)).chosen is not None
    assert cases.show_case(db, "P-1")["debtors"] == ["Trần Thị Lan"]
