"""What the person reviewing a processed document must be told before it can be signed.

A page read badly, a page with nothing on it, a document whose title, number or issuer was not
found: each becomes a flag with a code and its values, stored with the document, shown on the
batch and document pages and printed by ``hoso process --json``. A document is never left to
look complete when it is not ("stored silently as type other" was how an upside-down scan went
unnoticed). The words a person reads come from :data:`MESSAGES`, in Vietnamese and English.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.extract import Extraction
from pipeline.text.quality import PageQuality

# Documents that print no number of their own (records and requests name others' numbers).
WITHOUT_OWN_NUMBER = frozenset({"verification_record", "seizure_record", "request", "other"})

REASONS: dict[str, tuple[str, str]] = {
    "low_confidence": (
        "the recognisers were unsure of most words",
        "phần lớn chữ nhận dạng không chắc chắn",
    ),
    "not_vietnamese": ("the words read are not Vietnamese", "chữ đọc được không phải tiếng Việt"),
    "text_missed": ("much of the printed text was not read", "nhiều dòng chữ in không đọc được"),
    "lines_unsure": (
        "some lines could not be read with certainty",
        "một số dòng không đọc được chắc chắn",
    ),
    "seal_over_text": (
        "the lines under the seal could not be read with certainty (check the signer's title "
        "and name)",
        "các dòng bị con dấu đè lên không đọc được chắc chắn (kiểm tra chức vụ và tên người ký)",
    ),
}
MESSAGES: dict[str, tuple[str, str]] = {
    "page_unreadable": (
        "Page {page} could not be read ({reasons}): check the scan, scan it again if needed.",
        "Trang {page} không đọc được ({reasons}): kiểm tra bản quét, quét lại nếu cần.",
    ),
    "page_doubtful": (
        "Part of page {page} was read unsurely ({reasons}): compare it with the scan.",
        "Một phần trang {page} đọc chưa chắc chắn ({reasons}): đối chiếu với bản quét.",
    ),
    "page_blank": ("Page {page} is blank.", "Trang {page} là trang trắng."),
    "page_turned": (
        "Page {page} was turned {degrees}° to read it upright.",
        "Trang {page} đã được xoay {degrees}° để đọc đúng chiều.",
    ),
    "type_unknown": (
        "The kind of document was not recognised from its title.",
        "Không nhận ra loại văn bản từ tiêu đề.",
    ),
    "number_missing": (
        "The document's own number was not found.",
        "Không tìm thấy số, ký hiệu của văn bản.",
    ),
    "issuer_missing": ("The issuing body was not found.", "Không tìm thấy cơ quan ban hành."),
}
# Flags a reviewer must act on (the others are information).
WARNINGS = frozenset(
    {"page_unreadable", "page_doubtful", "type_unknown", "number_missing", "issuer_missing"}
)


@dataclass(frozen=True)
class Flag:
    """One thing to tell the reviewer: a code, the page it concerns, and its values."""

    code: str
    page: int | None = None  # 1-based
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def warning(self) -> bool:
        """Whether the reviewer must act on it (a page unread, a field missing)."""
        return self.code in WARNINGS

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored with the document."""
        return {"code": self.code, "page": self.page, "values": dict(self.values)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Flag:
        """A flag stored by :meth:`as_dict`."""
        return cls(str(data["code"]), data.get("page"), dict(data.get("values") or {}))


def warnings(stored: Sequence[dict[str, Any]] | None) -> int:
    """How many of a document's stored flags the reviewer must act on."""
    return sum(1 for item in stored or () if item.get("code") in WARNINGS)


def message(flag: Flag, language: str = "en") -> str:
    """The flag in words, in ``language`` ("vi" or "en")."""
    which = 1 if language == "vi" else 0
    template = MESSAGES.get(flag.code, (flag.code, flag.code))[which]
    values = dict(flag.values)
    if "reasons" in values:
        values["reasons"] = ", ".join(REASONS.get(r, (r, r))[which] for r in values["reasons"])
    return template.format(page=flag.page, **values)


def flags_for(
    qualities: Sequence[PageQuality | None], turns: Sequence[int], fields: Extraction | None
) -> list[Flag]:
    """Every flag a processed document earns, pages first (``turns`` in degrees, per page)."""
    flags: list[Flag] = []
    for index, quality in enumerate(qualities):
        if quality is None:
            continue
        if quality.verdict == "poor":
            flags.append(Flag("page_unreadable", index + 1, {"reasons": list(quality.reasons)}))
        elif quality.verdict == "doubtful":
            flags.append(Flag("page_doubtful", index + 1, {"reasons": list(quality.reasons)}))
        elif quality.verdict == "blank":
            flags.append(Flag("page_blank", index + 1))
    for index, degrees in enumerate(turns):
        if degrees:
            flags.append(Flag("page_turned", index + 1, {"degrees": degrees}))
    if fields is not None:
        kind = str(fields.doc_type.value)
        if kind == "other":
            flags.append(Flag("type_unknown"))
        if not fields.number.value and kind not in WITHOUT_OWN_NUMBER:
            flags.append(Flag("number_missing"))
        if not fields.issuer.value and kind != "request":
            flags.append(Flag("issuer_missing"))
    return flags
