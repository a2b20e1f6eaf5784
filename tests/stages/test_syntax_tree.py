"""Walking up very deep trees stays bounded."""

from __future__ import annotations

from slm_lsp.completion.trigger import decide
from slm_lsp.documents import Document
from slm_lsp.syntax.tree import MAX_ANCESTORS, ancestors


def test_ancestors_stop_after_the_limit():
    depth = 5_000
    text = "x = " + "[" * depth + "]" * depth + "\n"
    doc = Document(uri="file:///deep.py", text=text, language_id="python")
    node = doc.node_at(4 + depth)
    assert len(list(ancestors(node))) == MAX_ANCESTORS
    assert decide(doc, 4 + depth, invoked=True).mode.value == "line"  # walks up from the bottom
