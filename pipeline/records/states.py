"""Every change of a document's state, checked against one table.

A document's state was a bare string assigned in eleven places in four modules; nothing said
which changes are lawful, so a bug could take an archived (signed) document back to "ready" or a
duplicate into processing without anyone noticing. Every change now goes through :func:`move`,
which refuses a change the table does not list. A document is created in "received", "failed"
(refused at intake) or "duplicate"; those are not changes.
"""

from __future__ import annotations

from pipeline.errors import NotAllowed
from pipeline.records.models import Document, State

TRANSITIONS: dict[State, frozenset[State]] = {
    # claimed by a worker; or refused after the fact (a file that cannot be read)
    State.RECEIVED: frozenset({State.PROCESSING, State.FAILED}),
    # read and filed; failed for good; or back in the queue (a crash, a lease that expired)
    State.PROCESSING: frozenset({State.READY, State.FAILED, State.RECEIVED}),
    # an officer approves it or sends it back
    State.READY: frozenset({State.APPROVED, State.RETURNED}),
    # the clerk fixed what was asked and sends it back for review
    State.RETURNED: frozenset({State.READY}),
    # signed and filed
    State.APPROVED: frozenset({State.ARCHIVED}),
    # tried again (a person asked, or the same file was dropped again)
    State.FAILED: frozenset({State.RECEIVED}),
    State.DUPLICATE: frozenset(),
    State.ARCHIVED: frozenset(),  # a signed record is never taken back; new versions are added
}


class InvalidTransition(NotAllowed):
    """A change of state the table does not allow (a bug, or two people acting at once)."""

    def __init__(self, document_id: int | None, current: str, wanted: State) -> None:
        super().__init__(
            f"Document {document_id} is {current}; it cannot become {wanted.value} from there."
        )
        self.document_id, self.current, self.wanted = document_id, current, wanted


def allowed(current: State | str, wanted: State) -> bool:
    """Whether a document in ``current`` may move to ``wanted``."""
    try:
        return wanted in TRANSITIONS[State(current)]
    except ValueError:
        return False


def move(doc: Document, wanted: State) -> None:
    """Change ``doc``'s state to ``wanted``, or raise :class:`InvalidTransition`."""
    if not allowed(doc.state, wanted):
        raise InvalidTransition(doc.id, doc.state, wanted)
    doc.state = wanted.value


def sources_of(wanted: State) -> tuple[str, ...]:
    """The states from which a document may move to ``wanted`` (for bulk updates' WHERE)."""
    return tuple(s.value for s, targets in TRANSITIONS.items() if wanted in targets)
