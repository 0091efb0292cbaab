"""The database: documents, pages, batches, and the migrations that create them."""
