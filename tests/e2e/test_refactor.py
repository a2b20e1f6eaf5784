"""Refactorings end to end: the real server over stdio, the real embedded model (SmolLM2).

Extract function and extract variable are decided by the tree (the model only names), so these
tests check the real outcome: the edited module still parses and computes what it computed
before (both versions are run, with Python and with Node). Rewrite goes through the embedded
instruct model: its edit must stay inside the selection and parse, or the action says why not.
"""

from __future__ import annotations

import ast
import asyncio
import shutil
import subprocess
import sys

import pygls.exceptions
import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.code_actions import code_actions, init_params, record_apply_edit
from support.edits import apply_edits, edits_by_uri
from support.lsp import capabilities, open_doc

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

PY = ('LABEL = "é😋 invoice"\n\n\n'
      'def invoice(prices, quantity):\n'
      '    subtotal = sum(prices)\n'
      '    rate = 0.2 if subtotal > 10 else 0.1\n'
      '    discount = subtotal * rate  # é😋\n'
      '    total = subtotal - discount\n'
      '    total = round(total * quantity, 2)\n'
      '    return total\n\n\n'
      'print(LABEL, invoice([3.5, 4.25, 9.0], 2), invoice([1.0], 1))\n')
JS = ('const LABEL = "é😋 invoice";\n\n'
      'function invoice(prices, quantity) {\n'
      '  const subtotal = prices.reduce((a, b) => a + b, 0);\n'
      '  const rate = subtotal > 10 ? 0.2 : 0.1;\n'
      '  const discount = subtotal * rate; // é😋\n'
      '  let total = subtotal - discount;\n'
      '  total = Math.round(total * quantity * 100) / 100;\n'
      '  return total;\n'
      '}\n\n'
      'console.log(LABEL, invoice([3.5, 4.25, 9.0], 2), invoice([1.0], 1));\n')


def units(line: str, chars: int, encoding: str) -> int:
    head = line[:chars]
    return len(head.encode()) if encoding == "utf-8" else len(head.encode("utf-16-le")) // 2


def span(text: str, first: str, last: str, encoding: str) -> types.Range:
    """The range from the start of ``first`` to the end of ``last`` (client units)."""
    a = text.index(first)
    b = text.index(last, a) + len(last)

    def pos(offset: int) -> types.Position:
        line = text.count("\n", 0, offset)
        start = text.rfind("\n", 0, offset) + 1
        return types.Position(line, units(text[start:].split("\n")[0], offset - start,
                                          encoding))

    return types.Range(pos(a), pos(b))


@pytest_lsp.fixture(params=["utf-16", "utf-8"], scope="module",
                    config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def client(request, lsp_client: LanguageClient):
    lsp_client.applied = record_apply_edit(lsp_client)
    caps = capabilities(request.param)
    caps.text_document.code_action.disabled_support = True
    await lsp_client.initialize_session(init_params(caps))
    lsp_client.encoding = request.param
    yield
    await lsp_client.shutdown_session()


def action(actions: list, title: str) -> types.CodeAction:
    found = [a for a in actions if isinstance(a, types.CodeAction) and a.title == title]
    assert found, f"no {title!r} in {[a.title for a in actions]}"
    return found[0]


async def resolved_edit(client: LanguageClient, uri: str, text: str, rng: types.Range,
                        title: str) -> str:
    actions = await code_actions(client, uri, rng, only=["refactor.extract"])
    chosen = action(actions, title)
    assert chosen.disabled is None and chosen.edit is None  # computed lazily, in resolve
    done = await client.code_action_resolve_async(chosen)
    assert done.edit is not None, done.title
    return apply_edits(text, edits_by_uri(done.edit)[uri], client.encoding)


def run(command: list[str], source: str, suffix: str, tmp_path) -> str:
    path = tmp_path / f"module{suffix}"
    path.write_text(source, encoding="utf-8")
    done = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_extract_function_in_python_computes_the_same(client: LanguageClient,
                                                             tmp_path):
    uri = "file:///tmp/refactor_invoice.py"
    open_doc(client, uri, PY)
    rng = span(PY, "discount = ", "total = subtotal - discount", client.encoding)
    after = await resolved_edit(client, uri, PY, rng, "Extract function")
    tree = ast.parse(after)
    new = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name != "invoice"]
    assert len(new) == 1, after
    fn = new[0]
    assert [a.arg for a in fn.args.args] == ["subtotal", "rate"]
    ret = fn.body[-1]
    assert isinstance(ret, ast.Return) and ast.unparse(ret.value) == "total"
    assert f"    total = {fn.name}(subtotal, rate)\n" in after
    assert after.count("discount = subtotal * rate  # é😋") == 1  # moved, not copied
    assert after.index(f"def {fn.name}(") < after.index("def invoice(")
    assert run([sys.executable], after, ".py", tmp_path) == \
        run([sys.executable], PY, ".py", tmp_path)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
async def test_extract_function_in_javascript_computes_the_same(client: LanguageClient,
                                                                 tmp_path):
    uri = "file:///tmp/refactor_invoice.js"
    open_doc(client, uri, JS, language="javascript")
    rng = span(JS, "const discount", "let total = subtotal - discount;", client.encoding)
    after = await resolved_edit(client, uri, JS, rng, "Extract function")
    name = after.split("function ", 1)[1].split("(", 1)[0]
    assert name != "invoice" and after.index(f"function {name}(") < after.index(
        "function invoice(")
    assert f"function {name}(subtotal, rate) {{\n" in after
    assert "  return total;\n}" in after
    assert f"  let total = {name}(subtotal, rate);\n" in after
    assert run(["node"], after, ".js", tmp_path) == run(["node"], JS, ".js", tmp_path)


async def test_a_selection_with_return_is_offered_disabled_with_the_reason(
        client: LanguageClient):
    uri = "file:///tmp/refactor_return.py"
    open_doc(client, uri, PY)
    rng = span(PY, "total = round", "return total", client.encoding)
    chosen = action(await code_actions(client, uri, rng, only=["refactor"]), "Extract function")
    assert chosen.disabled is not None and "`return`" in chosen.disabled.reason
    assert chosen.edit is None


async def test_extract_variable_replaces_only_the_expression(client: LanguageClient,
                                                              tmp_path):
    uri = "file:///tmp/refactor_variable.py"
    open_doc(client, uri, PY)
    rng = span(PY, "subtotal * rate", "subtotal * rate", client.encoding)
    after = await resolved_edit(client, uri, PY, rng, "Extract variable")
    lines = after.split("\n")
    i = next(i for i, line in enumerate(lines) if line.startswith("    discount = "))
    name = lines[i].split("= ", 1)[1].split("  #")[0]
    assert name.isidentifier() and name not in PY
    assert lines[i - 1] == f"    {name} = subtotal * rate"  # just before, same indentation
    assert after == PY.replace("    discount = subtotal * rate",
                               f"    {name} = subtotal * rate\n    discount = {name}")
    assert run([sys.executable], after, ".py", tmp_path) == \
        run([sys.executable], PY, ".py", tmp_path)


async def test_rewrite_with_the_embedded_instruct_model_stays_inside_the_selection(
        client: LanguageClient):
    uri = "file:///tmp/refactor_rewrite.py"
    text = ('def doubled(values):\n'
            '    out = []\n'
            '    for v in values:\n'
            '        out.append(v * 2)\n'
            '    return out\n')
    open_doc(client, uri, text)
    rng = span(text, "    out = []", "out.append(v * 2)\n", client.encoding)
    offered = await code_actions(client, uri, rng, only=["refactor.rewrite"])
    rewrite = [a for a in offered if a.title.startswith("Rewrite selection")]
    assert rewrite, offered
    before = len(client.applied)
    args = {"uri": uri, "range": {"start": {"line": rng.start.line,
                                            "character": rng.start.character},
                                  "end": {"line": rng.end.line,
                                          "character": rng.end.character}},
            "instruction": "use a list comprehension"}
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="slmLsp.rewrite", arguments=[args]))
    print(f"\nrewrite ({client.encoding}): {result}")
    if not result["applied"]:
        assert result["reason"].startswith("no safe rewrite"), result
        assert len(client.applied) == before
        return
    edit = client.applied[-1].edit
    (change,) = edits_by_uri(edit)[uri]
    assert change.range == rng  # replaces the selection, nothing else
    after = apply_edits(text, [change], client.encoding)
    print(after)
    ast.parse(after)
    assert after.startswith("def doubled(values):\n") and after.endswith("    return out\n")
    body = after[len("def doubled(values):\n"):-len("    return out\n")]
    assert all(line.startswith("    ") for line in body.split("\n") if line.strip())


async def test_a_rewrite_reports_progress_and_stops_when_cancelled(client: LanguageClient):
    uri = "file:///tmp/refactor_cancel.py"
    open_doc(client, uri, PY)
    rng = span(PY, "    subtotal = sum", "return total", client.encoding)
    args = {"uri": uri, "range": {"start": {"line": rng.start.line,
                                            "character": rng.start.character},
                                  "end": {"line": rng.end.line,
                                          "character": rng.end.character}},
            "instruction": "add type hints and a comment on each line"}
    before = len(client.applied)
    msg_id = f"rewrite-cancel-{client.encoding}"

    def rewrite_progress() -> list:
        return [token for token, reports in client.progress_reports.items()
                if any(isinstance(r, types.WorkDoneProgressBegin) and "Rewrite" in r.title
                       for r in reports)]

    seen = set(rewrite_progress())
    task = asyncio.create_task(client.protocol.send_request_async(
        types.WORKSPACE_EXECUTE_COMMAND, types.ExecuteCommandParams(
            command="slmLsp.rewrite", arguments=[args]), msg_id=msg_id))
    for _ in range(200):  # until the model runs under a progress token
        await asyncio.sleep(0.05)
        if set(rewrite_progress()) - seen:
            break
    (token,) = set(rewrite_progress()) - seen
    begin = client.progress_reports[token][0]
    assert begin.cancellable
    client.cancel_request(types.CancelParams(id=msg_id))
    with pytest.raises(pygls.exceptions.JsonRpcRequestCancelled):
        await task
    for _ in range(100):
        if isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd):
            break
        await asyncio.sleep(0.05)
    assert client.progress_reports[token][-1].message == "cancelled"
    assert len(client.applied) == before
    # The server is free again at once: listing still answers.
    assert await code_actions(client, uri, rng, only=["refactor.extract"])
