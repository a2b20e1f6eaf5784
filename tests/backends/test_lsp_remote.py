"""The language server pointed at a real inference server (llama-cpp-python's OpenAI-compatible
server on loopback): completions through it, a clear error when it dies, service when it is back.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.support.lsp import capabilities, inline, open_doc, prepare

from .real_server import RealServer, free_port

PORT = free_port()
PY = "def cube(x):\n    \n"


@pytest.fixture(scope="module")
def inference_server():
    server = RealServer(port=PORT).start()
    yield server
    server.stop()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[
    sys.executable, "-m", "slm_lsp", "--backend-type", "openai",
    "--backend-url", f"http://127.0.0.1:{PORT}"]))
async def client(lsp_client: LanguageClient, inference_server):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"),
        initialization_options={"completion": {"timeBudgetMs": 60000, "maxTokens": 24,
                                               "cache": False, "speculative": False},
                                "backend": {"timeoutMs": 60000, "retries": 0}}))
    yield
    await lsp_client.shutdown_session()


async def _until(predicate, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_completions_through_an_inference_server_survive_its_restart(
        client: LanguageClient, inference_server: RealServer):
    uri = "file:///work/cube.py"
    open_doc(client, uri, PY)
    assert await _until(lambda: any(s.state == "ready" for s in client.statuses))
    result = await inline(client, uri, 1, 4)
    assert result is not None and result.items and result.items[0].insert_text.strip()

    inference_server.kill()
    start = time.monotonic()
    result = await inline(client, uri, 1, 4)
    elapsed = time.monotonic() - start
    assert result is not None and not result.items
    assert elapsed < 10, f"a dead server took {elapsed:.1f}s to report"
    assert client.statuses[-1].state == "error"
    assert f"127.0.0.1:{PORT}" in client.statuses[-1].message
    warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert any(f"127.0.0.1:{PORT}" in w for w in warnings)

    inference_server.start()
    result = await inline(client, uri, 1, 4)
    assert result is not None and result.items and result.items[0].insert_text.strip()
    assert client.statuses[-1].state == "ready"
