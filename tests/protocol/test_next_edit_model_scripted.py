"""Model next edits end to end with a scripted engine in Sweep's next-edit format, where
determinism is the point: the real server over stdio (tests/support/fake_server.py swaps in the
engine of ``SLM_LSP_FAKE_ENGINE``), ``nextEdit.model: "completion"``, and answers written by the
script. The model's rewrite becomes a proposal; a rewrite that undoes the user's edit, or that
does not parse, proposes nothing, though the model ran (each call is logged)."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from conftest import server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, plain, prepare

pytestmark = pytest.mark.asyncio(loop_scope="module")

TEXT = ('def fetch_all(client, urls):\n'
        '    first = client.request("GET", urls[0])\n'
        '    second = client.request("GET", urls[1])\n'
        '    return [first, second]\n')
AT = TEXT.index('"GET"') + 1
EDITED = TEXT[:AT] + "POST" + TEXT[AT + 3:]  # the user's edit: a string, no syntax proposal
NEXT = EDITED.replace('"GET", urls[1]', '"POST", urls[1]')
BROKEN = EDITED.replace('"GET", urls[1])', '"POST", urls[1]')

DIR = Path(tempfile.mkdtemp(prefix="slm-nextedit-"))
LOG = DIR / "calls.jsonl"
SCRIPT = DIR / "script.json"
# The window is the whole (short) file; the answer ends with Sweep's closing marker.
SCRIPT.write_text(json.dumps({"format": "sweep-next-edit", "rules": [
    {"match": "<|file_sep|>current/work/next.py\n", "text": NEXT + "<|file_sep|>"},
    {"match": "<|file_sep|>current/work/undo.py\n", "text": TEXT + "<|file_sep|>"},
    {"match": "<|file_sep|>current/work/broken.py\n", "text": BROKEN + "<|file_sep|>"},
    {"match": "<|file_sep|>current/work/slow.py\n", "text": NEXT + "<|file_sep|>",
     "delay_s": 120},
]}), encoding="utf-8")
SERVER = [sys.executable, str(Path(__file__).resolve().parents[1] / "support" / "fake_server.py")]
ENV = server_env(SLM_LSP_FAKE_ENGINE=str(SCRIPT), SLM_LSP_FAKE_LOG=str(LOG))


def calls(name: str) -> list[dict]:
    if not LOG.exists():
        return []
    entries = [json.loads(line) for line in LOG.read_text().splitlines()]
    return [e for e in entries if f"current/work/{name}.py" in e.get("prompt", "")]


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER,
                                                              server_env=ENV))
async def client(lsp_client: LanguageClient):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"),
        initialization_options={"nextEdit": {"model": "completion"}}))
    yield
    await lsp_client.shutdown_session()



async def edit_then_ask(client: LanguageClient, name: str):
    uri = edit(client, name)
    result = None
    for _ in range(20):  # until the settings are in force (after the model loads)
        result = plain(await ask(client, uri))
        if calls(name):
            break
        await asyncio.sleep(0.2)
    return result


def edit(client: LanguageClient, name: str) -> str:
    """Open ``name``.py and make the user's edit in it."""
    uri = f"file:///work/{name}.py"
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=TEXT)))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(1, AT - TEXT.index("\n") - 1),
                              types.Position(1, AT - TEXT.index("\n") + 2)),
            text="POST")]))
    return uri


def ask(client: LanguageClient, uri: str):
    return client.protocol.send_request_async("slmLsp/nextEdit", {
        "textDocument": {"uri": uri}, "position": {"line": 1, "character": 29}})


async def test_the_models_rewrite_becomes_the_next_edit(client: LanguageClient):
    result = await edit_then_ask(client, "next")
    assert calls("next"), "the model did not run"
    prompt = calls("next")[-1]["prompt"]
    assert prompt.endswith("<|file_sep|>current/work/next.py\n" + EDITED
                           + "<|file_sep|>updated/work/next.py\n")
    assert result == {
        "uri": "file:///work/next.py", "version": 2,
        "range": {"start": {"line": 2, "character": 29}, "end": {"line": 2, "character": 32}},
        "newText": "POST", "label": "Change `GET` to `POST`", "source": "model",
        "reason": "model"}


async def test_a_rewrite_that_undoes_the_users_edit_proposes_nothing(client: LanguageClient):
    assert await edit_then_ask(client, "undo") is None
    assert calls("undo"), "the model did not run"


async def test_a_rewrite_that_does_not_parse_proposes_nothing(client: LanguageClient):
    assert await edit_then_ask(client, "broken") is None
    assert calls("broken"), "the model did not run"


async def test_a_completion_request_pre_empts_a_model_next_edit(client: LanguageClient):
    # The model takes two minutes for this one; the user's completion does not wait for it,
    # and the next edit, for a moment that is gone, answers nothing.
    await edit_then_ask(client, "next")  # the settings are in force
    uri = edit(client, "slow")
    pending = asyncio.ensure_future(ask(client, uri))
    for _ in range(100):
        if calls("slow"):
            break
        await asyncio.sleep(0.1)
    assert calls("slow"), "the model did not start"
    await asyncio.wait_for(client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(3, 4),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked))), timeout=60)
    assert await asyncio.wait_for(pending, timeout=60) is None
