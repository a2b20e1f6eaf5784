"""The language server pointed at a real inference server (llama-cpp-python's OpenAI-compatible
server on loopback): completions through it, a clear error when it dies, service when it is back,
and a cancelled request that stops the server's answer mid-stream.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pygls.exceptions
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.support.lsp import capabilities, inline, open_doc, prepare

from .real_server import RealServer, free_port, start_real_server

PORT = free_port()
PY = "def cube(x):\n    \n"


@pytest.fixture(scope="module")
def inference_server():
    server = start_real_server(port=PORT)
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


# An open list the small model goes on filling for its 400 tokens (several seconds).
NUMBERS = "NUMBERS = [\n    1,\n    2,\n    3,\n    4,\n    5,\n"
END = types.Position(NUMBERS.count("\n"), 0)


async def _stats(client: LanguageClient, since: int = 0):
    return await client.protocol.send_request_async("slmLsp/stats", {"since": since})


async def test_cancelling_a_request_stops_the_inference_servers_answer_mid_stream(
        client: LanguageClient, inference_server: RealServer):
    uri = "file:///work/numbers.py"
    open_doc(client, uri, NUMBERS)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={
        "slmLsp": {"completion": {"timeBudgetMs": 60000, "maxTokens": 400, "maxLines": 400,
                                  "cache": False, "speculative": False}}}))
    assert await _until(lambda: any(s.state == "ready" for s in client.statuses))
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=END,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked))
    # Cancel once tokens stream: a longer wait each time the cancel came before the first one.
    record, wait = None, 0.5
    for attempt in range(6):
        seq = (await _stats(client)).seq
        msg_id = f"remote-cancel-{attempt}"
        task = asyncio.create_task(client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id))
        await asyncio.sleep(wait)
        client.cancel_request(types.CancelParams(id=msg_id))
        with pytest.raises(pygls.exceptions.JsonRpcRequestCancelled):
            await task
        for _ in range(100):  # the record is complete once the work has ended
            records = [r._asdict() for r in (await _stats(client, seq)).recent
                       if getattr(r, "id", None) == msg_id]
            if records and "stopReason" in records[0]:
                break
            await asyncio.sleep(0.1)
        record = records[0]
        if record.get("tokens", 0) > 0:
            break
        wait *= 2
    print(f"cancelled request: {record}")
    assert record["stopReason"] == "cancelled", record
    assert 0 < record["tokens"] < 400, record  # stopped mid-stream
    assert record["stopMs"] < 2000, record
    # The server stopped generating for the dropped stream: a short answer next does not
    # queue behind the rest of those 400 tokens (the server runs one completion at a time).
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={
        "slmLsp": {"completion": {"timeBudgetMs": 60000, "maxTokens": 4, "cache": False,
                                  "speculative": False}}}))
    rest_s = (400 - record["tokens"]) * record["decodeMs"] / record["tokens"] / 1000
    start = time.monotonic()
    result = await inline(client, uri, END.line, END.character)
    elapsed = time.monotonic() - start
    assert result is not None  # answered (four tokens may well be filtered to nothing)
    print(f"next answer in {elapsed:.1f}s; the rest of the stream would take {rest_s:.1f}s")
    assert elapsed < rest_s / 2
