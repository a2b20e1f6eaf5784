"""Generate tests into an existing test file over the real protocol: no existing test is
shadowed, imports are merged, and a test file that is not UTF-8 is refused, not taken as empty."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient
from support.code_actions import by_title, code_actions, init_params, record_apply_edit
from support.edits import apply_edits, edits_by_uri
from support.lsp import capabilities, open_doc

pytestmark = pytest.mark.asyncio(loop_scope="module")

CALC = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
EXISTING = ("import pytest\n\nfrom calc import add\n\n\n"
            "def test_add():\n    assert add(2, 3) == 5\n")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("append") / "ws"
    (ws / "tests").mkdir(parents=True)
    (ws / "pyproject.toml").write_text("[project]\nname = 'calc'\n")
    (ws / "calc.py").write_text(CALC)
    (ws / "tests" / "test_calc.py").write_text(EXISTING)
    (ws / "latin.py").write_text("def f():\n    return 1\n")
    (ws / "tests" / "test_latin.py").write_bytes("# caf\xe9\n".encode("latin-1"))
    return ws


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=server_command(),
                                                              server_env=server_env()))
async def client(lsp_client: LanguageClient, workspace: Path):
    lsp_client.applied = record_apply_edit(lsp_client)
    await lsp_client.initialize_session(init_params(capabilities("utf-16"), root=workspace))
    yield
    await lsp_client.shutdown_session()


async def _tests_for(client: LanguageClient, path: Path) -> types.CodeAction:
    uri = from_fs_path(str(path))
    open_doc(client, uri, path.read_text())
    action = by_title(await code_actions(client, uri, types.Range(
        types.Position(0, 0), types.Position(0, 0))), "Generate tests for this module")
    return await client.code_action_resolve_async(action)


async def test_appended_tests_never_shadow_and_imports_merge(client: LanguageClient,
                                                             workspace: Path):
    resolved = await _tests_for(client, workspace / "calc.py")
    assert resolved.edit is not None, resolved.title
    target = workspace / "tests" / "test_calc.py"
    (insert,) = edits_by_uri(resolved.edit)[from_fs_path(str(target))]
    after = apply_edits(EXISTING, [insert], "utf-16")
    # Names by their lines: what the model wrote inside the bodies is not checked here.
    tests = re.findall(r"^def (\w+)\(", after, re.M)
    assert tests[0] == "test_add" and len(tests) == len(set(tests)) == 3, tests
    imports = re.findall(r"^from calc import (.+)$", after, re.M)
    assert imports == ["add", "sub"], imports
    assert after.count("import pytest") == 1


async def test_a_test_file_that_is_not_utf8_is_refused(client: LanguageClient,
                                                       workspace: Path):
    resolved = await _tests_for(client, workspace / "latin.py")
    assert resolved.edit is None and "not UTF-8" in resolved.disabled.reason
    assert (workspace / "tests" / "test_latin.py").read_bytes() == b"# caf\xe9\n"
