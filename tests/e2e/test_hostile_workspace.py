"""A hostile repository over the real protocol: symlinks that lead out of the workspace, a FIFO
and a device behind source names. Nothing outside the workspace's real path is written (the
edits the server offers are applied to disk as an editor would, through the symlinks) or read
into a prompt, and the server keeps answering.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient
from support.code_actions import by_title, code_actions, record_apply_edit
from support.lsp import capabilities, inline, open_doc

pytestmark = pytest.mark.asyncio(loop_scope="module")

CALC = "def add(a, b):\n    return a + b\n"
JS = "function sub(a, b) {\n  return a - b;\n}\nmodule.exports = { sub };\n"
GO = "package calc\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
SECRET = "def leaked_helper(token):\n    return 'SECRET-OUTSIDE-THE-WORKSPACE'\n"


def build(base: Path) -> tuple[Path, Path]:
    """The workspace ``ws`` and the directory ``outside`` its symlinks lead to."""
    ws, out = base / "ws", base / "outside"
    for d in (ws / "src", ws / "web", out / "tests", out / "godir"):
        d.mkdir(parents=True)
    (ws / "pyproject.toml").write_text("[project]\nname = 'calc'\n")
    (ws / "src" / "calc.py").write_text(CALC)
    (ws / "tests").symlink_to(out / "tests", target_is_directory=True)  # a linked directory
    (ws / "web" / "m.js").write_text(JS)
    (out / "victim.test.js").write_text("// the user's file outside\n")
    (ws / "web" / "m.test.js").symlink_to(out / "victim.test.js")  # a linked existing file
    (ws / "web" / "n.js").write_text(JS)
    (ws / "web" / "n.test.js").symlink_to(out / "created.test.js")  # a dangling link
    (out / "godir" / "add.go").write_text(GO)
    (ws / "golink").symlink_to(out / "godir", target_is_directory=True)  # a linked Go package
    (out / "helpers.py").write_text(SECRET)
    (ws / "src" / "helpers.py").symlink_to(out / "helpers.py")  # a linked source file
    (ws / "src" / "main.py").write_text(
        "from helpers import leaked_helper\n\n\ndef run(t):\n    x = leaked_helper(t)\n    \n")
    (ws / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(ws / "src" / "fifo.py")
    os.mkfifo(ws / "web" / ".gitignore")
    return ws, out


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def apply_like_an_editor(edit: types.WorkspaceEdit) -> None:
    """Write a WorkspaceEdit to disk the way an editor does: through whatever the paths are."""
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            path = Path(to_fs_path(change.uri))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.open("a").close()
        elif isinstance(change, types.TextDocumentEdit):
            path = Path(to_fs_path(change.text_document.uri))
            with path.open("a") as fh:  # appends at the end, as the scaffolds do
                fh.write("".join(e.new_text for e in change.edits))
    for uri, edits in (edit.changes or {}).items():
        with Path(to_fs_path(uri)).open("a") as fh:
            fh.write("".join(e.new_text for e in edits))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, Path]:
    return build(tmp_path_factory.mktemp("hostile"))


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=server_command(),
                                                              server_env=server_env()))
async def client(lsp_client: LanguageClient, workspace):
    ws, _ = workspace
    lsp_client.applied = record_apply_edit(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"), root_uri=from_fs_path(str(ws)),
        workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(ws)), name="ws")],
        initialization_options={"completion": {"timeBudgetMs": 60000}}))
    yield
    await lsp_client.shutdown_session()


CASES = [
    ("src/calc.py", CALC, "python", "a test file in a symlinked tests/ directory"),
    ("web/m.js", JS, "javascript", "a test file that is a symlink to an outside file"),
    ("web/n.js", JS, "javascript", "a test file that is a dangling symlink"),
    ("golink/add.go", GO, "go", "a Go package in a symlinked directory"),
]


@pytest.mark.parametrize(("rel", "text", "language", "why"), CASES,
                         ids=[c[3] for c in CASES])
async def test_generate_tests_never_writes_outside(client: LanguageClient, workspace, rel,
                                                   text, language, why):
    ws, out = workspace
    before = snapshot(out)
    uri = from_fs_path(str(ws / rel))
    open_doc(client, uri, text, language)
    action = by_title(await code_actions(client, uri, types.Range(
        types.Position(0, 0), types.Position(0, 0))), "Generate tests for this module")
    resolved = await client.code_action_resolve_async(action)
    if resolved.edit is not None:
        apply_like_an_editor(resolved.edit)
    assert snapshot(out) == before, f"{why}: the outside directory changed"
    assert not (out / "created.test.js").exists()
    assert resolved.edit is None and resolved.disabled is not None
    assert "outside the workspace" in resolved.disabled.reason or \
        "does not exist" in resolved.disabled.reason, resolved.disabled.reason


async def test_the_index_skips_what_it_must_and_says_so(client: LanguageClient, workspace):
    ws, _ = workspace
    uri = from_fs_path(str(ws / "src" / "main.py"))
    open_doc(client, uri, (ws / "src" / "main.py").read_text())
    result = await inline(client, uri, 5, 4)  # the server answers: the scan did not hang
    assert result is not None

    def logged(text: str) -> bool:
        return any(text in m.message for m in client.log_messages)

    for _ in range(100):
        if logged("indexed"):
            break
        await asyncio.sleep(0.1)
    assert logged("indexed 4 files"), [m.message for m in client.log_messages]  # calc, main, m, n
    assert logged("zero.py: a symlink to outside the workspace")
    assert logged("src/fifo.py: not a regular file (a FIFO)")
    assert logged("web/.gitignore: not a regular file (a FIFO)")
    assert logged("src/helpers.py: a symlink to outside the workspace")


async def test_a_symlink_out_of_the_workspace_never_reaches_the_prompt(workspace):
    ws, _ = workspace
    done = await asyncio.to_thread(
        subprocess.run, [*server_command("prompt", f"{ws / 'src' / 'main.py'}:6:5")],
        capture_output=True, text=True, env=server_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert "def run(t):" in done.stdout
    assert "SECRET-OUTSIDE" not in done.stdout and "def leaked_helper" not in done.stdout


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=server_command(),
                                                              server_env=server_env()))
async def root_client(lsp_client: LanguageClient):
    lsp_client.applied = record_apply_edit(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"), root_uri="file:///",
        workspace_folders=[types.WorkspaceFolder(uri="file:///", name="root")]))
    yield
    await lsp_client.shutdown_session()


async def test_the_filesystem_root_is_not_a_workspace(root_client: LanguageClient):
    uri = "file:///tmp/slm_lsp_root_case/calc.py"
    open_doc(root_client, uri, CALC)
    action = by_title(await code_actions(root_client, uri, types.Range(
        types.Position(0, 0), types.Position(0, 0))), "Generate tests for this module")
    resolved = await root_client.code_action_resolve_async(action)
    assert resolved.edit is None and "no workspace root" in resolved.disabled.reason
    untitled = "untitled:Untitled-1"
    open_doc(root_client, untitled, "def f(x):\n    \n")
    result = await inline(root_client, untitled, 1, 4)
    assert result is not None
    assert any("is not used as a workspace folder" in m.message
               for m in root_client.log_messages)
