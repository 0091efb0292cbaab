"""Searchable PDF output: invisible text layers over page images, and PDF/A metadata (pure)."""
