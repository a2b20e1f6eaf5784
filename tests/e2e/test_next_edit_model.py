"""Next edits from a model, end to end: the real server over stdio with the embedded SmolLM2
as the completion model. Quiet by default; with ``nextEdit.model: "completion"`` the model runs
where the syntax tree proposes nothing, and what comes back is null or an edit that parses and
does not undo the user's edit; a next-edit model that is not here says so once and proposes
nothing."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, plain, prepare

from slm_lsp.completion.postprocess import error_count
from slm_lsp.languages import new_parser

pytestmark = pytest.mark.asyncio(loop_scope="module")

URI = "file:///work/fetch_all.py"
# The user changes the first call's method from "GET" to "POST": a string, so the syntax tree
# proposes nothing; a model may propose the same change in the calls below.
TEXT = ('def fetch_all(client, urls):\n'
        '    first = client.request("GET", urls[0])\n'
        '    second = client.request("GET", urls[1])\n'
        '    third = client.request("GET", urls[2])\n'
        '    return [first, second, third]\n')
AT = TEXT.index('"GET"') + 1


@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env()))
async def client(lsp_client: LanguageClient):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16")))
    yield
    await lsp_client.shutdown_session()



def offset_of(text: str, line: int, character: int) -> int:
    start = 0
    for _ in range(line):
        start = text.index("\n", start) + 1
    return start + character  # ASCII text: UTF-16 units are code points


async def next_edit(client: LanguageClient, line: int, character: int):
    return plain(await client.protocol.send_request_async("slmLsp/nextEdit", {
        "textDocument": {"uri": URI}, "position": {"line": line, "character": character}}))


def model_logs(client: LanguageClient, text: str) -> list[str]:
    return [m.message for m in client.log_messages if text in m.message]


async def logged(client: LanguageClient, text: str, timeout: float = 10.0) -> list[str]:
    for _ in range(int(timeout / 0.1)):
        found = model_logs(client, text)
        if found:
            return found
        await asyncio.sleep(0.1)
    return []


async def configure(client: LanguageClient, model: str) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"slmLsp": {"nextEdit": {"model": model}}}))
    await asyncio.sleep(0.5)  # the settings are applied once the model they name is loaded


async def test_the_completion_model_proposes_null_or_an_edit_that_parses_and_keeps_the_users(
        client: LanguageClient):
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=URI, language_id="python", version=1, text=TEXT)))
    edited = TEXT[:AT] + "POST" + TEXT[AT + 3:]
    line = TEXT.count("\n", 0, AT)
    col = AT - (TEXT.rfind("\n", 0, AT) + 1)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(line, col), types.Position(line, col + 3)),
            text="POST")]))

    # Quiet by default: no model runs.
    assert await next_edit(client, line, col + 4) is None
    assert model_logs(client, "next edit from the model") == []

    await configure(client, "completion")
    runs: list[str] = []
    for _ in range(10):  # until the setting is in force (applied after the notification)
        result = await next_edit(client, line, col + 4)
        runs = await logged(client, "next edit from the model", timeout=2.0)
        if runs:
            break
    assert runs, "the model hook did not run"
    assert "prompt tokens" in runs[-1]
    if result is not None:
        assert (result["uri"], result["version"]) == (URI, 2)
        assert (result["source"], result["reason"]) == ("model", "model")
        r = result["range"]
        a = offset_of(edited, r["start"]["line"], r["start"]["character"])
        b = offset_of(edited, r["end"]["line"], r["end"]["character"])
        after = edited[:a] + result["newText"] + edited[b:]
        assert after != edited  # not a no-op
        assert after != TEXT  # not the user's edit undone
        assert '"POST", urls[0]' in after  # the user's edit kept
        parser = new_parser("python")
        assert error_count(parser, after) <= error_count(parser, edited) == 0


async def test_a_next_edit_model_that_is_not_here_is_said_once_and_proposes_nothing(
        client: LanguageClient):
    await configure(client, "sweep-next-edit-1.5b")
    line = TEXT.count("\n", 0, AT)
    said: list[str] = []
    for _ in range(10):  # until the setting is in force
        assert await next_edit(client, line, 0) is None
        said = await logged(client, "next-edit model sweep-next-edit-1.5b cannot be", 2.0)
        if said:
            break
    assert said and "not downloaded" in said[0] and "models pull sweep-next-edit-1.5b" in said[0]
    assert await next_edit(client, line, 0) is None
    await asyncio.sleep(0.3)
    assert len(model_logs(client, "sweep-next-edit-1.5b cannot be used")) == 1
    await configure(client, "")
