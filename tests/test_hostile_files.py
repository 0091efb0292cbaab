"""Files made to hurt: refused before anything is decoded, with the limit named in plain words."""

from __future__ import annotations

import hashlib
import os
import signal
import struct
import subprocess
import time
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from pipeline.errors import PageTooLarge
from pipeline.imaging.sources import plan_document
from pipeline.ingest.filetypes import MediaType, looks_complete
from tests.conftest import Scans
from tests.test_watch import HOSO, db_states, documents


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


def test_a_file_cut_short_is_not_complete(scans: Scans, tmp_path: Path) -> None:
    """Each format's end is found; the same file cut anywhere before it is not complete."""
    whole = {
        "scan.pdf": scans.pdf("complete.pdf", seed=81, pages=2, kind="clean"),
        "fax.tif": scans.tiff_g4("complete.tif", seed=82, pages=2),
        "photo.jpg": scans.jpeg(),
    }
    png = tmp_path / "page.png"
    Image.new("L", (300, 200), 200).save(png)
    whole["page.png"] = png
    for name, source in whole.items():
        data = source.read_bytes()
        assert looks_complete(source), name
        for cut in (len(data) // 3, len(data) - 40):
            part = tmp_path / f"part-{cut}-{name}"
            part.write_bytes(data[:cut])
            assert not looks_complete(part), (name, cut)


def test_a_scan_written_in_pauses_is_waited_for_and_taken_whole(
    scans: Scans, tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    """A scanner writing in four chunks 3 s apart (longer than the stability wait) under the
    final name: the watcher waits for the end of the PDF and archives the whole file."""
    source = scans.pdf("stalled.pdf", seed=83, pages=3, kind="clean")
    data = source.read_bytes()
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    watcher = subprocess.Popen(
        [HOSO, "watch"],
        env=hoso_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        target = inbox / "stalled.pdf"
        quarter = len(data) // 4
        with target.open("wb") as out:
            for k in range(4):
                out.write(data[k * quarter : (k + 1) * quarter if k < 3 else len(data)])
                out.flush()
                if k < 3:
                    time.sleep(3)  # stable_seconds is 0.3 in tests
                    assert target.exists(), "a half-written file was taken"
                    assert db_states(tmp_path / "hoso.db") == []
        deadline = time.monotonic() + 180
        while db_states(tmp_path / "hoso.db") != ["ready"]:
            assert time.monotonic() < deadline, db_states(tmp_path / "hoso.db")
            time.sleep(0.3)
    finally:
        os.killpg(watcher.pid, signal.SIGINT)
        watcher.wait(timeout=60)
    [doc] = documents(hoso_env)
    assert doc["pages"] == 3 and doc["sha256"] == hashlib.sha256(data).hexdigest()
