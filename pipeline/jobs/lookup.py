"""Finding a record a person asked for, with one plain message when it is not there."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pipeline.errors import NotFound
from pipeline.records.models import Document


def document(session: Session, document_id: int) -> Document:
    """The document ``document_id``, or NotFound saying how to see the documents there are."""
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(
            f"There is no document {document_id}; `hoso documents list` shows the documents."
        )
    return doc
