"""The archive on disk: immutable originals by hash and the searchable PDFs of each batch."""
