"""One table of document states: every change the code makes is in it, and nothing else is."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeline.records import states
from pipeline.records.models import Document, State
from pipeline.records.states import TRANSITIONS, InvalidTransition, allowed, move

PACKAGE = Path(__file__).parents[1] / "pipeline"


def test_the_lawful_path_of_a_document() -> None:
    doc = Document(id=7, state=State.RECEIVED.value)
    for step in (State.PROCESSING, State.READY, State.RETURNED, State.READY, State.APPROVED):
        move(doc, step)
        assert doc.state == step.value
    move(doc, State.ARCHIVED)
    assert doc.state == "archived"


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (State.ARCHIVED, State.READY),  # a signed record is never taken back
        (State.DUPLICATE, State.PROCESSING),
        (State.RECEIVED, State.APPROVED),  # nobody approves what was not read
        (State.APPROVED, State.READY),
        (State.READY, State.PROCESSING),
    ],
)
def test_a_change_the_table_does_not_list_is_refused(current: State, wanted: State) -> None:
    doc = Document(id=3, state=current.value)
    with pytest.raises(InvalidTransition) as caught:
        move(doc, wanted)
    assert doc.state == current.value
    assert caught.value.document_id == 3 and caught.value.wanted is wanted
    assert f"Document 3 is {current.value}" in caught.value.message


def test_every_state_has_a_row_and_unknown_states_move_nowhere() -> None:
    assert set(TRANSITIONS) == set(State)
    assert not allowed("no-such-state", State.READY)
    assert set(states.sources_of(State.RECEIVED)) == {"processing", "failed"}


def test_no_module_assigns_a_state_but_through_the_table() -> None:
    """``doc.state = ...`` outside records/states.py is how states went wrong before."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "states.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                elements = target.elts if isinstance(target, ast.Tuple) else [target]
                if any(isinstance(t, ast.Attribute) and t.attr == "state" for t in elements):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []
