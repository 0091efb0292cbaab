"""Poppler, the one external program hoso uses for PDFs: version probe, rendering, text.

Every call has a time limit and turns failures into typed errors with plain messages.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import threading
from functools import lru_cache
from pathlib import Path

from pdf2image import convert_from_path
from pdf2image.exceptions import (
    PDFInfoNotInstalledError,
    PDFPageCountError,
    PDFPopplerTimeoutError,
    PDFSyntaxError,
)
from PIL import Image

from pipeline.errors import CorruptFile, ExternalProgramError, MissingDependency, ProgramTimeout


@lru_cache(maxsize=1)
def version() -> str:
    """Poppler's version, e.g. ``22.12.0``; raises MissingDependency when it is not installed."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise MissingDependency(
            "Poppler (pdftoppm) is not installed. Run `make run` or "
            "`apt-get install poppler-utils`."
        )
    proc = subprocess.run([exe, "-v"], capture_output=True, text=True, timeout=10, check=False)
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", proc.stderr + proc.stdout)
    return match.group(1) if match else "unknown"


def render_page(pdf: Path, index: int, dpi: int, timeout: float) -> Image.Image:
    """Render page ``index`` (0-based) of ``pdf`` as a greyscale image at ``dpi``."""
    version()
    try:
        images = convert_from_path(
            pdf,
            dpi=dpi,
            first_page=index + 1,
            last_page=index + 1,
            grayscale=True,
            timeout=max(1, math.ceil(timeout)),
            fmt="ppm",
        )
    except PDFPopplerTimeoutError as exc:
        raise ProgramTimeout(
            f"Rendering page {index + 1} of {pdf.name} took longer than "
            f"{timeout:.0f} seconds. The page may be damaged or very large; "
            "raise programs.poppler_timeout to try again."
        ) from exc
    except (PDFPageCountError, PDFSyntaxError) as exc:
        raise CorruptFile(
            f"Page {index + 1} of {pdf.name} cannot be rendered: the PDF is "
            "damaged. Scan the document again."
        ) from exc
    except PDFInfoNotInstalledError as exc:
        raise MissingDependency("Poppler is not installed. Run `make run`.") from exc
    if not images:
        raise ExternalProgramError(f"Poppler rendered nothing for page {index + 1} of {pdf.name}.")
    return images[0]


def page_texts(pdf: Path, timeout: float) -> list[str]:
    """The text each page of ``pdf`` already carries, one string per page."""
    version()
    try:
        proc = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProgramTimeout(
            f"Reading the text of {pdf.name} took longer than {timeout:.0f} seconds."
        ) from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CorruptFile(
            f"The text of {pdf.name} cannot be read: the PDF is damaged "
            f"({detail[-1] if detail else 'pdftotext failed'})."
        )
    pages = proc.stdout.decode("utf-8", "replace").split("\f")
    return pages[:-1] if pages and pages[-1] == "" else pages


def render_preview(pdf: Path, index: int, width: int, target: Path, timeout: float) -> Path:
    """Render page ``index`` (0-based) in colour, ``width`` pixels wide, to the JPEG ``target``.

    JPEG, because pages are scans: five times faster to write than PNG and half the size.

    For people looking at a page (thumbnails, the viewer); written beside ``target`` under a
    temporary name and renamed, so a half-written image is never served.
    """
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise MissingDependency("Poppler (pdftoppm) is not installed. Run `make run`.")
    target.parent.mkdir(parents=True, exist_ok=True)
    stem = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}")
    page = str(index + 1)
    command = [exe, "-jpeg", "-jpegopt", "quality=85", "-f", page, "-l", page, "-singlefile"]
    command += ["-scale-to-x", str(width), "-scale-to-y", "-1", str(pdf), str(stem)]
    try:
        proc = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ProgramTimeout(
            f"Rendering page {index + 1} of {pdf.name} took longer than {timeout:.0f} seconds."
        ) from exc
    produced = stem.with_name(stem.name + ".jpg")
    if proc.returncode != 0 or not produced.is_file():
        produced.unlink(missing_ok=True)
        raise CorruptFile(
            f"Page {index + 1} of {pdf.name} cannot be shown: "
            f"{proc.stderr.decode(errors='replace').strip() or 'poppler failed'}."
        )
    os.replace(produced, target)
    return target
