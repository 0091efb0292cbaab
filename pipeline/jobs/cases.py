"""Case records: import from the case-management software's export, add, list, show.

An export is a UTF-8 CSV with a header row or an .xlsx sheet. Its columns are by default
``case_code, agency, decision_number, judgment_number, debtor, creditor, amount, opened_on``; a
mapping file (YAML, ``our name: their column``) reads other exports. Several numbers or names in
one cell are separated by ``;``. Numbers are stored canonical, as extraction writes them, so a
document's number and a case's number compare as equal strings. Importing again updates cases
by their code and never duplicates them; a row that cannot be read is reported with its line
number and the reason, and the other rows are still imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pipeline.errors import ConfigError, InputFileError, NotFound
from pipeline.extract.numbers import canonical_number
from pipeline.jobs import audit
from pipeline.records.database import Database
from pipeline.records.models import Case, CaseNumber, CaseParty, Document
from pipeline.text.fold import fold
from pipeline.text.normalize import nfc

COLUMNS = (
    "case_code",
    "agency",
    "decision_number",
    "judgment_number",
    "debtor",
    "creditor",
    "amount",
    "opened_on",
)
REQUIRED = ("case_code",)


@dataclass(frozen=True)
class CaseInput:
    """One case as read from a row or typed on the command line, already cleaned."""

    code: str
    agency: str = ""
    decisions: tuple[str, ...] = ()
    judgments: tuple[str, ...] = ()
    debtors: tuple[str, ...] = ()
    creditors: tuple[str, ...] = ()
    amount: int | None = None
    opened_on: str = ""


@dataclass
class ImportReport:
    """What an import did: cases created and updated, and the rows it could not read."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "created": self.created,
            "updated": self.updated,
            "errors": [{"line": line, "reason": reason} for line, reason in self.errors],
        }


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in nfc(cell or "").split(";") if part.strip())


def _numbers(cell: str, column: str) -> tuple[str, ...]:
    out = []
    for printed in _split(cell):
        canonical = canonical_number(printed)
        if canonical is None:
            raise ValueError(f"{column} {printed!r} is not a document number")
        out.append(canonical)
    return tuple(out)


def _amount(cell: str) -> int | None:
    text = (cell or "").strip()
    if not text:
        return None
    digits = re.sub(r"[.,\s]|đồng|đ|VNĐ|VND", "", text, flags=re.IGNORECASE)
    if not digits.isdigit():
        raise ValueError(f"amount {text!r} is not a sum of money")
    return int(digits)


def _date(cell: str) -> str:
    text = (cell or "").strip()
    if not text:
        return ""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"opened_on {text!r} is not a date (use 2020-06-15 or 15/06/2020)")


def parse_row(row: dict[str, str]) -> CaseInput:
    """A case from one row (our column names); ValueError says in words what is wrong."""
    code = nfc(row.get("case_code") or "").strip()
    if not code:
        raise ValueError("case_code is empty")
    return CaseInput(
        code=code,
        agency=" ".join(nfc(row.get("agency") or "").split()),
        decisions=_numbers(row.get("decision_number", ""), "decision_number"),
        judgments=_numbers(row.get("judgment_number", ""), "judgment_number"),
        debtors=_split(row.get("debtor", "")),
        creditors=_split(row.get("creditor", "")),
        amount=_amount(row.get("amount", "")),
        opened_on=_date(row.get("opened_on", "")),
    )


def load_mapping(path: Path | None) -> dict[str, str]:
    """``our column -> their column`` from a YAML file (identity for the default columns)."""
    mapping = {column: column for column in COLUMNS}
    if path is None:
        return mapping
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"The column mapping {path} cannot be read: {exc}.") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError(
            f"The column mapping {path} must map our column names to theirs, "
            "one per line, like `case_code: Mã hồ sơ`."
        )
    unknown = sorted(set(data) - set(COLUMNS))
    if unknown:
        raise ConfigError(
            f"The column mapping {path} names columns hoso does not have: {', '.join(unknown)}. "
            f"The columns are: {', '.join(COLUMNS)}."
        )
    mapping.update({ours: theirs for ours, theirs in data.items()})
    return mapping


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and the rows (with their line numbers) of a CSV or .xlsx export."""
    if not path.is_file():
        raise InputFileError(f"The file {path} does not exist.")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(path, read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise InputFileError(
                f"{path.name} cannot be read as an Excel workbook: {exc}."
            ) from exc
        if sheet is None:
            raise InputFileError(f"{path.name} has no worksheet.")
        rows = sheet.iter_rows(values_only=True)
        header = [_cell(v).strip() for v in next(rows, ())]

        def xlsx_rows() -> Iterator[tuple[int, dict[str, str]]]:
            for line, values in enumerate(rows, start=2):
                if any(v is not None and str(v).strip() for v in values):
                    yield line, dict(zip(header, (_cell(v) for v in values), strict=False))

        return header, xlsx_rows()
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path.name} is not UTF-8 text. Save the export as 'CSV UTF-8' and import again."
        ) from exc
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header

    def csv_rows() -> Iterator[tuple[int, dict[str, str]]]:
        for row in reader:
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                yield reader.line_num, {k: v for k, v in row.items() if isinstance(v, str)}

    return header, csv_rows()


def _apply(session: Session, case_input: CaseInput) -> bool:
    """Create or update one case; True when it was created."""
    case = session.scalars(select(Case).where(Case.code == case_input.code)).one_or_none()
    created = case is None
    if case is None:
        case = Case(code=case_input.code)
        session.add(case)
    case.agency = case_input.agency or case.agency
    if case_input.amount is not None:
        case.amount = case_input.amount
    case.opened_on = case_input.opened_on or case.opened_on
    case.numbers = [CaseNumber(kind="decision", number=n) for n in case_input.decisions] + [
        CaseNumber(kind="judgment", number=n) for n in case_input.judgments
    ]
    case.parties = [
        CaseParty(role=role, name=name, name_folded=fold(name))
        for role, names in (("debtor", case_input.debtors), ("creditor", case_input.creditors))
        for name in names
    ]
    return created


def import_cases(
    db: Database, path: Path, mapping_file: Path | None = None, actor: str = "hoso"
) -> ImportReport:
    """Import an export file; every readable row lands, unreadable ones are reported."""
    mapping = load_mapping(mapping_file)
    header, rows = read_rows(path)
    missing = [mapping[c] for c in REQUIRED if mapping[c] not in header]
    if missing:
        raise InputFileError(
            f"{path.name} has no column {', '.join(missing)}. Its columns are: "
            f"{', '.join(header)}. Give a mapping file with --mapping to read other column names."
        )
    report = ImportReport()
    parsed: list[tuple[int, CaseInput]] = []
    for line, row in rows:
        try:
            parsed.append(
                (line, parse_row({ours: row.get(theirs, "") for ours, theirs in mapping.items()}))
            )
        except ValueError as exc:
            report.errors.append((line, str(exc)))
    with db.session(write=True) as session:
        for _, case_input in parsed:
            if _apply(session, case_input):
                report.created += 1
            else:
                report.updated += 1
            session.flush()
        audit.record(
            session,
            actor,
            "cases.import",
            f"file:{path.name}",
            created=report.created,
            updated=report.updated,
            rejected=len(report.errors),
        )
    return report


def add_case(db: Database, case_input: CaseInput, actor: str = "hoso") -> bool:
    """Add or update one case typed on the command line; True when it was created."""
    with db.session(write=True) as session:
        created = _apply(session, case_input)
        audit.record(session, actor, "cases.add", f"case:{case_input.code}", created=created)
        return created


def case_summary(case: Case) -> dict[str, Any]:
    """The fields a case listing shows."""
    return {
        "code": case.code,
        "agency": case.agency,
        "status": case.status,
        "decision_numbers": [n.number for n in case.numbers if n.kind == "decision"],
        "judgment_numbers": [n.number for n in case.numbers if n.kind == "judgment"],
        "debtors": [p.name for p in case.parties if p.role == "debtor"],
        "creditors": [p.name for p in case.parties if p.role == "creditor"],
        "amount": case.amount,
        "opened_on": case.opened_on,
    }


def list_cases(db: Database, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """Cases by code."""
    with db.session() as session:
        cases = session.scalars(
            select(Case)
            .options(selectinload(Case.numbers), selectinload(Case.parties))
            .order_by(Case.code)
            .limit(limit)
            .offset(offset)
        )
        return [case_summary(c) for c in cases]


def show_case(db: Database, code: str) -> dict[str, Any]:
    """A case and its documents in date order (undated last, then by id)."""
    with db.session() as session:
        case = session.scalars(select(Case).where(Case.code == code)).one_or_none()
        if case is None:
            raise NotFound(f"There is no case {code}. `hoso cases list` shows the cases there are.")
        data = case_summary(case)
        docs: Sequence[Document] = sorted(
            case.documents, key=lambda d: (d.issued_on == "", d.issued_on, d.id)
        )
        data["documents"] = [
            {
                "id": d.id,
                "file": d.original_name,
                "doc_type": d.doc_type,
                "number": d.number,
                "date": d.issued_on,
                "link_method": d.link_method,
                "link_score": d.link_score,
            }
            for d in docs
        ]
        return data
