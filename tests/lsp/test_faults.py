"""Faults and security through the real protocol: a broken model file, no network."""

from __future__ import annotations

import os
import shutil

import pytest
import pytest_lsp
from conftest import ROOT, server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from .helpers import capabilities, inline, open_doc, prepare

PY = "def square(x):\n    \n"


async def _wait_for(predicate, client: LanguageClient, timeout: float = 120.0):
    import asyncio

    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def truncated_model(tmp_path_factory, embedded_model):
    path = tmp_path_factory.mktemp("broken") / "truncated.gguf"
    with open(embedded_model, "rb") as src, open(path, "wb") as dst:
        dst.write(src.read(20_000_000))
    return path


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def client(lsp_client: LanguageClient, truncated_model):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"),
        initialization_options={"model": str(truncated_model),
                                "completion": {"timeBudgetMs": 60000}}))
    yield
    await lsp_client.shutdown_session()


async def test_a_truncated_model_is_one_clear_message_and_a_settings_change_recovers(
        client: LanguageClient, embedded_model):
    assert await _wait_for(lambda: any(s.state == "error" for s in client.statuses), client)
    errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "truncated" in errors[0].lower(), errors
    uri = "file:///work/sq.py"
    open_doc(client, uri, PY)
    result = await inline(client, uri, 1, 4)  # answered, empty: the server is alive
    assert result is not None and not result.items
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(1, 4), types.Position(1, 4)), text="return ")]))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"slmLsp": {"model": str(embedded_model),
                             "completion": {"timeBudgetMs": 60000}}}))
    assert await _wait_for(lambda: client.statuses[-1].state == "ready", client)
    result = await inline(client, uri, 1, 11)
    assert result is not None and result.items and result.items[0].insert_text.strip()
    assert len([m for m in client.messages if m.type == types.MessageType.Error]) == 1


NET_LOG = ROOT / "tests" / ".cache" / "net-audit.log"


def _offline_command() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare and os.geteuid() == 0:
        return [unshare, "--net", *server_command()]
    return server_command()


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=_offline_command(),
    server_env=server_env(PYTHONPATH=os.pathsep.join(
        [str(ROOT / "tests" / "data" / "netaudit"), str(ROOT)]),
        SLM_LSP_NET_AUDIT_LOG=str(NET_LOG))))
async def offline_client(lsp_client: LanguageClient):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-8"),
        initialization_options={"completion": {"timeBudgetMs": 60000}}))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(autouse=True)
def _fresh_net_log():
    NET_LOG.parent.mkdir(parents=True, exist_ok=True)
    NET_LOG.write_text("")
    yield


async def test_no_network_is_touched_without_networking(offline_client: LanguageClient):
    uri = "file:///work/offline.py"
    open_doc(offline_client, uri, PY)
    result = await inline(offline_client, uri, 1, 4)
    assert result is not None and result.items
    await offline_client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(1, 4)))
    assert NET_LOG.read_text() == "", "the server attempted network access"
