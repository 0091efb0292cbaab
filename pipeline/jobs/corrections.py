"""Correcting a document's extracted fields by hand, audited, then re-indexed and re-linked.

The correction is written with its audit entry in one transaction. A clerk's or an admin's
correction is ``field.edit``, which makes them an author who may not approve the document; a
signing officer's correction made while reviewing is ``field.review``: the officer answers for
what they sign, and the correction is on record beside the approval. Only after the commit is the
document re-indexed for search and, unless a person chose its case, linked again, since a
corrected number or party may point at another case.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from pipeline.errors import HosoError, NotAllowed, NotFound
from pipeline.extract.corrections import corrected, differences
from pipeline.extract.model import Extraction
from pipeline.jobs import audit, linking, searching
from pipeline.jobs.approval import require_role
from pipeline.jobs.processing import store_fields
from pipeline.records.database import Database
from pipeline.records.models import Document, State

log = logging.getLogger(__name__)
EDITORS = ("clerk", "officer", "admin")
EDITABLE_STATES = (State.READY.value, State.RETURNED.value)


def correct_fields(
    db: Database,
    document_id: int,
    changes: Mapping[str, str],
    actor: str,
    parties: Sequence[tuple[str, str]] | None = None,
) -> dict[str, list[object]]:
    """Apply ``changes`` (and a new party list, if given); returns field -> [before, after]."""
    with db.session(write=True) as session:
        user = require_role(session, actor, EDITORS)
        doc = session.get(Document, document_id, with_for_update=True)
        if doc is None:
            raise NotFound(f"There is no document {document_id}; `hoso documents list` shows them.")
        if doc.state not in EDITABLE_STATES:
            raise NotAllowed(
                f"Document {document_id} is {doc.state}; fields can be corrected only while a "
                "document is ready for review or returned."
            )
        if doc.fields is None:
            raise NotAllowed(f"Document {document_id} has no extracted fields to correct.")
        before = Extraction.from_dict(doc.fields)
        after = corrected(before, changes, parties)
        changed = differences(before, after)
        if not changed:
            return {}
        store_fields(doc, after)
        action = "field.review" if user.role == "officer" else "field.edit"
        audit.record(session, actor, action, f"document:{document_id}", changes=changed)
        searching.queue_index(session, document_id)
    searching.index_after_commit(db, document_id)
    try:
        linking.link_document(db, document_id)
    except HosoError as exc:
        log.error("document %s was corrected but not re-linked: %s", document_id, exc.message)
    return changed
