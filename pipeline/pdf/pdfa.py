"""PDF/A-2b identification: XMP metadata that matches the document info, and an sRGB intent."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

import pikepdf
from PIL import ImageCms


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """An sRGB ICC profile made by LittleCMS, so no profile file has to be installed."""
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def mark_pdfa(pdf: pikepdf.Pdf, *, title: str, producer: str) -> None:
    """Declare ``pdf`` as PDF/A-2b: output intent, XMP identification, synced document info."""
    icc = pikepdf.Stream(pdf, srgb_profile())
    icc["/N"] = 3
    pdf.Root.OutputIntents = pikepdf.Array(
        [
            pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent,
                    S=pikepdf.Name.GTS_PDFA1,
                    OutputConditionIdentifier="sRGB IEC61966-2.1",
                    Info="sRGB IEC61966-2.1",
                    DestOutputProfile=icc,
                )
            )
        ]
    )
    for key in ("/JavaScript", "/EmbeddedFiles"):
        if "/Names" in pdf.Root and key in pdf.Root.Names:
            del pdf.Root.Names[key]
    if "/OpenAction" in pdf.Root:
        del pdf.Root.OpenAction
    now = datetime.now(UTC)
    pdf.docinfo["/Title"] = title
    pdf.docinfo["/Producer"] = producer
    pdf.docinfo["/Creator"] = producer
    pdf.docinfo["/ModDate"] = pikepdf.String(f"D:{now:%Y%m%d%H%M%S}Z")
    if "/CreationDate" not in pdf.docinfo:
        pdf.docinfo["/CreationDate"] = pdf.docinfo["/ModDate"]
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta.load_from_docinfo(pdf.docinfo, raise_failure=False)
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["xmp:CreatorTool"] = producer
        meta["pdf:Producer"] = producer
        meta["xmp:ModifyDate"] = now.isoformat(timespec="seconds")
        meta["xmp:MetadataDate"] = now.isoformat(timespec="seconds")
