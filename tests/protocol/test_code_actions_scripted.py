"""Code actions end to end with a scripted engine, where determinism is the point.

The real server runs over stdio (tests/support/fake_server.py swaps in the engine named by
``SLM_LSP_FAKE_ENGINE``); every model call is logged to ``SLM_LSP_FAKE_LOG``, so the tests can
prove that listing never runs the model and that cancelling a resolve stops it.
"""

from __future__ import annotations

import ast
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import pygls.exceptions
import pytest
import pytest_lsp
from conftest import server_env
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import captured_exception_key
from support.code_actions import (
    DATA,
    PROJECT,
    answer_notices,
    by_title,
    code_actions,
    diagnostics_of,
    init_params,
    record_apply_edit,
)
from support.edits import apply_edits, changed_lines, creates, edits_by_uri
from support.lsp import capabilities, open_doc

LOG = Path(tempfile.mkdtemp(prefix="slm-actions-")) / "calls.jsonl"
SERVER = [sys.executable, str(Path(__file__).resolve().parents[1] / "support" / "fake_server.py")]
ENV = server_env(SLM_LSP_FAKE_ENGINE=str(DATA / "fake_script.json"), SLM_LSP_FAKE_LOG=str(LOG))

BROKEN = ('label = "é😋"\n\n\ndef total(xs):\n    s = sum(xs\n    return s\n\n\n'
          'def other():\n    return 1\n')
SHAPES = (PROJECT / "src" / "geo" / "shapes.py").read_text()
SHAPES_URI = from_fs_path(str(PROJECT / "src" / "geo" / "shapes.py"))


def calls() -> list[dict]:
    return [json.loads(line) for line in LOG.read_text().splitlines()] if LOG.exists() else []


def col(line: str, chars: int, encoding: str) -> int:
    head = line[:chars]
    return len(head.encode()) if encoding == "utf-8" else len(head.encode("utf-16-le")) // 2


@pytest_lsp.fixture(params=["utf-16", "utf-8"],
                    config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def client(request, lsp_client: LanguageClient):
    lsp_client.applied = record_apply_edit(lsp_client)
    await lsp_client.initialize_session(init_params(capabilities(request.param)))
    lsp_client.encoding = request.param
    yield
    await lsp_client.shutdown_session()


def no_resolve_caps() -> types.ClientCapabilities:
    caps = capabilities("utf-16")
    caps.text_document.code_action.resolve_support = None
    return caps


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def plain_client(lsp_client: LanguageClient):
    lsp_client.applied = record_apply_edit(lsp_client)
    await lsp_client.initialize_session(init_params(no_resolve_caps()))
    yield
    await lsp_client.shutdown_session()


def diag(line: int, a: int, b: int, message: str, source: str = "pyright"
         ) -> types.Diagnostic:
    return types.Diagnostic(range=types.Range(types.Position(line, a), types.Position(line, b)),
                            message=message, source=source)


async def test_listing_never_runs_the_model(client: LanguageClient):
    uri = "file:///tmp/listing.py"
    open_doc(client, uri, BROKEN)
    before = len(calls())
    d = diag(4, 8, 11, "\"(\" was not closed")
    actions = await code_actions(client, uri, types.Range(types.Position(3, 4),
                                                          types.Position(3, 4)), [d])
    titles = [a.title for a in actions]
    assert 'Fix: "(" was not closed' in titles
    assert "Generate docstring for `total`" in titles
    assert "Generate tests for `total`" in titles
    assert all(a.edit is None and a.data["version"] == 1 for a in actions)
    assert len(calls()) == before


async def test_only_filters_by_kind(client: LanguageClient):
    uri = "file:///tmp/only.py"
    open_doc(client, uri, BROKEN)
    here = types.Range(types.Position(3, 4), types.Position(3, 4))
    actions = await code_actions(client, uri, here, [diag(4, 8, 11, "x")], only=["refactor"])
    assert [a.kind for a in actions] == ["refactor.rewrite.slm.docstring"]


async def test_fix_edit_applies_cleanly_and_stays_in_its_block(client: LanguageClient):
    uri = "file:///tmp/fix.py"
    open_doc(client, uri, BROKEN)
    line = BROKEN.split("\n")[4]
    a = col(line, line.index("sum"), client.encoding)
    action = by_title(await code_actions(client, uri, types.Range(
        types.Position(4, a), types.Position(4, a)), [diag(4, a, a + 3, "unclosed (")]), "Fix:")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, resolved.title
    after = apply_edits(BROKEN, edits_by_uri(resolved.edit)[uri], client.encoding)
    ast.parse(after)
    first, last = changed_lines(BROKEN, after)
    assert (first, last) == (4, 4)  # only the faulty line of the block changed
    assert after.split("\n")[0] == 'label = "é😋"'


async def test_our_syntax_diagnostic_gets_a_quick_fix_and_clears(client: LanguageClient):
    uri = "file:///tmp/syntax.py"
    open_doc(client, uri, BROKEN)
    diags = await diagnostics_of(client, uri)
    assert diags and all(d.source == "slm-lsp" for d in diags)
    assert diags[0].range.start.line == 4
    actions = await code_actions(client, uri, diags[0].range, diags)
    assert any(a.title.startswith("Fix: ") and a.kind == "quickfix" for a in actions)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(4, 14), types.Position(4, 14)), text=")")]))
    assert await diagnostics_of(client, uri, until=lambda d: not d) == []


async def test_closing_clears_published_diagnostics(client: LanguageClient):
    uri = "file:///tmp/close.py"
    open_doc(client, uri, "x = (1 +\n")
    assert await diagnostics_of(client, uri)
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert await diagnostics_of(client, uri, until=lambda d: not d) == []


async def test_docstring_from_the_model_with_progress(client: LanguageClient):
    open_doc(client, SHAPES_URI, SHAPES)
    here = types.Range(types.Position(3, 5), types.Position(3, 5))
    action = by_title(await code_actions(client, SHAPES_URI, here), "Generate docstring")
    resolved = await client.code_action_resolve_async(action)
    after = apply_edits(SHAPES, edits_by_uri(resolved.edit)[SHAPES_URI], client.encoding)
    fn = ast.parse(after).body[1]
    assert ast.get_docstring(fn).startswith("Return the area of a square.")
    assert after.replace(after[len(SHAPES.split("def square_area")[0]):], "") == \
        SHAPES.split("def square_area")[0]
    begins = [r for reports in client.progress_reports.values() for r in reports
              if isinstance(r, types.WorkDoneProgressBegin)]
    assert any("docstring" in b.title for b in begins)


async def test_tests_append_to_an_existing_test_file(client: LanguageClient):
    open_doc(client, SHAPES_URI, SHAPES)
    here = types.Range(types.Position(3, 5), types.Position(3, 5))
    action = by_title(await code_actions(client, SHAPES_URI, here), "Generate tests for `")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, resolved.title
    assert creates(resolved.edit) == []
    test_path = PROJECT / "tests" / "test_shapes.py"
    edits = edits_by_uri(resolved.edit)[from_fs_path(str(test_path))]
    existing = test_path.read_text()
    after = apply_edits(existing, edits, client.encoding)
    assert after.startswith(existing)
    ast.parse(after)
    assert "assert square_area(3) == 9" in after


async def test_tests_for_a_new_module_create_the_file_without_overwriting(
        client: LanguageClient):
    uri = from_fs_path(str(PROJECT / "src" / "geo" / "lines.py"))
    open_doc(client, uri, "def length(a, b):\n    return abs(b - a)\n")
    action = by_title(await code_actions(client, uri, types.Range(
        types.Position(0, 0), types.Position(0, 0))), "Generate tests for this module")
    resolved = await client.code_action_resolve_async(action)
    (create,) = creates(resolved.edit)
    target = from_fs_path(str(PROJECT / "tests" / "test_lines.py"))
    assert create.uri == target and create.options.ignore_if_exists
    assert not create.options.overwrite
    (insert,) = edits_by_uri(resolved.edit)[target]
    assert insert.range.start == insert.range.end == types.Position(0, 0)
    tree = ast.parse(insert.new_text)
    assert "from geo.lines import length" in insert.new_text
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] == ["test_length"]


async def test_a_module_outside_the_workspace_is_refused(client: LanguageClient):
    uri = from_fs_path(str(PROJECT)) + "/../escape/mod.py"
    open_doc(client, uri, "def f():\n    return 1\n")
    action = by_title(await code_actions(client, uri, types.Range(
        types.Position(0, 0), types.Position(0, 0))), "Generate tests for this module")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is None
    assert "outside the workspace" in resolved.disabled.reason
    # the server shows the message before it answers, on the same stream
    assert any("outside the workspace" in m.message for m in client.messages)


async def test_cancelling_resolve_stops_the_model(client: LanguageClient):
    uri = "file:///tmp/cancel.py"
    open_doc(client, uri, BROKEN)
    action = by_title(await code_actions(client, uri, types.Range(
        types.Position(4, 8), types.Position(4, 8)), [diag(4, 8, 11, "slow")]), "Fix:")
    before = sum(1 for c in calls() if c.get("event") == "cancelled")

    def slow_prompts() -> int:  # the log is shared by both encodings' servers
        return sum(1 for c in calls() if "Problem: slow" in c.get("prompt", ""))

    started = slow_prompts()
    task = asyncio.create_task(client.protocol.send_request_async(
        types.CODE_ACTION_RESOLVE, action, msg_id="resolve-slow"))
    for _ in range(100):  # wait until the model is running
        await asyncio.sleep(0.05)
        if slow_prompts() > started:
            break
    client.cancel_request(types.CancelParams(id="resolve-slow"))
    with pytest.raises(pygls.exceptions.JsonRpcRequestCancelled):
        await task
    for _ in range(100):
        if sum(1 for c in calls() if c.get("event") == "cancelled") > before:
            break
        await asyncio.sleep(0.05)
    assert sum(1 for c in calls() if c.get("event") == "cancelled") > before


async def test_a_client_without_resolve_gets_the_command_and_an_apply_edit(
        plain_client: LanguageClient):
    uri = "file:///tmp/command.py"
    text = 'label = "é😋"\n\n\ndef total(xs):\n    return sum(xs)\n'
    open_doc(plain_client, uri, text)
    here = types.Range(types.Position(3, 5), types.Position(3, 5))
    actions = await code_actions(plain_client, uri, here)
    # lsprotocol's client hook turns a CodeAction with a command into a Command; the server
    # sent a CodeAction with `command` = slmLsp.applyAction and the same data.
    commands = [a for a in actions if isinstance(a, types.Command)]
    assert commands, actions
    data = {"uri": uri, "version": 1, "kind": "docstring", "startLine": 3,
            "startCharacter": 5, "endLine": 3, "endCharacter": 5}
    result = await plain_client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="slmLsp.applyAction", arguments=[data]))
    assert result == {"applied": True, "reason": ""}
    (params,) = plain_client.applied
    after = apply_edits(text, edits_by_uri(params.edit)[uri], "utf-16")
    assert ast.get_docstring(ast.parse(after).body[1]) is not None


def declining(client: LanguageClient, how: str) -> None:
    """Answer workspace/applyEdit as an editor whose user declined the edit: eglot answers with
    an error, others with ``applied: false``."""
    answer_notices(client)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        if how == "error":
            raise RuntimeError("User cancelled server edit")
        return types.ApplyWorkspaceEditResult(applied=False, failure_reason="declined")


@pytest_lsp.fixture(params=["error", "applied-false"],
                    config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def declining_client(request, lsp_client: LanguageClient):
    declining(lsp_client, request.param)
    await lsp_client.initialize_session(init_params(no_resolve_caps()))
    yield
    await lsp_client.shutdown_session()


async def test_a_declined_edit_is_one_log_line_not_an_error(declining_client: LanguageClient):
    uri = "file:///tmp/declined.py"
    open_doc(declining_client, uri, "def total(xs):\n    return sum(xs)\n")
    data = {"uri": uri, "version": 1, "kind": "docstring", "startLine": 0,
            "startCharacter": 5, "endLine": 0, "endCharacter": 5}
    result = await declining_client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="slmLsp.applyAction", arguments=[data]))
    assert result["applied"] is False and result["reason"]
    deadline = time.monotonic() + 30
    while not any("did not apply the edit" in m.message for m in declining_client.log_messages):
        assert time.monotonic() < deadline, [m.message for m in declining_client.log_messages]
        await asyncio.sleep(0.05)
    said = [m.message for m in declining_client.log_messages if "did not apply" in m.message]
    assert len(said) == 1 and "\n" not in said[0]
    assert not any("Traceback" in m.message for m in declining_client.log_messages)
    assert not any(m.type == types.MessageType.Error for m in declining_client.messages)
    # The client's own raise is how it declines (eglot answers the request with an error);
    # pytest-lsp records any exception raised in a client handler as the test's failure.
    if declining_client._pytest_item is not None:
        declining_client._pytest_item.stash[captured_exception_key] = None
