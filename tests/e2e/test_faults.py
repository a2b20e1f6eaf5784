"""No network: opening, completing and listing attempt no network access (every attempt is
recorded by an audit hook; as root the server also runs without a network). Broken model
files are in test_hostile_models.py."""

from __future__ import annotations

import os
import shutil

import pytest
import pytest_lsp
from conftest import ROOT, server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import inline, open_doc, start_session

PY = "def square(x):\n    \n"
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
    await start_session(lsp_client, {"completion": {"timeBudgetMs": 60000}}, "utf-8")
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
