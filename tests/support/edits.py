"""Applying a WorkspaceEdit as a client does, in the client's position encoding."""

from __future__ import annotations

from lsprotocol import types


def offset(text: str, pos: types.Position, encoding: str) -> int:
    lines = text.split("\n")
    head = sum(len(line) + 1 for line in lines[: pos.line])
    line = lines[pos.line] if pos.line < len(lines) else ""
    if encoding == "utf-8":
        return head + len(line.encode()[: pos.character].decode())
    units = line.encode("utf-16-le")[: pos.character * 2]
    return head + len(units.decode("utf-16-le"))


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    spans = sorted(((offset(text, e.range.start, encoding), offset(text, e.range.end, encoding),
                     e.new_text) for e in edits), reverse=True)
    for a, b, new in spans:
        text = text[:a] + new + text[b:]
    return text


def edits_by_uri(edit: types.WorkspaceEdit) -> dict[str, list[types.TextEdit]]:
    out: dict[str, list[types.TextEdit]] = {}
    for uri, edits in (edit.changes or {}).items():
        out.setdefault(uri, []).extend(edits)
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit):
            out.setdefault(change.text_document.uri, []).extend(change.edits)
    return out


def creates(edit: types.WorkspaceEdit) -> list[types.CreateFile]:
    return [c for c in edit.document_changes or [] if isinstance(c, types.CreateFile)]


def changed_lines(before: str, after: str) -> tuple[int, int]:
    """The first and last line (of ``before``) that differ from ``after``."""
    a, b = before.split("\n"), after.split("\n")
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, len(a) - tail - 1
