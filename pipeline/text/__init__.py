"""Vietnamese text handling: normalisation of OCR output (pure, no I/O)."""
