"""Sign a PDF: an incremental PAdES baseline signature with a visible stamp on the last page.

The signature is appended as an incremental update, so the PDF/A document under it is kept byte
for byte (its XMP metadata and output intent stay intact). The result is written to a temporary
file, flushed to disk and renamed, so a reader never sees a half-signed file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext

from pipeline.errors import CorruptFile, ExternalProgramError, StorageError
from pipeline.signing.appearance import STAMP_BOX, StampSpec, stamp_style
from pipeline.signing.verify import load_roots

FIELD = "hoso-signature"


@dataclass(frozen=True)
class SignOptions:
    """What kind of signature: PAdES level, and the timestamp authority for B-T and above."""

    level: str = "B-B"  # "B-B", "B-T" (needs tsa_url), "B-LT" (embeds validation data)
    tsa_url: str = ""
    timeout: float = 30.0
    reason: str = "Chứng thực bản số hóa"
    location: str = ""
    trust_roots: tuple[Path, ...] = ()  # B-LT: the chain whose validation data is embedded


@dataclass(frozen=True)
class SignResult:
    """The signed file and what was asked of it."""

    path: Path
    level: str


def _validation_context(options: SignOptions) -> ValidationContext:
    """What B-LT embeds: the chain to the trust roots, and revocation data where it can be had."""
    return ValidationContext(
        trust_roots=load_roots(list(options.trust_roots)),
        allow_fetching=True,
        revocation_mode="soft-fail",
    )


def _last_page(path: Path) -> int:
    with path.open("rb") as handle:
        return int(PdfFileReader(handle).root["/Pages"]["/Count"]) - 1


def sign_pdf(
    source: Path,
    target: Path,
    signer: signers.Signer,
    stamp: StampSpec,
    options: SignOptions = SignOptions(),
) -> SignResult:
    """Write ``source`` signed to ``target`` (which may not be ``source``)."""
    if options.level not in ("B-B", "B-T", "B-LT"):
        raise ValueError(f"unknown PAdES level {options.level}")
    timestamper = None
    if options.level in ("B-T", "B-LT"):
        if not options.tsa_url:
            raise ExternalProgramError(
                f"A {options.level} signature needs a timestamp authority: set signing.tsa_url."
            )
        timestamper = HTTPTimeStamper(options.tsa_url, timeout=int(options.timeout))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=options.reason,
        location=options.location or None,
        embed_validation_info=options.level == "B-LT",
        use_pades_lta=False,
        validation_context=_validation_context(options) if options.level == "B-LT" else None,
    )
    try:
        page = _last_page(source)
    except (OSError, KeyError, ValueError) as exc:
        raise CorruptFile(f"{source.name} cannot be signed: it is not a readable PDF.") from exc
    pdf_signer = signers.PdfSigner(
        meta,
        signer,
        timestamper=timestamper,
        stamp_style=stamp_style(stamp),
        new_field_spec=fields.SigFieldSpec(FIELD, on_page=page, box=STAMP_BOX),
    )
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with source.open("rb") as inf, tmp.open("wb") as outf:
            writer = IncrementalPdfFileWriter(inf, strict=False)
            pdf_signer.sign_pdf(writer, output=outf)
            outf.flush()
            os.fsync(outf.fileno())
        tmp.replace(target)
    except SigningError as exc:
        tmp.unlink(missing_ok=True)
        raise ExternalProgramError(f"Signing {source.name} failed: {exc}.") from exc
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"Cannot write {target}: {exc.strerror}.") from exc
    return SignResult(target, options.level)
