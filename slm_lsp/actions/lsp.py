"""Between LSP and the actions: the action's ``data``, kinds and titles, and an ``Outcome`` as a
WorkspaceEdit with ranges in the client's encoding.

Edits never overwrite a file: a new test file is ``CreateFile(ignoreIfExists)`` followed by an
insert at 0:0, an existing one gets an insert at its end.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import attrs
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.capabilities import get_capability
from pygls.uris import from_fs_path

from ..documents import Encoding, chars_to_units
from .compute import Outcome
from .kinds import KINDS

COMMAND = "slmLsp.applyAction"
REWRITE_COMMAND = "slmLsp.rewrite"


@cache
def _converter():
    """The wire form is camelCase, as lsprotocol structures command arguments. Built on first
    use: it takes about 15 ms, which `initialize` need not wait for."""
    return get_converter()


@attrs.define
class ActionData:
    """What an action needs to be computed later: carried in ``CodeAction.data`` and as the
    ``slmLsp.applyAction`` command's argument."""

    uri: str
    version: int
    kind: str  # a key of KINDS: "fix", "docstring", "tests", "extract_function"...
    start_line: int
    start_character: int
    end_line: int
    end_character: int
    message: str = ""
    scope: str = ""  # tests: "module" for the whole module, else the definition at start
    title: str = ""
    instruction: str = ""  # rewrite: what the user asked for

    def to_wire(self) -> dict[str, Any]:
        return _converter().unstructure(self)

    @classmethod
    def from_wire(cls, value: Any) -> ActionData | None:
        if isinstance(value, ActionData):
            return value
        try:
            data = _converter().structure(value, cls)
        except Exception:  # noqa: BLE001 - not one of ours, or damaged on the way
            return None
        return data if data.kind in KINDS else None

    @property
    def range(self) -> types.Range:
        return types.Range(types.Position(self.start_line, self.start_character),
                           types.Position(self.end_line, self.end_character))


@attrs.define
class RewriteArgs:
    """The ``slmLsp.rewrite`` command's argument: the editor asks the user for the
    instruction, then sends it with the selection."""

    uri: str
    range: types.Range
    instruction: str = ""
    version: int | None = None


def credit(outcome: Outcome, kind: str) -> str:
    """What wrote an outcome's text, when it was not (only) the model: said in the action's
    title and the edit's label, so the user knows a skeleton is not the model's answer."""
    if kind == "docstring" and outcome.source == "skeleton":
        return "skeleton: the model's text was unusable"
    if kind == "tests" and outcome.source == "skeleton":
        return "placeholders: the model wrote no usable test"
    if kind == "tests" and outcome.source == "mixed":
        return "some placeholders: the model's other tests were unusable"
    return ""


def position(text: str, offset: int, encoding: Encoding) -> types.Position:
    """The client position of a code-point offset of ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", start)
    line_text = text[start:len(text) if end < 0 else end].rstrip("\r")
    return types.Position(line, chars_to_units(line_text, offset - start, encoding))


def _uses_document_changes(caps: types.ClientCapabilities) -> bool:
    return bool(get_capability(caps, "workspace.workspace_edit.document_changes", False))


def _can_create(caps: types.ClientCapabilities) -> bool:
    """Can the client create files? Only ``documentChanges`` carries a CreateFile, so a client
    that lists the ``create`` resource operation handles them even if it does not say so
    (Neovim's capabilities omit ``documentChanges`` but apply them)."""
    ops = get_capability(caps, "workspace.workspace_edit.resource_operations", None) or []
    return any(getattr(op, "value", op) == "create" for op in ops)


class EditRefused(ValueError):
    """The client cannot apply this edit; the message says why."""


def to_edit(outcome: Outcome, *, uri: str, version: int, text: str, encoding: Encoding,
            caps: types.ClientCapabilities, file_version: int | None = None,
            annotation: str = "") -> types.WorkspaceEdit:
    """The WorkspaceEdit for an outcome. ``file_version`` is the test file's version when it
    is open in the editor. ``annotation`` labels the edits (a change annotation) for clients
    that show them."""
    doc_changes: list[Any] = []
    changes: dict[str, list[types.TextEdit]] = {}
    if outcome.changes:
        edits = [types.TextEdit(types.Range(position(text, c.start, encoding),
                                            position(text, c.end, encoding)), c.text)
                 for c in outcome.changes]
        doc_changes.append(types.TextDocumentEdit(
            types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits))
        changes[uri] = edits
    if outcome.file is not None:
        target = from_fs_path(outcome.file.path) or outcome.file.path
        if outcome.file.existing is None:
            if not _can_create(caps):
                raise EditRefused("the editor cannot create files through the language server")
            doc_changes.append(types.CreateFile(uri=target, options=types.CreateFileOptions(
                ignore_if_exists=True)))
            at = types.Position(0, 0)
            ident = types.OptionalVersionedTextDocumentIdentifier(uri=target, version=None)
        else:
            at = position(outcome.file.existing, len(outcome.file.existing), encoding)
            ident = types.OptionalVersionedTextDocumentIdentifier(uri=target,
                                                                  version=file_version)
        insert = types.TextEdit(types.Range(at, at), outcome.file.text)
        doc_changes.append(types.TextDocumentEdit(ident, [insert]))
        changes[target] = [insert]
    creates = any(isinstance(c, types.CreateFile) for c in doc_changes)
    if creates or _uses_document_changes(caps):
        if annotation and get_capability(
                caps, "workspace.workspace_edit.change_annotation_support", None) is not None:
            for change in doc_changes:
                if isinstance(change, types.TextDocumentEdit):
                    change.edits = [types.AnnotatedTextEdit(
                        range=e.range, new_text=e.new_text, annotation_id="slm-lsp")
                        for e in change.edits]
            return types.WorkspaceEdit(document_changes=doc_changes, change_annotations={
                "slm-lsp": types.ChangeAnnotation(label=annotation, needs_confirmation=False,
                                                  description=annotation)})
        return types.WorkspaceEdit(document_changes=doc_changes)
    return types.WorkspaceEdit(changes=changes)


def resolve_supported(caps: types.ClientCapabilities) -> bool:
    """Does the client resolve code actions lazily (and let us fill in ``edit`` then)?"""
    support = get_capability(caps, "text_document.code_action.resolve_support", None)
    return support is not None and "edit" in (support.properties or [])


def matches_only(kind: str, only: list[str] | None) -> bool:
    """``context.only`` is hierarchical: ``refactor`` asks for ``refactor.rewrite.*`` too."""
    if not only:
        return True
    return any(kind == o or kind.startswith(f"{o}.") for o in
               (getattr(k, "value", k) for k in only))
