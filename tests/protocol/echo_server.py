"""A minimal language server on SlmProtocol and serve_stdio, for protocol tests.

Run it as ``python tests/protocol/echo_server.py``. Besides plain hover and
completion handlers it has handlers that misbehave on purpose:

* ``textDocument/definition`` raises (request handler failure);
* ``textDocument/didSave`` raises (notification handler failure);
* ``textDocument/references`` prints to stdout, from Python and from fd 1;
* ``textDocument/implementation`` returns a value that cannot be serialised;
* ``textDocument/documentHighlight`` keeps a worker thread busy for 30 s.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from slm_lsp.protocol import SlmProtocol
from slm_lsp.transport import serve_stdio


def create_server() -> LanguageServer:
    """Build the echo server."""
    server = LanguageServer("echo-server", "0.0.1", protocol_cls=SlmProtocol)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: types.HoverParams) -> types.Hover:
        pos = params.position
        return types.Hover(contents=f"{params.text_document.uri}:{pos.line}:{pos.character}")

    @server.feature(types.TEXT_DOCUMENT_COMPLETION)
    def completion(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        offset = doc.offset_at_position(params.position)
        word = doc.source[max(0, offset - 10) : offset]
        return types.CompletionList(is_incomplete=False, items=[types.CompletionItem(label=word)])

    @server.feature(types.WORKSPACE_SYMBOL)
    def symbols(ls: LanguageServer, params: types.WorkspaceSymbolParams) -> list:
        return []

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: LanguageServer, params: types.DefinitionParams) -> None:
        raise RuntimeError("definition exploded")

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        raise RuntimeError("didSave exploded")

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: LanguageServer, params: types.ReferenceParams) -> list:
        print("stray print to stdout")
        sys.stdout.flush()
        os.write(1, b"stray write to fd 1\n")
        return []

    @server.feature(types.TEXT_DOCUMENT_IMPLEMENTATION)
    def implementation(ls: LanguageServer, params: types.ImplementationParams) -> object:
        return object()

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    @server.thread()
    def highlight(ls: LanguageServer, params: types.DocumentHighlightParams) -> list:
        time.sleep(30)
        return []

    return server


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sys.exit(serve_stdio(create_server(), exit_process=True))
