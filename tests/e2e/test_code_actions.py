"""Code actions end to end: the real server over stdio with the real embedded model (SmolLM2).

SmolLM2-135M is weak, so these tests check what must hold whatever it writes: listing is
answered without the model, every edit applies cleanly in the client's encoding and leaves
the file parsing, a fix touches only its block (or is refused as "no safe fix found"), tests
append to an existing file. What needs no model (our syntax diagnostics and their quick fix,
refusing a module outside the workspace) is tested with the scripted engine, in
test_code_actions_scripted.py.
"""

from __future__ import annotations

import ast
import asyncio

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient
from support.code_actions import (
    PROJECT,
    by_title,
    code_actions,
    init_params,
    record_apply_edit,
)
from support.edits import apply_edits, changed_lines, creates, edits_by_uri
from support.lsp import capabilities, open_doc

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SRC = ('greeting = "é😋 bonjour"\n\n\n'
       'def scale_all(values, factor):\n'
       '    out = []\n'
       '    for v in values:\n'
       '        out.append(v * factor)\n'
       '    return out\n')
BROKEN = ('label = "é😋"\n\n\ndef total(xs):\n    s = sum(xs\n    return s\n\n\n'
          'def other():\n    return 1\n')
SHAPES_PATH = PROJECT / "src" / "geo" / "shapes.py"
SHAPES_URI = from_fs_path(str(SHAPES_PATH))


def col(line: str, chars: int, encoding: str) -> int:
    head = line[:chars]
    return len(head.encode()) if encoding == "utf-8" else len(head.encode("utf-16-le")) // 2


@pytest_lsp.fixture(params=["utf-16", "utf-8"], scope="module",
                    config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def client(request, lsp_client: LanguageClient):
    lsp_client.applied = record_apply_edit(lsp_client)
    await lsp_client.initialize_session(init_params(capabilities(request.param)))
    lsp_client.encoding = request.param
    yield
    await lsp_client.shutdown_session()


def here(line: int, character: int) -> types.Range:
    return types.Range(types.Position(line, character), types.Position(line, character))


async def test_listing_is_answered_without_waiting_for_the_model(client: LanguageClient):
    uri = "file:///tmp/real_listing.py"
    open_doc(client, uri, SRC)
    d = types.Diagnostic(range=types.Range(types.Position(4, 4), types.Position(4, 7)),
                         message="Variable `out` is not accessed", source="ruff")
    actions = await code_actions(client, uri, here(3, 4), [d])
    titles = [a.title for a in actions]
    assert "Fix: Variable `out` is not accessed" in titles  # another tool's diagnostic
    assert "Generate docstring for `scale_all`" in titles
    assert all(a.edit is None for a in actions)  # computed lazily, in resolve
    # Listing while the model loads or works on a resolve is answered first: it never queues
    # behind the model (the resolve was read first, and drafting a docstring takes many tokens).
    action = by_title(actions, "Generate docstring")
    busy = asyncio.create_task(client.code_action_resolve_async(action))
    await asyncio.sleep(0.05)
    again = await code_actions(client, uri, here(3, 4), [d])
    resolve_running = not busy.done()
    assert resolve_running, "the listing came back only after the model's resolve"
    assert len(again) == len(actions)
    await busy


async def test_docstring_edit_applies_cleanly_after_non_ascii_and_parses(client: LanguageClient):
    uri = "file:///tmp/real_doc.py"
    open_doc(client, uri, SRC)
    action = by_title(await code_actions(client, uri, here(3, 6)), "Generate docstring")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, resolved.title
    edits = edits_by_uri(resolved.edit)[uri]
    assert all(e.range.start == e.range.end for e in edits)  # only inserts
    after = apply_edits(SRC, edits, client.encoding)
    fn = ast.parse(after).body[1]
    doc = ast.get_docstring(fn)
    assert doc and "values:" in doc and "factor:" in doc
    assert after.startswith('greeting = "é😋 bonjour"\n')
    assert after.replace(doc, "").count("out.append(v * factor)") == 1


async def test_a_fix_changes_nothing_outside_its_block(client: LanguageClient):
    uri = "file:///tmp/real_fix.py"
    open_doc(client, uri, BROKEN)
    line = BROKEN.split("\n")[4]
    a = col(line, line.index("sum"), client.encoding)
    d = types.Diagnostic(range=types.Range(types.Position(4, a), types.Position(4, a + 3)),
                         message='"(" was not closed', source="Pylance")
    action = by_title(await code_actions(client, uri, here(4, a), [d]), "Fix:")
    resolved = await client.code_action_resolve_async(action)
    if resolved.edit is None:
        assert resolved.disabled.reason.startswith("no safe fix found"), resolved.disabled
        assert any("no safe fix found" in m.message for m in client.messages)
        return
    after = apply_edits(BROKEN, edits_by_uri(resolved.edit)[uri], client.encoding)
    ast.parse(after)
    first, last = changed_lines(BROKEN, after)
    assert 4 <= first and last <= 5  # the block tree-sitter found: the body of `total`
    assert after.startswith('label = "é😋"\n\n\ndef total(xs):\n')
    assert after.endswith("\n\n\ndef other():\n    return 1\n")


async def test_tests_for_a_module_with_a_test_file_append_to_it(client: LanguageClient):
    text = SHAPES_PATH.read_text()
    open_doc(client, SHAPES_URI, text)
    action = by_title(await code_actions(client, SHAPES_URI, here(0, 0)),
                      "Generate tests for this module")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, resolved.title
    assert creates(resolved.edit) == []
    test_path = PROJECT / "tests" / "test_shapes.py"
    existing = test_path.read_text()
    (insert,) = edits_by_uri(resolved.edit)[from_fs_path(str(test_path))]
    assert insert.range.start == insert.range.end
    after = apply_edits(existing, [insert], client.encoding)
    assert after.startswith(existing)
    tree = ast.parse(after)
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert [n.name for n in tests] == ["test_square_area_of_two", "test_square_area"]
    for test in tests[1:]:  # the generated one (_helper is private): it checks, or says so
        checks = [n for n in ast.walk(test) if isinstance(n, ast.Assert) or (
            isinstance(n, ast.Attribute) and n.attr in ("raises", "skip"))]
        assert checks, ast.unparse(test)


def _no_resolve() -> types.ClientCapabilities:
    caps = capabilities("utf-8")
    caps.text_document.code_action.resolve_support = None
    return caps


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=server_command(),
                                                              server_env=server_env()))
async def plain_client(lsp_client: LanguageClient):
    lsp_client.applied = record_apply_edit(lsp_client)
    await lsp_client.initialize_session(init_params(_no_resolve()))
    yield
    await lsp_client.shutdown_session()


async def test_without_resolve_support_the_command_applies_the_edit(
        plain_client: LanguageClient):
    uri = "file:///tmp/real_command.py"
    open_doc(plain_client, uri, SRC)
    actions = await code_actions(plain_client, uri, here(3, 6))
    # lsprotocol structures a CodeAction carrying a command as a Command on the client side.
    assert actions and all(isinstance(a, types.Command) for a in actions)
    line = SRC.split("\n")[3]
    data = {"uri": uri, "version": 1, "kind": "docstring", "startLine": 3,
            "startCharacter": col(line, 6, "utf-8"), "endLine": 3,
            "endCharacter": col(line, 6, "utf-8")}
    result = await plain_client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="slmLsp.applyAction", arguments=[data]))
    assert result["applied"] is True
    (params,) = plain_client.applied
    after = apply_edits(SRC, edits_by_uri(params.edit)[uri], "utf-8")
    assert ast.get_docstring(ast.parse(after).body[1])


