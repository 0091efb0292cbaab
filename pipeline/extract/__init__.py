"""Extraction: the facts a case-file document states, read by rules from its text.

A pure stage: it reads :class:`~pipeline.extract.source.SourceLine` objects and returns an
:class:`~pipeline.extract.model.Extraction`; it knows nothing of OCR engines, files or the
database.
"""

from pipeline.extract.document import extract
from pipeline.extract.model import Extraction, Found, Party
from pipeline.extract.source import SourceLine, SourceWord, lines_from_text, lines_from_words

__all__ = [
    "Extraction",
    "Found",
    "Party",
    "SourceLine",
    "SourceWord",
    "extract",
    "lines_from_text",
    "lines_from_words",
]
