"""Corrections a person makes to extracted fields, checked before they replace what was read.

A corrected value is stored as a person typed it, with confidence 1 and no box (it no longer
comes from a place on the page); a number is kept in its canonical form with the typed form as
printed, so search and linking treat it as they treat a number read from the page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.errors import InvalidInput
from pipeline.extract.model import DOC_TYPES, ROLES, Extraction, Found, Party
from pipeline.extract.numbers import CASE_TYPES, canonical_number

EDITABLE = ("doc_type", "number", "issuer", "date", "case_type")
ENFORCEMENT_CASE_TYPE = "THADS"
# What a person may type as a case type: the courts' kinds and the enforcement office's own.
TYPABLE_CASE_TYPES = (*CASE_TYPES, ENFORCEMENT_CASE_TYPE)


def _value(name: str, typed: str) -> Found:
    typed = unicodedata.normalize("NFC", typed).strip()
    if name == "number":
        if not typed:
            return Found("", 1.0)
        canonical = canonical_number(typed)
        if canonical is None:
            raise InvalidInput(
                f"{typed!r} is not a document number hoso can read; type it as printed, "
                "for example 25/2020/DS-ST or 215/QĐ-CCTHADS."
            )
        return Found(canonical, 1.0, printed=typed)
    if name == "doc_type" and typed not in DOC_TYPES:
        raise InvalidInput(f"{typed!r} is not a document type; use one of {', '.join(DOC_TYPES)}.")
    if name == "case_type":
        typed = typed.upper()
        if typed and typed not in TYPABLE_CASE_TYPES:
            raise InvalidInput(
                f"{typed!r} is not a case type; use one of {', '.join(TYPABLE_CASE_TYPES)}."
            )
    if name == "date" and typed:
        try:
            typed = dt.date.fromisoformat(typed).isoformat()
        except ValueError:
            raise InvalidInput(f"{typed!r} is not a date; type it as YYYY-MM-DD.") from None
    return Found(typed, 1.0)


def corrected(
    extraction: Extraction,
    changes: Mapping[str, str],
    parties: Sequence[tuple[str, str]] | None = None,
) -> Extraction:
    """``extraction`` with ``changes`` (field -> typed value) and, if given, a new party list.

    Raises:
        InvalidInput: a field that cannot be edited, or a value that is not valid for its field.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            f"{', '.join(unknown)} cannot be corrected here; the fields are {', '.join(EDITABLE)}."
        )
    updated: dict[str, Any] = {name: _value(name, typed) for name, typed in changes.items()}
    result = dataclasses.replace(extraction, **updated)
    if parties is not None:
        new = []
        for role, name in parties:
            if role not in ROLES:
                raise InvalidInput(f"{role!r} is not a party role; use one of {', '.join(ROLES)}.")
            name = " ".join(unicodedata.normalize("NFC", name).split())
            if not name:
                raise InvalidInput(f"The {role} has no name; type it as it is printed.")
            kept = next((p for p in extraction.parties if p.role == role and p.name == name), None)
            new.append(
                dataclasses.replace(kept, confidence=1.0)
                if kept
                else Party(role, name, confidence=1.0)
            )
        result = dataclasses.replace(result, parties=tuple(new))
    return result


def differences(before: Extraction, after: Extraction) -> dict[str, list[object]]:
    """Field -> [before, after] for every value that changed (what the audit log records)."""
    out: dict[str, list[object]] = {}
    for name in EDITABLE:
        old, new = getattr(before, name).value, getattr(after, name).value
        if old != new:
            out[name] = [old, new]
    old_parties = [[p.role, p.name] for p in before.parties]
    new_parties = [[p.role, p.name] for p in after.parties]
    if old_parties != new_parties:
        out["parties"] = [old_parties, new_parties]
    return out
