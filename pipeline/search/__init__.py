"""Search over the archive: one interface (:class:`~pipeline.search.index.SearchIndex`), backends.

The embedded backend is SQLite FTS5 in hoso's own database. Text is indexed twice: folded (no
tone marks, đ as d) so that "nguyen van hung" finds "Nguyễn Văn Hùng", and in an exact form with
one canonical tone placement (hoà = hòa) so that a query typed with diacritics ranks exact
matches above folded ones.
"""
