"""Generated scan files for the benchmark: image-only PDFs of invented case-file pages."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import img2pdf
from PIL import Image

from tests.synthetic import degrade, make_document, render_page

# How each benchmark document is scanned, and the format the scanner stores it in.
KINDS: list[tuple[str, str]] = [
    ("clean", "png"),
    ("office_copy", "jpeg"),
    ("noise", "jpeg"),
    ("skew", "jpeg"),
    ("bilevel", "g4"),
    ("low_dpi", "jpeg"),
    ("blur", "jpeg"),
    ("jpeg", "jpeg"),
]
# Issue 3's corpus: every kind of bad scan an office has; "fax" is a multi-page G4 TIFF file.
HARD_KINDS: list[tuple[str, str]] = [
    ("clean", "png"),
    ("office_copy", "jpeg"),
    ("fax", "tiff"),
    ("faded", "jpeg"),
    ("phone", "jpeg"),
    ("rot90", "jpeg"),
    ("rot180", "jpeg"),
    ("rot270", "jpeg"),
    ("faded_rot90", "jpeg"),
    ("seal_signature", "jpeg"),
    ("skew", "jpeg"),
    ("low_dpi", "jpeg"),
]


@dataclass(frozen=True)
class CorpusFile:
    """One generated PDF and the true text of each of its pages."""

    path: Path
    kind: str
    truths: list[str]


def _encode(image: Image.Image, fmt: str, dpi: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "g4":
        image.convert("1").save(buf, "TIFF", compression="group4", dpi=(dpi, dpi))
    elif fmt == "jpeg":
        mode = "RGB" if image.mode == "RGB" else "L"
        image.convert(mode).save(buf, "JPEG", quality=80, dpi=(dpi, dpi))
    else:
        image.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def page_image(seed: int, index: int, kind: str, pages: int) -> tuple[Image.Image, str, int]:
    """A degraded page image, its true text and its resolution."""
    doc = make_document(seed, pages=pages)
    rendered = render_page(doc, index)
    image = degrade(rendered.image, "bilevel" if kind == "fax" else kind, seed * 100 + index)
    dpi = 200 if kind in ("bilevel", "low_dpi", "fax") else 300
    return image, rendered.text, dpi


def build(
    folder: Path,
    documents: int,
    pages_per_doc: int,
    seed: int = 1000,
    kinds: list[tuple[str, str]] = KINDS,
) -> list[CorpusFile]:
    """Write ``documents`` files of ``pages_per_doc`` pages each, cycling through ``kinds``."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[CorpusFile] = []
    for n in range(documents):
        kind, fmt = kinds[n % len(kinds)]
        path = folder / f"doc{n:03d}-{kind}.{'tif' if fmt == 'tiff' else 'pdf'}"
        truth_path = path.with_suffix(".json")
        if path.exists() and truth_path.exists():
            files.append(CorpusFile(path, kind, json.loads(truth_path.read_text("utf-8"))))
            continue
        blobs, truths, images = [], [], []
        for index in range(pages_per_doc):
            image, text, dpi = page_image(seed + n, index, kind, pages_per_doc)
            blobs.append(_encode(image, fmt, dpi))
            if fmt == "tiff":
                images.append(image.convert("1"))
            truths.append(text)
        if fmt == "tiff":
            images[0].save(
                path, save_all=True, append_images=images[1:], compression="group4", dpi=(200, 200)
            )
        else:
            path.write_bytes(img2pdf.convert(blobs))
        truth_path.write_text(json.dumps(truths, ensure_ascii=False), "utf-8")
        files.append(CorpusFile(path, kind, truths))
    return files


def build_long(path: Path, pages: int, seed: int = 7) -> Path:
    """One long scanned PDF (office-copy JPEG pages) for the memory measurement."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parts")
    tmp.mkdir(exist_ok=True)
    names = []
    for index in range(pages):
        image, _, dpi = page_image(seed + index, 0, "office_copy", 1)
        name = tmp / f"{index:04d}.jpg"
        name.write_bytes(_encode(image, "jpeg", dpi))
        names.append(str(name))
    with path.open("wb") as handle:
        img2pdf.convert(names, outputstream=handle)
    for name in names:
        Path(name).unlink()
    tmp.rmdir()
    return path
