"""The jobs layer: the processing chain plus persistence (records, archive) around it."""
