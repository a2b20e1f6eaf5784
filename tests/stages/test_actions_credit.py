"""What wrote an action's text is said when it was not the model: in the title, the edit's
label and, for clients that show them, a change annotation."""

from __future__ import annotations

from lsprotocol import types

from slm_lsp.actions.compute import Outcome, TextChange
from slm_lsp.actions.lsp import credit, to_edit

DOC = "def mean(values):\n    return sum(values) / len(values)\n"
CHANGE = (TextChange(18, 18, '    """Mean."""\n'),)


def _caps(annotations: bool) -> types.ClientCapabilities:
    return types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(
        workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True,
            change_annotation_support=types.ChangeAnnotationsSupportOptions()
            if annotations else None)))


def test_credit_names_the_skeleton_and_placeholders_only():
    assert "skeleton" in credit(Outcome(changes=CHANGE, source="skeleton"), "docstring")
    assert credit(Outcome(changes=CHANGE, source="model"), "docstring") == ""
    assert "placeholders" in credit(Outcome(source="skeleton"), "tests")
    assert "some placeholders" in credit(Outcome(source="mixed"), "tests")
    assert credit(Outcome(source="model"), "tests") == ""


def test_a_skeleton_edit_carries_a_change_annotation_where_the_client_shows_them():
    outcome = Outcome(changes=CHANGE, source="skeleton")
    note = credit(outcome, "docstring")
    edit = to_edit(outcome, uri="file:///m.py", version=3, text=DOC, encoding="utf-16",
                   caps=_caps(True), annotation=note)
    (doc_edit,) = edit.document_changes
    (text_edit,) = doc_edit.edits
    assert isinstance(text_edit, types.AnnotatedTextEdit)
    assert edit.change_annotations[text_edit.annotation_id].label == note
    plain = to_edit(outcome, uri="file:///m.py", version=3, text=DOC, encoding="utf-16",
                    caps=_caps(False), annotation=note)
    assert not plain.change_annotations
    assert not isinstance(plain.document_changes[0].edits[0], types.AnnotatedTextEdit)
