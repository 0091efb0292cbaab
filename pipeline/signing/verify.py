"""Check every signature in a PDF: integrity, coverage of the whole file, trust, timestamp.

A signature passes when its digest matches the signed bytes and its CMS signature is valid
(integrity), when it covers the whole file, or what follows it only adds validation data (DSS,
document timestamps) and nothing else (coverage), when its
certificate chains to one of the configured trust roots (trust), and, when a timestamp token is
present, when that token is valid too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext


@dataclass(frozen=True)
class SignatureCheck:
    """One signature's checks, each True or False, and the signer's name."""

    field: str
    signer: str
    signed_at: str
    intact: bool
    valid: bool
    covers_whole_file: bool
    trusted: bool
    timestamp: str  # "none", "valid" or "invalid"

    @property
    def ok(self) -> bool:
        """Every check passed."""
        return (
            self.intact
            and self.valid
            and self.covers_whole_file
            and self.trusted
            and self.timestamp != "invalid"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the overall verdict."""
        return asdict(self) | {"ok": self.ok}


def load_roots(paths: list[Path]) -> list[asn1_x509.Certificate]:
    """Trust roots from PEM or DER files."""
    roots = []
    for path in paths:
        data = path.read_bytes()
        if pem.detect(data):
            for _, _, der in pem.unarmor(data, multiple=True):
                roots.append(asn1_x509.Certificate.load(der))
        else:
            roots.append(asn1_x509.Certificate.load(data))
    return roots


def _trailing_bytes(path: Path) -> bool:
    """Whether anything but white space follows the last ``%%EOF`` (bytes no revision owns)."""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 4096))
        tail = handle.read()
    end = tail.rfind(b"%%EOF")
    return end < 0 or bool(tail[end + 5 :].strip())


def check_pdf(path: Path, roots: list[asn1_x509.Certificate]) -> list[SignatureCheck]:
    """Every signature of ``path`` checked; an empty list when the file has none."""
    checks = []
    with path.open("rb") as handle:
        reader = PdfFileReader(handle, strict=False)
        for sig in reader.embedded_signatures:
            context = ValidationContext(trust_roots=roots, allow_fetching=False)
            status = validate_pdf_signature(sig, context, skip_diff=True)
            whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
                # Revisions after it are allowed only if they add validation data (B-LT's DSS,
                # document timestamps); pyHanko's difference analysis tells.
                context = ValidationContext(trust_roots=roots, allow_fetching=False)
                status = validate_pdf_signature(sig, context, skip_diff=False)
                level = status.modification_level
                whole = (
                    level is not None
                    and level <= ModificationLevel.LTA_UPDATES
                    and not _trailing_bytes(path)
                )
            ts = status.timestamp_validity
            checks.append(
                SignatureCheck(
                    field=str(sig.field_name),
                    signer=str(status.signing_cert.subject.human_friendly),
                    signed_at=status.signer_reported_dt.isoformat()
                    if status.signer_reported_dt
                    else "",
                    intact=bool(status.intact),
                    valid=bool(status.valid),
                    covers_whole_file=whole,
                    trusted=bool(status.trusted),
                    timestamp="none"
                    if ts is None
                    else "valid"
                    if ts.valid and ts.intact
                    else "invalid",
                )
            )
    return checks
