"""Inline and classic completion end to end: the real server over stdio, the real model."""

from __future__ import annotations

import ast
import asyncio

import pygls.exceptions
import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import apply_inline, capabilities, classic_edit, inline, open_doc, prepare

PY = '''import math


def area_of_circle(radius: float) -> float:
    """Return the area of a circle."""
    
'''

JS = '''function sumArray(values) {
  
}
'''


@pytest_lsp.fixture(
    params=["utf-16", "utf-8"],
    config=ClientServerConfig(server_command=server_command(), server_env=server_env()),
)
async def client(request, lsp_client: LanguageClient):
    prepare(lsp_client)
    lsp_client.init_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities(request.param),
        # A generous time budget: these tests check what is answered, not how fast.
        initialization_options={"completion": {"maxTokens": 32, "timeBudgetMs": 60000}}))
    lsp_client.encoding = request.param
    yield
    await lsp_client.shutdown_session()


async def test_advertises_what_it_does(client: LanguageClient):
    result = client.init_result.capabilities
    assert result.inline_completion_provider is not None
    assert result.completion_provider is not None
    sync = result.text_document_sync
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert result.position_encoding == (types.PositionEncodingKind.Utf8
                                        if client.encoding == "utf-8"
                                        else types.PositionEncodingKind.Utf16)


async def test_inline_completion_in_an_empty_function_body_parses(client: LanguageClient):
    uri = "file:///work/geometry.py"
    open_doc(client, uri, PY)
    result = await inline(client, uri, 5, 4)
    assert result is not None and result.items, "no inline completion"
    item = result.items[0]
    assert item.insert_text.strip()
    assert item.range.start == types.Position(5, 4) == item.range.end
    ast.parse(apply_inline(PY, item, client.encoding))


async def test_inline_completion_for_javascript(client: LanguageClient):
    uri = "file:///work/sum.js"
    open_doc(client, uri, JS, language="javascript")
    result = await inline(client, uri, 1, 2)
    assert result is not None and result.items
    assert result.items[0].insert_text.strip()
    assert result.items[0].range.start == types.Position(1, 2)


async def test_classic_completion_returns_the_same_text_as_a_text_edit(client: LanguageClient):
    uri = "file:///work/geometry2.py"
    open_doc(client, uri, PY)
    inline_result = await inline(client, uri, 5, 4)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(5, 4),
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
    assert result is not None and result.items
    rng, new_text = classic_edit(result, result.items[0])
    assert new_text == inline_result.items[0].insert_text
    assert rng.start == types.Position(5, 4)


async def test_non_ascii_before_the_cursor_gives_the_client_range(client: LanguageClient):
    uri = "file:///work/unicode.py"
    line = 'label = "é😋漢字" + '
    text = f"def show():\n    {line}\n"
    open_doc(client, uri, text)
    col_chars = 4 + len(line)
    prefix = "    " + line
    col = len(prefix.encode()) if client.encoding == "utf-8" else len(
        prefix.encode("utf-16-le")) // 2
    assert col != col_chars  # the test means something only if encodings differ here
    result = await inline(client, uri, 1, col)
    assert result is not None and result.items
    item = result.items[0]
    assert item.range.start == types.Position(1, col)
    after = apply_inline(text, item, client.encoding)
    assert after.startswith(f"def show():\n    {line}" + item.insert_text)


async def test_incremental_change_is_seen_by_the_next_completion(client: LanguageClient):
    uri = "file:///work/change.py"
    open_doc(client, uri, "def f():\n    pass\n")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(1, 4), types.Position(1, 8)),
            text="values = [1, 2, 3]\n    total = ")]))
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(2, 12)))
    assert result is not None and result.items
    assert classic_edit(result, result.items[0])[0].start == types.Position(2, 12)


async def test_cancelled_request_returns_cancelled_and_the_next_one_works(
        client: LanguageClient):
    uri = "file:///work/cancel.py"
    open_doc(client, uri, PY)
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(5, 4),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked))
    task = asyncio.create_task(client.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="slow-1"))
    await asyncio.sleep(0.3)
    client.cancel_request(types.CancelParams(id="slow-1"))
    with pytest.raises(pygls.exceptions.JsonRpcRequestCancelled):
        await task
    result = await inline(client, uri, 5, 4)
    assert result is not None and result.items


async def test_typing_one_character_reevaluates_only_the_tail(client: LanguageClient):
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={
        "slmLsp": {"completion": {"cache": False, "speculative": False, "maxTokens": 32,
                                  "timeBudgetMs": 60000}}}))
    uri = "file:///work/reuse.py"
    text = PY.replace("    \n", "    total = 0\n    for value in range(10):\n        total +=")
    open_doc(client, uri, text)
    line = text.count("\n", 0, text.index("total +="))
    col = len("        total +=")
    await inline(client, uri, line, col)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(line, col), types.Position(line, col)),
            text=" v")]))
    await inline(client, uri, line, col + 2)
    stats = await client.protocol.send_request_async("slmLsp/stats", {"since": 0})
    model_runs = [r for r in stats.recent if getattr(r, "source", "") == "model"
                  and getattr(r, "uri", "") == uri]
    assert len(model_runs) == 2
    first, second = model_runs
    assert first.promptTokens > 30
    assert second.evaluatedTokens <= 8 < first.evaluatedTokens
    # The parts of a request's time are measured inside its handler's time.
    for run in model_runs:
        parts = (run.snapshotMs, run.waitMs, run.buildMs, run.promptMs, run.decodeMs,
                 run.postMs)
        assert run.buildMs > 0 and min(parts) >= 0
        assert sum(parts) <= run.handlerMs
