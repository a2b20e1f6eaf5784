"""Generated tests test something: the real server over stdio with the real embedded model.

Whatever SmolLM2-135M writes, every test the "Generate tests" action offers for a JavaScript ES
module has a matcher (``expect(...).toBe(...)``) or is an explicit ``it.todo``, and it imports
the module the way the module exports (``import``, not ``require``).
"""

from __future__ import annotations

import re

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient
from support.code_actions import DATA, by_title, code_actions, init_params, record_apply_edit
from support.edits import edits_by_uri
from support.lsp import capabilities, open_doc

pytestmark = [pytest.mark.slow]

WEBAPP = DATA / "webapp"
SHAPES = ("export function perimeter(width, height) {\n  return 2 * (width + height);\n}\n\n"
          "export function area(width, height) {\n  return width * height;\n}\n")
_TEST = re.compile(r"^\s*(?:it|test)(\.todo)?\(", re.M)
_MATCHER = re.compile(r"expect\(.*\)\s*(?:\.not)?\.to\w+\(")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def client(lsp_client: LanguageClient):
    record_apply_edit(lsp_client)
    await lsp_client.initialize_session(init_params(capabilities("utf-16"), root=WEBAPP))
    yield
    await lsp_client.shutdown_session()


def _tests(text: str) -> list[tuple[bool, str]]:
    """Each test of a generated file: (is a todo, its text up to the next test)."""
    marks = list(_TEST.finditer(text))
    return [(bool(m.group(1)), text[m.start():marks[i + 1].start() if i + 1 < len(marks)
                                    else len(text)]) for i, m in enumerate(marks)]


async def test_javascript_tests_assert_or_are_todo_and_import_the_es_module(
        client: LanguageClient):
    uri = from_fs_path(str(WEBAPP / "src" / "shapes.js"))
    open_doc(client, uri, SHAPES, language="javascript")
    action = by_title(await code_actions(client, uri, types.Range(
        types.Position(0, 0), types.Position(0, 0))), "Generate tests for this module")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, resolved.title
    (text,) = ["".join(e.new_text for e in edits)
               for edits in edits_by_uri(resolved.edit).values()]
    assert "import { perimeter, area } from" in text and "require(" not in text, text
    tests = _tests(text)
    assert len(tests) >= 2, text
    for todo, body in tests:
        if todo:
            continue
        expects = [line for line in body.split("\n") if "expect(" in line]
        assert expects and all(_MATCHER.search(line) for line in expects), body
