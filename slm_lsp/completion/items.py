"""Classic completion items that clients keep while the user types a word.

Clients without ghost text (eglot, Helix, Zed, Sublime LSP) and VS Code's suggest widget filter
completion items by the word before the cursor: the text from the start of the item's edit range
to the cursor must match the item's ``filterText`` (or ``label``). An item whose range starts at
the cursor, with a label that lacks the word already typed, is dropped as soon as the user has
typed part of a word. So the item's edit starts where the word starts, its ``filterText`` and
``label`` begin with that word, and its new text is the word followed by the completion.

:func:`classic_item` is a pure function of the cursor's line, the cursor column and the
completion text; :func:`completion_list` turns items into the LSP answer for one client.
"""

from __future__ import annotations

import attrs
from lsprotocol import types

from ..documents import Encoding, chars_to_units
from ..languages import rules_for

LABEL_CHARS = 60

def word_start(line: str, cursor: int, language: str) -> int:
    """The column (code points) where the word that ends at ``cursor`` starts.

    A word is a run of identifier characters (Unicode letters and digits, `_`, and `$` where
    the language allows it), the same in code, in strings and in comments; `.`, `(`, quotes,
    spaces and other punctuation end it, so after them the word is empty and the column is the
    cursor's. Linear in the word's length, however long the line (minified code).
    """
    rules = rules_for(language)
    extra = rules.word_chars if rules is not None else ""
    start = max(0, min(cursor, len(line)))
    while start > 0:
        ch = line[start - 1]
        if not (ch.isalnum() or ch == "_" or ch in extra):
            break
        start -= 1
    return start


@attrs.frozen
class ClassicItem:
    """One completion as a classic item, in code-point columns of the cursor's line."""

    start: int  # where the edit starts: the start of the word being typed
    end: int  # the cursor, or the end of what the completion replaces after it
    new_text: str  # the word typed so far followed by the completion
    label: str  # the word followed by the completion's first line, shortened
    filter_text: str  # the word followed by the completion's first line, in full


def _first_line(text: str) -> str:
    """The line a menu shows for ``text``: its first line, or for a completion that starts a new
    line, the first non-blank line (indentation dropped)."""
    head, _, rest = text.partition("\n")
    if head.strip() or not rest:
        return head.rstrip()
    for line in rest.split("\n"):
        if line.strip():
            return " " + line.strip()
    return head.rstrip()


def classic_item(line: str, cursor: int, text: str, language: str, *,
                 end: int | None = None) -> ClassicItem:
    """The classic item that inserts ``text`` at ``cursor`` of ``line`` (code points).

    ``end`` is where the text the completion replaces after the cursor ends (a completion
    that also covers a closing bracket, say); by default it replaces nothing after the cursor.
    """
    cursor = max(0, min(cursor, len(line)))
    end = cursor if end is None else max(cursor, min(end, len(line)))
    start = word_start(line, cursor, language)
    word = line[start:cursor]
    shown = word + _first_line(text)
    limit = max(LABEL_CHARS, len(word) + 1)
    label = shown if len(shown) <= limit else shown[: limit - 1].rstrip() + "…"
    return ClassicItem(start=start, end=end, new_text=word + text,
                       label=label if label.strip() else "…", filter_text=shown)


def supports_edit_range_default(capabilities: types.ClientCapabilities | None) -> bool:
    """Whether the client reads ``CompletionList.itemDefaults.editRange`` (LSP 3.17)."""
    try:
        defaults = capabilities.text_document.completion.completion_list.item_defaults
    except AttributeError:
        return False
    return bool(defaults) and "editRange" in defaults


def completion_list(items: list[ClassicItem], *, line: int, line_text: str,
                    encoding: Encoding, edit_range_default: bool) -> types.CompletionList:
    """The LSP answer for ``items`` on ``line``, ours first, columns in the client's units.

    Items that share one edit range (all of ours do) state it once in ``itemDefaults`` when the
    client supports that; otherwise each carries its own ``textEdit``.
    """
    def position(col: int) -> types.Position:
        return types.Position(line, chars_to_units(line_text, col, encoding))

    ranges = {(item.start, item.end) for item in items}
    shared = edit_range_default and len(ranges) == 1
    out = []
    for rank, item in enumerate(items):
        rng = types.Range(position(item.start), position(item.end))
        out.append(types.CompletionItem(
            label=item.label,
            kind=types.CompletionItemKind.Snippet,
            detail="slm-lsp",
            documentation=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                              value=f"```\n{item.new_text}\n```"),
            insert_text_format=types.InsertTextFormat.PlainText,
            text_edit=None if shared else types.TextEdit(range=rng, new_text=item.new_text),
            text_edit_text=item.new_text if shared else None,
            filter_text=item.filter_text,
            sort_text=f"!{rank:04d}",  # `!` sorts before letters, digits and `_`
            preselect=rank == 0,
        ))
    defaults = None
    if shared:
        start, end = ranges.pop()
        defaults = types.CompletionItemDefaults(
            edit_range=types.Range(position(start), position(end)))
    return types.CompletionList(is_incomplete=True, items=out, item_defaults=defaults)
