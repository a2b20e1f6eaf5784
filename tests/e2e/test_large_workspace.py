"""A workspace holding ``zero.py -> /dev/zero``, a FIFO ``x.py`` and a 50 MB file: the server
indexes the rest, answers completions, says what it skipped, and its memory stays under the
model's size plus 300 MB (read from /proc, the server process's own figure)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, inline, open_doc, prepare

pytestmark = pytest.mark.asyncio(loop_scope="module")

MAIN = "from shapes import area\n\n\ndef report(w, h):\n    \n"


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("large") / "ws"
    ws.mkdir()
    (ws / "pyproject.toml").write_text("[project]\nname = 'big'\n")
    (ws / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(ws / "x.py")
    with open(ws / "generated_data.py", "w") as fh:
        line = "VALUES.append([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])\n"
        fh.write("VALUES = []\n" + line * (50 * 1024 * 1024 // len(line)))
    (ws / "shapes.py").write_text("def area(w, h):\n    return w * h\n")
    (ws / "main.py").write_text(MAIN)
    return ws


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=server_command(),
                                                              server_env=server_env()))
async def client(lsp_client: LanguageClient, workspace: Path):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"), root_uri=from_fs_path(str(workspace)),
        workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(workspace)), name="ws")],
        initialization_options={"completion": {"timeBudgetMs": 60000}}))
    yield
    await lsp_client.shutdown_session()


async def test_a_hostile_large_workspace_is_indexed_within_memory(client: LanguageClient,
                                                                  workspace: Path,
                                                                  embedded_model: Path):
    for _ in range(600):
        if any(m.message.startswith("indexed") for m in client.log_messages):
            break
        await asyncio.sleep(0.1)
    logs = [m.message for m in client.log_messages]
    assert any(m.startswith("indexed 2 files") for m in logs), logs  # shapes.py, main.py
    assert any("zero.py" in m and "skipped" in m for m in logs), logs
    assert any("x.py: not a regular file (a FIFO)" in m for m in logs), logs
    assert any("generated_data.py" in m and "limit" in m for m in logs), logs
    uri = from_fs_path(str(workspace / "main.py"))
    open_doc(client, uri, MAIN)
    for _ in range(3):
        result = await inline(client, uri, 4, 4)
        assert result is not None  # answered (SmolLM2 may well say nothing useful here)
    rss = rss_bytes(client._server.pid)
    limit = embedded_model.stat().st_size + 300 * 1024 * 1024
    print(f"server RSS {rss / 2**20:.0f} MB, limit {limit / 2**20:.0f} MB")
    assert rss < limit
