"""Tesseract OCR: words with boxes and confidences from a page image (pure, no database)."""
