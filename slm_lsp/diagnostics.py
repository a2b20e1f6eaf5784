"""Syntax diagnostics for one server: the tree's ERROR and MISSING nodes, published ~300 ms
after the last change of a document (the ``actions.syntaxDiagnostics`` setting turns them off),
cleared when it closes. The fix code actions offer to repair them."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from .documents import char_offset
from .languages import grammar
from .server import Feature
from .syntax.diagnostics import syntax_problems

if TYPE_CHECKING:
    from .documents import Document
    from .server import SlmServer

log = logging.getLogger(__name__)

DEBOUNCE_S = 0.3
SOURCE = "slm-lsp"


class SyntaxDiagnostics(Feature):
    """The syntax diagnostics of one server's open documents (a feature with no handlers of its
    own: it hears of documents, and reads ``actions.syntaxDiagnostics`` when it publishes)."""

    def __init__(self, server: SlmServer):
        self.server = server
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._published: set[str] = set()

    def document_changed(self, doc: Document) -> None:
        """Publish the document's syntax errors ~300 ms after its last change."""
        old = self._timers.pop(doc.uri, None)
        if old is not None:
            old.cancel()
        if grammar(doc.language_id) is None:
            return
        loop = asyncio.get_running_loop()
        self._timers[doc.uri] = loop.call_later(DEBOUNCE_S, self._publish, doc.uri)

    def document_closed(self, uri: str) -> None:
        """Drop pending work and clear what was published for a closed document."""
        old = self._timers.pop(uri, None)
        if old is not None:
            old.cancel()
        if uri in self._published:
            self._send(uri, None, [])

    def _send(self, uri: str, version: int | None, diags: list[types.Diagnostic]) -> None:
        if diags:
            self._published.add(uri)
        else:
            self._published.discard(uri)
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=diags))

    def _publish(self, uri: str) -> None:
        self._timers.pop(uri, None)
        doc = self.server.documents.get(uri)
        if doc is None:
            return
        if not self.server.settings.actions.syntax_diagnostics:
            if uri in self._published:
                self._send(uri, doc.version, [])
            return
        try:
            diags = self.syntax_diagnostics(doc)
        except Exception:  # noqa: BLE001 - diagnostics must never take the server down
            log.exception("syntax diagnostics failed for %s", uri)
            return
        if diags or uri in self._published:
            self._send(uri, doc.version, diags)

    @staticmethod
    def syntax_diagnostics(doc: Document) -> list[types.Diagnostic]:
        """The tree's ERROR and MISSING nodes as diagnostics in the client's encoding."""
        if doc.tree is None:
            return []  # no grammar, or too large to keep a tree
        data = doc.text.encode("utf-8", "surrogatepass")
        out = []
        for p in syntax_problems(doc.tree, data):
            a, b = char_offset(data, p.start_byte), char_offset(data, p.end_byte)
            out.append(types.Diagnostic(
                range=types.Range(types.Position(*doc.position_at(a)),
                                  types.Position(*doc.position_at(b))),
                message=p.message, severity=types.DiagnosticSeverity.Error, source=SOURCE))
        return out
