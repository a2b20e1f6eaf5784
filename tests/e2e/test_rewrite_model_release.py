"""A rewrite model (``actions.rewriteModel``) is loaded on first use and released when rewrites
no longer use it (its setting changed, or the ``model`` setting made it the completion model,
which then does the rewrites) and at shutdown: the real server over stdio, the embedded SmolLM2
as the completion model and a copy of it as the rewrite model.

Released means unmapped: llama.cpp maps a model's GGUF into the process, so the copy's path in
``/proc/<pid>/maps`` of the server process says whether that model is still loaded, and how many
times (each load maps it anew).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.code_actions import record_apply_edit
from support.lsp import capabilities, open_doc, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not Path("/proc/self/maps").exists(), reason="needs /proc/<pid>/maps (Linux)")]

URI = "file:///tmp/rewrite_release.py"
TEXT = "def doubled(values):\n    out = []\n    for v in values:\n        out.append(v * 2)\n" \
       "    return out\n"


def mapped(pid: int, path: Path) -> bool:
    """Whether the process ``pid`` has ``path`` mapped (a loaded llama.cpp model)."""
    return str(path) in Path(f"/proc/{pid}/maps").read_text()


def mappings(pid: int, path: Path) -> int:
    """How many memory mappings of ``path`` the process ``pid`` has (some per model load)."""
    return sum(line.endswith(f" {path}")
               for line in Path(f"/proc/{pid}/maps").read_text().splitlines())


@pytest.fixture
def rewrite_model(tmp_path: Path, embedded_model: Path) -> Path:
    copy = tmp_path / "rewrite-instruct.gguf"
    shutil.copyfile(embedded_model, copy)
    return copy


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def client(lsp_client: LanguageClient, rewrite_model: Path):
    lsp_client.applied = record_apply_edit(lsp_client)
    lsp_client.ended = False
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"),
        initialization_options=settings(rewrite_model)))
    yield
    if not lsp_client.ended:
        await lsp_client.shutdown_session()


def settings(rewrite_model: Path | str) -> dict:
    return {"actions": {"rewriteModel": str(rewrite_model), "maxTokens": 16}}


async def rewrite(client: LanguageClient) -> dict:
    open_doc(client, URI, TEXT)
    args = {"uri": URI, "range": {"start": {"line": 1, "character": 0},
                                  "end": {"line": 4, "character": 0}},
            "instruction": "use a list comprehension"}
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="slmLsp.rewrite", arguments=[args]))


async def test_the_rewrite_model_is_released_when_the_setting_no_longer_names_it(
        client: LanguageClient, rewrite_model: Path):
    pid = client._server.pid
    assert not mapped(pid, rewrite_model)  # loaded on first use only
    result = await rewrite(client)
    assert "reason" in result, result  # answered, applied or refused with a reason
    assert mapped(pid, rewrite_model), "the first rewrite loads the rewrite model"

    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"slmLsp": settings("")}))
    assert await wait_until(lambda: not mapped(pid, rewrite_model), timeout=30), \
        "the rewrite model is still loaded after actions.rewriteModel was cleared"
    assert any(m.message.startswith("rewrite model") and "released" in m.message
               for m in client.log_messages), [m.message for m in client.log_messages]
    # The completion model still serves rewrites (the embedded model is an instruct model).
    result = await rewrite(client)
    assert "reason" in result, result
    assert not mapped(pid, rewrite_model)


async def test_the_rewrite_model_is_released_when_the_model_setting_makes_it_the_completion_model(
        client: LanguageClient, rewrite_model: Path):
    pid = client._server.pid
    await rewrite(client)
    one_load = mappings(pid, rewrite_model)
    assert one_load > 0, "the first rewrite loads the rewrite model"

    # The same GGUF, named by the same path, now completes too: one copy of it is enough.
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={
        "slmLsp": {"model": str(rewrite_model), **settings(rewrite_model)}}))
    assert await wait_until(lambda: any(
        m.message.startswith("rewrite model") and "released" in m.message
        for m in client.log_messages), timeout=60), \
        "the rewrite model is still loaded beside the completion model that is the same model"
    assert await wait_until(lambda: mappings(pid, rewrite_model) == one_load, timeout=30), \
        f"{mappings(pid, rewrite_model)} mappings of the model, {one_load} for one load"
    # The completion model does the rewrites now: nothing is loaded beside it again.
    result = await rewrite(client)
    assert "reason" in result, result
    assert mappings(pid, rewrite_model) == one_load


async def test_the_rewrite_model_is_released_at_shutdown(client: LanguageClient,
                                                          rewrite_model: Path):
    pid = client._server.pid
    await rewrite(client)
    assert mapped(pid, rewrite_model)
    await client.shutdown_async(None)
    # Released after shutdown, before exit: the process is still there to look at.
    assert await wait_until(lambda: not mapped(pid, rewrite_model), timeout=30), \
        "the rewrite model is still loaded after shutdown"
    client.ended = True
    client.exit(None)
    assert await client._server.wait() == 0
