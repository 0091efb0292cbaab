"""Normalise OCR text so that it is stored and compared in one form.

Tesseract and some PDFs emit decomposed (NFD) Vietnamese, and OCR reads the letter Đ as the
Icelandic eth Ð (U+00D0), which looks the same but breaks every search and number match.
"""

from __future__ import annotations

import re
import unicodedata

# Letters OCR confuses with Đ/đ that never occur in Vietnamese text.
_ETH_REPAIR = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111", "\u0189": "\u0110"})
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC."""
    return unicodedata.normalize("NFC", text)


def normalize_ocr_text(text: str) -> str:
    """Put OCR output into the stored form: NFC, Đ not Ð, single spaces, no stray controls.

    Line breaks are kept; runs of other white space become one space. The function is
    idempotent, so normalising stored text again never changes it.
    """
    text = nfc(text).translate(_ETH_REPAIR)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines)
