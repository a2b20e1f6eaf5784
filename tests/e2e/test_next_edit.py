"""Next edits end to end: the real server over stdio, the edits a client sends as the user
types, and ``slmLsp/nextEdit`` (docs/next-edit.md) proposing what follows, one at a time."""

from __future__ import annotations

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, prepare

pytestmark = pytest.mark.asyncio(loop_scope="module")


def units(text: str, encoding: str) -> int:
    return len(text.encode()) if encoding == "utf-8" else len(text.encode("utf-16-le")) // 2


class Buffer:
    """A document as the client holds it: its text, version, and the didChange it sends."""

    def __init__(self, client: LanguageClient, uri: str, text: str, language: str = "python"):
        self.client, self.uri, self.text, self.version = client, uri, text, 1
        self.encoding = client.encoding
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))

    def position(self, offset: int) -> types.Position:
        line = self.text.count("\n", 0, offset)
        start = self.text.rfind("\n", 0, offset) + 1
        return types.Position(line, units(self.text[start:offset], self.encoding))

    def offset(self, pos: types.Position) -> int:
        start = 0
        for _ in range(pos.line):
            start = self.text.index("\n", start) + 1
        line = self.text[start:].split("\n", 1)[0]
        for i in range(len(line) + 1):
            if units(line[:i], self.encoding) >= pos.character:
                return start + i
        return start + len(line)

    def replace(self, a: int, b: int, new: str) -> None:
        rng = types.Range(self.position(a), self.position(b))
        self.text = self.text[:a] + new + self.text[b:]
        self.version += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri,
                                                                version=self.version),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new)]))

    def type_over(self, a: int, b: int, new: str) -> None:
        """Select ``[a, b)`` and type ``new`` letter by letter, as an editor sends it."""
        self.replace(a, b, new[0])
        for i, ch in enumerate(new[1:], 1):
            self.replace(a + i, a + i, ch)

    def accept(self, result: dict) -> None:
        """Make the proposed edit, as the client does (one didChange)."""
        assert result["uri"] == self.uri and result["version"] == self.version
        r = result["range"]
        a = self.offset(types.Position(r["start"]["line"], r["start"]["character"]))
        b = self.offset(types.Position(r["end"]["line"], r["end"]["character"]))
        self.replace(a, b, result["newText"])


async def next_edit(client: LanguageClient, buf: Buffer, offset: int = 0):
    return await client.protocol.send_request_async("slmLsp/nextEdit", {
        "textDocument": {"uri": buf.uri},
        "position": {"line": buf.position(offset).line,
                     "character": buf.position(offset).character}})


def plain(result) -> dict | None:
    """The result as a dict (pygls hands a custom request's result over as named tuples)."""
    if result is None or isinstance(result, (str, int, float, bool)):
        return result
    if isinstance(result, dict):
        return {k: plain(v) for k, v in result.items()}
    return {k: plain(v) for k, v in result._asdict().items()}


@pytest_lsp.fixture(scope="module", params=["utf-16", "utf-8"],
                    config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def client(request, lsp_client: LanguageClient):
    prepare(lsp_client)
    lsp_client.encoding = request.param
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities(request.param)))
    yield
    await lsp_client.shutdown_session()


AREA = ('def area(count, width):\n'
        '    """The area (é😋)."""\n'
        '    label = "count"  # count of cells\n'
        '    total = count * width\n'
        '    return total + count\n'
        '\n\n'
        'def other(count):\n'
        '    return count\n')


async def test_a_parameter_renamed_letter_by_letter_is_followed_use_by_use(
        client: LanguageClient):
    buf = Buffer(client, "file:///work/rename_param.py", AREA)
    start = AREA.index("count")
    buf.type_over(start, start + 5, "cells")
    seen = []
    for _ in range(5):
        result = plain(await next_edit(client, buf, start + 5))
        if result is None:
            break
        assert result["newText"] == "cells"
        assert result["label"] == "Rename `count` to `cells`"
        assert (result["source"], result["reason"]) == ("syntax", "rename")
        seen.append(result["range"]["start"]["line"])
        buf.accept(result)
    assert seen == [3, 4]  # the uses, in order; not the string, the comment, other()'s own
    assert buf.text == AREA.replace("area(count", "area(cells").replace(
        "count * width", "cells * width").replace("total + count", "total + cells")
