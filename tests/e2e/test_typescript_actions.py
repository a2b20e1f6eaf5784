"""TypeScript's code actions through the real server (``python -m slm_lsp``) and the real
embedded model: a JSDoc block for a function, and extract function keeping the types the code
writes (TypeScript is a family of its own, ``languages/typescript.py``)."""

from __future__ import annotations

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.code_actions import by_title, code_actions, init_params, record_apply_edit
from support.edits import apply_edits, edits_by_uri
from support.lsp import capabilities, open_doc

from slm_lsp.languages import new_parser

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

TS = ("export function scale(width: number, height: number, factor: number): number {\n"
      "  const w: number = width * factor;\n"
      "  const area = w * height;\n"
      "  return area;\n"
      "}\n")


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=server_command(),
                                                              server_env=server_env()))
async def client(lsp_client: LanguageClient):
    lsp_client.applied = record_apply_edit(lsp_client)
    await lsp_client.initialize_session(init_params(capabilities("utf-16")))
    yield
    await lsp_client.shutdown_session()


def at(line: int, a: int, b: int | None = None) -> types.Range:
    return types.Range(types.Position(line, a), types.Position(line, a if b is None else b))


def parses(text: str) -> bool:
    return not new_parser("typescript").parse(text.encode()).root_node.has_error


async def test_a_typescript_function_gets_a_jsdoc_block(client: LanguageClient):
    uri = "file:///tmp/real_doc.ts"
    open_doc(client, uri, TS, language="typescript")
    action = by_title(await code_actions(client, uri, at(0, 17)), "Generate docstring")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, resolved.title
    after = apply_edits(TS, edits_by_uri(resolved.edit)[uri], "utf-16")
    assert after.startswith("/**\n * ") and after.endswith(TS)
    assert "@param width" in after and "@param factor" in after and "*/\n" in after
    assert parses(after)


async def test_extract_function_in_typescript_writes_the_parameters_types(
        client: LanguageClient):
    uri = "file:///tmp/real_extract.ts"
    open_doc(client, uri, TS, language="typescript")
    rng = types.Range(types.Position(1, 2), types.Position(2, 26))
    action = by_title(await code_actions(client, uri, rng), "Extract function")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, resolved.title
    after = apply_edits(TS, edits_by_uri(resolved.edit)[uri], "utf-16")
    head = after.split("{\n", 1)[0]
    assert head.startswith("function ") and head.endswith(
        "(width: number, factor: number, height: number) ")
    assert parses(after)
