"""Files made to hurt: refused before anything is decoded, with the limit named in plain words."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from pipeline.errors import PageTooLarge
from pipeline.imaging.sources import plan_document
from pipeline.ingest.filetypes import MediaType


def plan(path: Path, media_type: MediaType, tmp_path: Path) -> object:
    return plan_document(
        path,
        media_type,
        tmp_path / "work",
        default_dpi=300,
        text_min_chars=20,
        redo_text=False,
        poppler_timeout=30,
    )


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""
    Image.new("L", (8, 8), 255).save(path)
    data = bytearray(path.read_bytes())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17])) & 0xFFFFFFFF
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("side", [25_000, 60_000])  # 625 M pixels: over the limit; 3.6 G: a bomb
def test_an_image_claiming_too_many_pixels_is_refused_unread(tmp_path: Path, side: int) -> None:
    bomb = png_claiming(tmp_path / "bomb.png", side, side)
    with pytest.raises(PageTooLarge, match="too large to read") as caught:
        plan(bomb, MediaType.PNG, tmp_path)
    assert "pixels" in caught.value.message and "600 dpi or less" in caught.value.message


def test_a_pdf_page_of_absurd_size_is_refused(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200 * 72, 200 * 72))  # 200 x 200 inches
    path = tmp_path / "huge.pdf"
    pdf.save(path)
    with pytest.raises(PageTooLarge, match=r"page 1 is 5\.1 m long, more than 2\.5 m"):
        plan(path, MediaType.PDF, tmp_path)
