"""Page images: where they come from and how they are prepared for OCR (no database, no web)."""
