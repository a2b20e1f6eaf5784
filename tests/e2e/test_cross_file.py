"""Cross-file context end to end: definitions from other workspace files reach the prompt.

`slm-lsp prompt` builds the symbol index for the file's workspace (its nearest parent holding
`.git`, `pyproject.toml`, `package.json`, ...) and prints the exact prompt; the server indexes
`rootUri` in the background and must still shut down promptly on a large tree.
"""

from __future__ import annotations

import asyncio
import site
import subprocess
import time
from pathlib import Path

import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, prepare

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "tests" / "data" / "workspace"


def prompt_at(rel: str, line: int, col: int) -> str:
    done = subprocess.run(
        [*server_command("prompt", f"{WORKSPACE / rel}:{line}:{col}")],
        capture_output=True, text=True, env=server_env(), timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_prompt_shows_the_imported_definitions_from_other_files():
    out = prompt_at("src/app/main.py", 9, 5)  # the empty line in report()
    assert "def area_of_rectangle(width: float, height: float) -> float:" in out
    assert "def distance_to(self, other: Point) -> float: ..." in out
    assert "src/shapes/geometry.py" in out
    assert "def area_of_rectangle(w, h):" not in out  # the same name, not imported
    exact = out.split("# ---- exact prompt ----\n", 1)[1]
    assert exact.index("area_of_rectangle(width: float") < exact.index("def report(")


def test_the_prompt_for_typescript_shows_the_imported_function():
    out = prompt_at("web/app.ts", 5, 3)
    assert "export function clamp(value: number, lo: number, hi: number): number {" in out
    assert "web/lib/math.ts" in out


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def client(lsp_client: LanguageClient):
    prepare(lsp_client)
    yield


async def test_the_server_stops_promptly_while_indexing_a_large_tree(client: LanguageClient):
    root = Path(site.getsitepackages()[0])
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="site-packages")]))
    await asyncio.sleep(1.0)  # the scan is under way
    t0 = time.monotonic()
    await client.shutdown_session()
    assert time.monotonic() - t0 < 10

