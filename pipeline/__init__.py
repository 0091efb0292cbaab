"""hoso: digitization pipeline for Vietnamese civil-judgment enforcement case files."""

__version__ = "0.1.0"
