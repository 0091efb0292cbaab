"""What extraction returns: each fact with its confidence and where it was printed.

The review screen shows an officer the box a value came from and how sure the rule was, so every
field carries ``confidence`` (0-1) and ``page``/``box`` (fractions of the upright page) beside
its value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.extract.source import Box

# What a document can be, told apart by its title ("other": a record of another kind).
DOC_TYPES = (
    "judgment",
    "court_decision",
    "enforcement_decision",
    "verification_record",
    "seizure_record",
    "notice",
    "request",
    "other",
)
ROLES = (
    "plaintiff",
    "defendant",
    "related_party",
    "petitioner",
    "respondent",
    "accused",
    "victim",
    "debtor",
    "creditor",
    "representative",
)


@dataclass(frozen=True)
class Found:
    """One extracted value, how sure the rule is of it, and where it was printed."""

    value: Any
    confidence: float = 0.0
    page: int | None = None
    box: Box | None = None
    printed: str = ""


@dataclass(frozen=True)
class Party:
    """A party with its role code, the name as printed without honorific, and its details."""

    role: str
    name: str
    birth_year: int | None = None
    id_number: str = ""
    address: str = ""
    confidence: float = 0.0
    page: int | None = None
    box: Box | None = None


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one document."""

    doc_type: Found
    number: Found  # canonical; printed form in .printed; "" when the document has none
    cited: Found  # tuple of canonical numbers in order of appearance
    issuer: Found
    date: Found  # ISO date string or ""
    case_type: Found
    parties: tuple[Party, ...] = field(default_factory=tuple)
    amounts: Found = field(default_factory=lambda: Found(()))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: values plain, confidences rounded, boxes as lists."""

        def clean(found: Found) -> dict[str, Any]:
            value = list(found.value) if isinstance(found.value, tuple) else found.value
            out: dict[str, Any] = {
                "value": value,
                "confidence": round(found.confidence, 3),
                "page": found.page,
                "box": [round(v, 4) for v in found.box] if found.box else None,
            }
            if found.printed:
                out["printed"] = found.printed
            return out

        parties = []
        for party in self.parties:
            item = asdict(party)
            item["confidence"] = round(party.confidence, 3)
            item["box"] = [round(v, 4) for v in party.box] if party.box else None
            parties.append(item)
        return {
            "doc_type": clean(self.doc_type),
            "number": clean(self.number),
            "cited": clean(self.cited),
            "issuer": clean(self.issuer),
            "date": clean(self.date),
            "case_type": clean(self.case_type),
            "parties": parties,
            "amounts": clean(self.amounts),
        }

    def values(self) -> dict[str, Any]:
        """The plain values scripts read (the top level of ``hoso process --json``)."""
        out: dict[str, Any] = {}
        for key in ("doc_type", "number", "cited", "issuer", "date", "case_type", "amounts"):
            value = getattr(self, key).value
            out[key] = list(value) if isinstance(value, tuple) else value
        out["printed_number"] = self.number.printed
        out["parties"] = [
            {
                "role": p.role,
                "name": p.name,
                "birth_year": p.birth_year,
                "id_number": p.id_number,
                "address": p.address,
            }
            for p in self.parties
        ]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Extraction:
        """Rebuild an extraction stored as :meth:`to_dict` made it."""

        def found(item: dict[str, Any]) -> Found:
            value = item.get("value")
            value = tuple(value) if isinstance(value, list) else value
            box = tuple(item["box"]) if item.get("box") else None
            return Found(
                value,
                item.get("confidence", 0.0),
                item.get("page"),
                box,
                item.get("printed", ""),
            )

        parties = tuple(
            Party(**{**p, "box": tuple(p["box"]) if p.get("box") else None})
            for p in data.get("parties", [])
        )
        return cls(
            found(data["doc_type"]),
            found(data["number"]),
            found(data["cited"]),
            found(data["issuer"]),
            found(data["date"]),
            found(data["case_type"]),
            parties,
            found(data["amounts"]),
        )
