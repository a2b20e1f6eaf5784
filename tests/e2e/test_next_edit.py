"""Next edits end to end: the real server over stdio, the edits a client sends as the user
types, and ``slmLsp/nextEdit`` (docs/next-edit.md) proposing what follows, one at a time."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, inline, prepare

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


SCALE = ('def scale(x, y):\n'
         '    return x * y\n'
         '\n\n'
         'print(scale(1, 2))\n'
         'scale(3, 4)\n')
MAIN = ('from geometry import scale\n'
        '\n'
        'scale(5, 6)  # é😋\n')


async def test_a_parameter_added_is_passed_at_the_call_sites_here_then_in_an_open_document(
        client: LanguageClient):
    enc = client.encoding
    lib = Buffer(client, f"file:///work/{enc}/geometry.py", SCALE)
    main = Buffer(client, f"file:///work/{enc}/main.py", MAIN)
    at = SCALE.index("y)") + 1
    for i, ch in enumerate(", factor"):
        lib.replace(at + i, at + i, ch)
    seen = []
    for _ in range(5):
        result = plain(await next_edit(client, lib, at))
        if result is None:
            break
        assert (result["reason"], result["label"]) == ("signature", "Pass `factor` to `scale`")
        buf = lib if result["uri"] == lib.uri else main
        seen.append((buf is lib, result["range"]["start"]["line"]))
        buf.accept(result)
    assert seen == [(True, 4), (True, 5), (False, 2)]
    assert "print(scale(1, 2, factor))\nscale(3, 4, factor)\n" in lib.text
    assert main.text == MAIN.replace("scale(5, 6)", "scale(5, 6, factor)")


async def test_ordinary_edits_strings_and_comments_propose_nothing(client: LanguageClient):
    text = ('def total(items):\n'
            '    label = "items"  # the items\n'
            '    return sum(items)\n')
    buf = Buffer(client, f"file:///work/{client.encoding}/quiet.py", text)
    end = text.index("    return")
    for i, ch in enumerate("    n = len(items)\n"):  # a new line of code
        buf.replace(end + i, end + i, ch)
    assert await next_edit(client, buf, end) is None
    at = buf.text.index('"items"') + 1
    buf.type_over(at, at + 5, "goods")  # inside a string
    assert await next_edit(client, buf, at) is None
    at = buf.text.index("the items") + 4
    buf.type_over(at, at + 5, "goods")  # inside a comment
    assert await next_edit(client, buf, at) is None


async def test_the_code_action_carries_the_next_edit_as_a_versioned_edit(
        client: LanguageClient):
    text = "def f(count):\n    return count + 1\n"
    buf = Buffer(client, f"file:///work/{client.encoding}/action.py", text)
    buf.type_over(6, 11, "n")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=buf.uri),
        range=types.Range(buf.position(6), buf.position(6)),
        context=types.CodeActionContext(diagnostics=[])))
    (action,) = [a for a in actions or [] if a.title.startswith("Next edit: ")]
    assert action.title == "Next edit: Rename `count` to `n`"
    if client.encoding == "utf-16":  # VS Code's capabilities: versioned edits
        (change,) = action.edit.document_changes
        assert (change.text_document.uri, change.text_document.version) == (buf.uri,
                                                                             buf.version)
        (edit,) = change.edits
    else:  # Neovim's announce no documentChanges: the plain form
        assert action.edit.document_changes is None
        (edit,) = action.edit.changes[buf.uri]
    a = buf.offset(edit.range.start)
    b = buf.offset(edit.range.end)
    assert (buf.text[a:b], edit.new_text) == ("count", "n")
    assert buf.text[:a].endswith("    return ")


async def test_bad_params_get_an_error_reply_and_the_server_goes_on(client: LanguageClient):
    for params in [{"textDocument": 3}, {"textDocument": {"uri": "file:///x.py"}},
                   {"textDocument": {"uri": "file:///x.py"}, "position": {"line": -1,
                                                                           "character": 0}},
                   None, [1, 2]]:
        with pytest.raises(Exception, match="nextEdit"):
            await client.protocol.send_request_async("slmLsp/nextEdit", params)
    unknown = await client.protocol.send_request_async("slmLsp/nextEdit", {
        "textDocument": {"uri": "file:///not/open.py"},
        "position": {"line": 0, "character": 0}})
    assert unknown is None


async def test_the_setting_turns_proposals_off_and_on(client: LanguageClient):
    text = "def f(count):\n    return count + 1\n"
    buf = Buffer(client, f"file:///work/{client.encoding}/setting.py", text)
    buf.type_over(6, 11, "n")
    assert plain(await next_edit(client, buf))["newText"] == "n"

    async def answer_when(enable: bool):
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"slmLsp": {"nextEdit": {"enable": enable}}}))
        for _ in range(100):
            result = await next_edit(client, buf)
            if (result is None) != enable:
                return result
            await asyncio.sleep(0.1)
        raise AssertionError(f"nextEdit.enable = {enable} was not heard")

    assert await answer_when(False) is None
    assert plain(await answer_when(True))["newText"] == "n"


async def test_a_next_edit_on_the_cursors_line_is_also_an_inline_completion(
        client: LanguageClient):
    text = "function twice(count) { return count + count; }\n"
    buf = Buffer(client, f"file:///work/{client.encoding}/twice.js", text, "javascript")
    at = text.index("count")
    buf.type_over(at, at + 5, "né")
    cursor = at + 2
    result = await inline(client, buf.uri, 0, buf.position(cursor).character)
    (item,) = result.items
    assert item.insert_text == ") { return né"
    assert (buf.offset(item.range.start), buf.offset(item.range.end)) == (
        cursor, buf.text.index("count") + 5)
    # Accepted (the client replaces the range), the next use is the next item.
    buf.replace(cursor, buf.text.index("count") + 5, item.insert_text)
    cursor = buf.text.index("né + ") + 2
    result = await inline(client, buf.uri, 0, buf.position(cursor).character)
    (item,) = result.items
    assert item.insert_text == " + né"
