"""Bad settings over the real protocol: each is named in a warning, once per change, and its
default is what the server uses."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, inline, open_doc, prepare

pytestmark = pytest.mark.asyncio(loop_scope="module")

BAD = {"model": None, "backend": {"retries": 1e9, "timeoutMs": -1},
       "completion": {"enable": "false", "disabledLanguages": "python",
                      "timeBudgetMs": 60000},
       "context": {"maxIndexFiles": -1}}
NAMES = ["backend.retries", "backend.timeoutMs", "completion.enable",
         "completion.disabledLanguages", "context.maxIndexFiles"]


def warnings(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Warning
            and "invalid settings" in m.message]


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=server_command(),
                                                              server_env=server_env()))
async def client(lsp_client: LanguageClient):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"), initialization_options=BAD))
    yield
    await lsp_client.shutdown_session()


async def test_each_bad_setting_is_named_once_and_defaults_are_used(client: LanguageClient):
    for _ in range(1200):
        if client.statuses and client.statuses[-1].state in ("ready", "error"):
            break
        await asyncio.sleep(0.1)
    assert client.statuses[-1].state == "ready"  # model: null is the default model
    (first,) = warnings(client)
    for name in NAMES:
        assert f"{name}:" in first, (name, first)
    uri = "file:///work/sq.py"
    open_doc(client, uri, "def square(x):\n    \n")
    result = await inline(client, uri, 1, 4)  # enabled, and python is not disabled
    assert result is not None and result.items
    # Another change with the same bad values and one new one: only the new one is said.
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"slmLsp": {**BAD, "nThreads": "two"}}))
    for _ in range(100):
        if len(warnings(client)) > 1:
            break
        await asyncio.sleep(0.1)
    assert len(warnings(client)) == 2
    second = warnings(client)[1]
    assert "nThreads:" in second and not any(f"{name}:" in second for name in NAMES), second
