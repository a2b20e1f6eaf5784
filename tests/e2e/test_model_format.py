"""The server prompts a user's GGUF in the format its vocabulary shows, whatever the file is
called, and says which and why in its log (real DeepSeek-Coder tokenizer, tiny random weights,
stored as an Ollama blob is named)."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest_lsp
from conftest import server_command
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, prepare

BLOB = "sha256-" + "9e" * 32


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command()))
async def blob_client(lsp_client: LanguageClient, tiny_fim_model, tmp_path):
    prepare(lsp_client)
    model = tmp_path / BLOB
    shutil.copyfile(tiny_fim_model("deepseek-coder"), model)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"), initialization_options={"model": str(model)}))
    yield
    await lsp_client.shutdown_session()


async def test_a_deepseek_gguf_named_as_a_blob_gets_the_deepseek_format(
        blob_client: LanguageClient):
    deadline = time.monotonic() + 120
    while not any(st.state in ("ready", "error") for st in blob_client.statuses):
        assert time.monotonic() < deadline, blob_client.statuses
        await asyncio.sleep(0.1)
    assert blob_client.statuses[-1].state == "ready", blob_client.statuses[-1]
    logs = [m.message for m in blob_client.log_messages]
    chosen = [m for m in logs if m.startswith(f"{BLOB}: prompt format ")]
    assert chosen, logs
    assert chosen[0].startswith(f"{BLOB}: prompt format deepseek (its vocabulary has "
                                "'<｜fim▁begin｜>', '<｜fim▁hole｜>', '<｜fim▁end｜>'")
    assert any(m == f"model ready: {BLOB}, prompt format deepseek" for m in logs), logs
