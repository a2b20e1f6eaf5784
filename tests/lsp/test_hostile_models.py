"""Odd models and settings over the real protocol: a model whose header would make llama.cpp
abort, and an nCtx far past what the model and the machine can hold. The server says so in
the editor, stays alive, and a settings change recovers."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.corrupt_gguf import patched_copy

from .helpers import capabilities, inline, open_doc, prepare

PY = "def square(x):\n    \n"
URI = "file:///work/sq.py"


async def _wait_for(predicate, timeout: float = 120.0) -> bool:
    end = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < end:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def no_layers_model(tmp_path_factory, embedded_model):
    return patched_copy(embedded_model, tmp_path_factory.mktemp("corrupt") / "zero-layers.gguf",
                        llama__block_count=0)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def corrupt_client(lsp_client: LanguageClient, no_layers_model):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"),
        initialization_options={"model": str(no_layers_model),
                                "completion": {"timeBudgetMs": 60000}}))
    yield
    await lsp_client.shutdown_session()


async def test_a_zero_layer_model_is_a_message_not_an_abort(corrupt_client: LanguageClient,
                                                            embedded_model):
    client = corrupt_client
    assert await _wait_for(lambda: any(s.state == "error" for s in client.statuses))
    errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "cannot load" in errors[0] and "block_count" in errors[0]
    open_doc(client, URI, PY)
    result = await inline(client, URI, 1, 4)  # alive: an empty answer
    assert result is not None and not result.items
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=URI),
        range=types.Range(types.Position(0, 4), types.Position(0, 4)),
        context=types.CodeActionContext(diagnostics=[])))
    assert any(a.title.startswith("Generate tests") for a in actions)  # others work
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"slmLsp": {"model": str(embedded_model),
                             "completion": {"timeBudgetMs": 60000}}}))
    assert await _wait_for(lambda: client.statuses[-1].state == "ready")
    result = await inline(client, URI, 1, 4)
    assert result is not None and result.items and result.items[0].insert_text.strip()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def huge_ctx_client(lsp_client: LanguageClient, embedded_model):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"),
        initialization_options={"model": str(embedded_model), "nCtx": 524288,
                                "completion": {"timeBudgetMs": 60000}}))
    yield
    await lsp_client.shutdown_session()


async def test_an_oversized_context_is_capped_with_a_warning(huge_ctx_client: LanguageClient):
    client = huge_ctx_client
    assert await _wait_for(lambda: any(s.state in ("ready", "error") for s in client.statuses))
    assert client.statuses[-1].state == "ready", client.statuses[-1]
    warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert any("nCtx 524288" in w and "using 8192" in w for w in warnings), warnings
    open_doc(client, URI, PY)
    result = await inline(client, URI, 1, 4)
    assert result is not None and result.items and result.items[0].insert_text.strip()
