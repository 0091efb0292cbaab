"""The processing chain on generated scans, with the real Tesseract and poppler."""

from __future__ import annotations

import subprocess
import unicodedata
import zlib
from pathlib import Path

import pikepdf
import pytest

from pipeline.chain import ChainOptions, process_document
from pipeline.errors import CorruptFile, EncryptedPdf
from pipeline.settings import Settings
from tests.conftest import Scans
from tests.synthetic import degrade, make_document, render_page
from tests.synthetic.metrics import cer


def pdftotext_pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    return text.split("\f")[:-1]


def rate(truths: list[str], texts: list[str]) -> float:
    errors = total = 0
    for truth, text in zip(truths, texts, strict=True):
        e, t = cer(truth, text)
        errors, total = errors + e, total + t
    return errors / total


@pytest.fixture
def options(make_settings) -> ChainOptions:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings()
    return ChainOptions.from_settings(settings)


def test_scanned_pdf_becomes_searchable_pdfa(
    scans: Scans, options: ChainOptions, tmp_path: Path
) -> None:
    source = scans.pdf()
    out = tmp_path / "out.pdf"
    result = process_document(source, tmp_path / "work", options, out)
    assert [p.source for p in result.pages] == ["ocr", "ocr"]
    assert all(p.confidence > 80 for p in result.pages)
    assert all(p.dpi == pytest.approx(300, abs=1) for p in result.pages)  # native image used
    assert rate(scans.truth[source.name], [p.text for p in result.pages]) < 0.02
    extracted = pdftotext_pages(out)
    assert rate(scans.truth[source.name], extracted) < 0.02
    assert all(unicodedata.is_normalized("NFC", page) for page in extracted)
    assert "thi hành án" in extracted[0]
    with pikepdf.open(out) as pdf, pikepdf.open(source) as original:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
        assert "/Filter" not in pdf.Root.Metadata  # PDF/A: XMP stays readable
        assert pdf.trailer.ID is not None
        font = pdf.pages[0].Resources.Font["/HosoOCR"]
        assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor  # embedded
        assert str(pdf.docinfo["/Producer"]) == meta["pdf:Producer"]
        # The page images are the scan's own, byte for byte.
        for page, orig in zip(pdf.pages, original.pages, strict=True):
            (img,), (orig_img,) = page.get_images().values(), orig.get_images().values()
            assert img.read_raw_bytes() == orig_img.read_raw_bytes()


def test_g4_tiff_pages_are_read_at_their_resolution(
    scans: Scans, options: ChainOptions, tmp_path: Path
) -> None:
    source = scans.tiff_g4()
    out = tmp_path / "fax.pdf"
    result = process_document(source, tmp_path / "work", options, out)
    assert len(result.pages) == 2
    assert all(p.dpi == pytest.approx(200, abs=1) for p in result.pages)
    assert rate(scans.truth[source.name], pdftotext_pages(out)) < 0.03
    with pikepdf.open(out) as pdf:
        image = next(iter(pdf.pages[0].get_images().values()))
        assert "/CCITTFaxDecode" in str(image.Filter)  # embedded as is, not re-encoded


def test_transparent_png_is_flattened(scans: Scans, options: ChainOptions, tmp_path: Path) -> None:
    source = scans.png_alpha()
    result = process_document(source, tmp_path / "work", options, tmp_path / "a.pdf")
    assert rate(scans.truth[source.name], [result.pages[0].text]) < 0.02


def test_pages_with_text_are_not_read_again(
    scans: Scans, options: ChainOptions, tmp_path: Path
) -> None:
    first = process_document(scans.pdf(), tmp_path / "w1", options, tmp_path / "once.pdf")
    again = process_document(
        tmp_path / "once.pdf", tmp_path / "w2", options, tmp_path / "twice.pdf"
    )
    assert [p.source for p in again.pages] == ["text_layer", "text_layer"]
    assert rate([p.text for p in first.pages], [p.text for p in again.pages]) < 0.01


def test_rotated_page_text_layer_follows_the_rotation(
    scans: Scans, options: ChainOptions, tmp_path: Path
) -> None:
    rotated = tmp_path / "rotated.pdf"
    with pikepdf.open(scans.pdf()) as pdf:
        # Store the first page's image turned a quarter, and let /Rotate turn it back.
        page = pdf.pages[0]
        ((name, image),) = page.get_images().items()
        from PIL import Image

        pil = pikepdf.PdfImage(image).as_pil_image().transpose(Image.Transpose.ROTATE_90)
        image.write(zlib.compress(pil.convert("L").tobytes()), filter=pikepdf.Name.FlateDecode)
        if "/DecodeParms" in image:
            del image.DecodeParms
        image.Width, image.Height = pil.width, pil.height
        image.ColorSpace = pikepdf.Name.DeviceGray
        w, h = float(page.mediabox[2]), float(page.mediabox[3])
        page.mediabox = [0, 0, h, w]
        page.obj.Contents = pikepdf.Stream(pdf, f"q {h} 0 0 {w} 0 0 cm {name} Do Q".encode())
        page.obj.Rotate = 90
        del pdf.pages[1]
        pdf.save(rotated)
    out = tmp_path / "rotated-out.pdf"
    result = process_document(rotated, tmp_path / "work", options, out)
    truth = scans.truth["scan.pdf"][:1]
    assert rate(truth, [result.pages[0].text]) < 0.02
    assert rate(truth, pdftotext_pages(out)) < 0.02


def test_damaged_and_protected_pdfs_fail_plainly(
    options: ChainOptions, tmp_path: Path, scans: Scans
) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(scans.pdf().read_bytes()[:2000])
    with pytest.raises(CorruptFile, match=r"broken\.pdf is damaged"):
        process_document(broken, tmp_path / "w", options)
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(scans.pdf()) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    with pytest.raises(EncryptedPdf, match="password"):
        process_document(locked, tmp_path / "w2", options)


@pytest.mark.parametrize(
    "kind", ["rot90", "faded_rot90", "seal_signature", "phone", "skew", "black_edges"]
)
def test_bad_scans_read_like_clean_ones(kind: str, options: ChainOptions, tmp_path: Path) -> None:
    doc = make_document(80)
    rendered = render_page(doc, 0)
    image = degrade(rendered.image, kind, 80)
    source = tmp_path / f"{kind}.jpg"
    image.save(source, "JPEG", quality=85, dpi=(300, 300))
    out = tmp_path / f"{kind}.pdf"
    result = process_document(source, tmp_path / "work", options, out)
    assert rate([rendered.text], [result.pages[0].text]) < 0.01
    assert rate([rendered.text], pdftotext_pages(out)) < 0.01  # the text layer lines up
    with pikepdf.open(out) as pdf:
        expected = {"rot90": 270, "faded_rot90": 270}.get(kind, 0)
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) == expected  # shown upright
