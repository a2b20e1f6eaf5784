"""Odd models and settings over the real protocol: a truncated model file, a model whose header
would make llama.cpp abort, and an nCtx far past what the model and the machine can hold. The
server says so in the editor once, stays alive, and a settings change recovers."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.corrupt_gguf import patched_copy
from support.lsp import inline, open_doc, start_session, wait_until

PY = "def square(x):\n    \n"
URI = "file:///work/sq.py"
BUDGET = {"completion": {"timeBudgetMs": 60000}}


@pytest.fixture(scope="module", params=["truncated", "zero-layers"])
def broken_model(request, tmp_path_factory, embedded_model) -> tuple[Path, str]:
    """A model file llama.cpp cannot load, and a word the message about it must contain: the
    first 20 MB of the embedded model, or a copy whose header would make llama.cpp abort."""
    folder = tmp_path_factory.mktemp("broken")
    if request.param == "truncated":
        path = folder / "truncated.gguf"
        with open(embedded_model, "rb") as src, open(path, "wb") as dst:
            dst.write(src.read(20_000_000))
        return path, "truncated"
    return patched_copy(embedded_model, folder / "zero-layers.gguf",
                        llama__block_count=0), "block_count"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def broken_client(lsp_client: LanguageClient, broken_model):
    await start_session(lsp_client, {"model": str(broken_model[0]), **BUDGET})
    yield
    await lsp_client.shutdown_session()


async def test_a_broken_model_is_one_clear_message_and_a_settings_change_recovers(
        broken_client: LanguageClient, broken_model, embedded_model):
    client = broken_client
    def errors() -> list[str]:
        return [m.message for m in client.messages if m.type == types.MessageType.Error]

    # The status and the message are two notifications: wait for both.
    assert await wait_until(lambda: any(s.state == "error" for s in client.statuses)
                            and errors())
    assert len(errors()) == 1 and broken_model[1] in errors()[0].lower(), errors()
    open_doc(client, URI, PY)
    result = await inline(client, URI, 1, 4)  # alive: an empty answer
    assert result is not None and not result.items
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=URI),
        range=types.Range(types.Position(0, 4), types.Position(0, 4)),
        context=types.CodeActionContext(diagnostics=[])))
    assert any(a.title.startswith("Generate tests") for a in actions)  # others work
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(1, 4), types.Position(1, 4)), text="return ")]))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"slmLsp": {"model": str(embedded_model), **BUDGET}}))
    assert await wait_until(lambda: client.statuses[-1].state == "ready")
    result = await inline(client, URI, 1, 11)
    assert result is not None and result.items and result.items[0].insert_text.strip()
    assert len([m for m in client.messages if m.type == types.MessageType.Error]) == 1


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def huge_ctx_client(lsp_client: LanguageClient, embedded_model):
    await start_session(lsp_client, {"model": str(embedded_model), "nCtx": 524288, **BUDGET})
    yield
    await lsp_client.shutdown_session()


async def test_an_oversized_context_is_capped_with_a_warning(huge_ctx_client: LanguageClient):
    client = huge_ctx_client
    assert await wait_until(lambda: any(s.state in ("ready", "error") for s in client.statuses))
    assert client.statuses[-1].state == "ready", client.statuses[-1]

    def warnings() -> list[str]:
        return [m.message for m in client.messages if m.type == types.MessageType.Warning]

    # The load's warnings are shown right after the ready status.
    assert await wait_until(lambda: any("nCtx 524288" in w and "using 8192" in w
                                        for w in warnings()), timeout=30), warnings()
    open_doc(client, URI, PY)
    result = await inline(client, URI, 1, 4)
    assert result is not None and result.items and result.items[0].insert_text.strip()
