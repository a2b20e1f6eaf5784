"""Classic completion survives a partly typed word: the real server, the real model, and the
items filtered as VS Code's suggest widget and Emacs eglot filter them."""

from __future__ import annotations

import re

import pytest
import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, classic_edit, inline, open_doc, prepare

PY = {
    "names = sor": "import os\n\n\ndef list_names(root):\n    names = sor",
    "x.app": "def collect(x, value):\n    x.app",
    "return fo": "def foo(n):\n    return n * 2\n\n\ndef bar(n):\n    return fo",
}
JS = {
    "names = sor": "function listNames(files) {\n  const names = sor",
    "x.app": "function collect(x, value) {\n  x.app",
    "return fo": "function foo(n) {\n  return n * 2;\n}\n\nfunction bar(n) {\n  return fo",
}
CASES = [("python", key, text) for key, text in PY.items()] + \
        [("javascript", key, text) for key, text in JS.items()]


@pytest_lsp.fixture(
    params=["vscode", "eglot"],
    config=ClientServerConfig(server_command=server_command(), server_env=server_env()),
)
async def client(request, lsp_client: LanguageClient):
    prepare(lsp_client)
    if request.param == "vscode":
        # VS Code (vscode-languageclient 9) declares the list defaults it reads.
        caps = capabilities("utf-16")
        caps.text_document.completion.completion_list = types.CompletionListCapabilities(
            item_defaults=["commitCharacters", "editRange", "insertTextFormat",
                           "insertTextMode", "data"])
    else:
        caps = capabilities("utf-8")  # eglot declares neither inline completion nor defaults
        caps.text_document.inline_completion = None
        caps.text_document.completion.completion_list = None
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=caps,
        initialization_options={"completion": {"maxTokens": 24, "timeBudgetMs": 60000}}))
    lsp_client.profile = request.param
    yield
    await lsp_client.shutdown_session()


def _vscode_keeps(line: str, cursor: int, rng: types.Range, item: types.CompletionItem) -> bool:
    """VS Code's suggest widget: the text from the edit's start to the cursor, matched
    case-insensitively and fuzzily against filterText (else label), first letters together."""
    word = line[rng.start.character:cursor].lower()
    target = (item.filter_text or item.label).lower()
    if not word:
        return True
    if not target.startswith(word[0]):
        return False
    rest = iter(target[1:])
    return all(ch in rest for ch in word[1:])


def _eglot_keeps(line: str, cursor: int, item: types.CompletionItem, language: str) -> bool:
    """eglot 1.9: the symbol before point must begin the label (its `try-completion`) and the
    filterText (its `all-completions`), case-sensitively."""
    symbol = r"[\w$]*\Z" if language == "javascript" else r"\w*\Z"
    probe = re.search(symbol, line[:cursor]).group()
    proxy = item.label.lstrip()
    return proxy.startswith(probe) and (item.filter_text or proxy).startswith(probe)


def _apply(text: str, rng: types.Range, new_text: str) -> str:
    lines = text.split("\n")
    head = sum(len(line) + 1 for line in lines[: rng.start.line])
    a, b = head + rng.start.character, head + rng.end.character
    return text[:a] + new_text + text[b:]


@pytest.mark.parametrize(("language", "typed", "text"), CASES,
                         ids=[f"{lang}:{typed}" for lang, typed, _ in CASES])
async def test_the_item_is_kept_after_a_partly_typed_word_and_inserts_the_completion(
        client: LanguageClient, language: str, typed: str, text: str):
    uri = f"file:///work/classic_{language}_{typed.split()[-1].replace('.', '_')}." + (
        "py" if language == "python" else "js")
    open_doc(client, uri, text, language=language)
    line_no = text.count("\n")
    line = text.rsplit("\n", 1)[-1]
    cursor = len(line)  # ASCII lines: a column is the same in every encoding
    word = re.search(r"\w*\Z", line).group()
    assert word and typed.endswith(word)

    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line_no, cursor),
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
    assert result is not None and result.items, "no completion item"
    item = result.items[0]
    rng, new_text = classic_edit(result, item)
    assert (client.profile == "vscode") == (item.text_edit is None)  # defaults where declared
    assert rng.start == types.Position(line_no, cursor - len(word))
    assert rng.end == types.Position(line_no, cursor)

    if client.profile == "vscode":
        assert _vscode_keeps(line, cursor, rng, item), (item.label, item.filter_text)
    else:
        assert _eglot_keeps(line, cursor, item, language), (item.label, item.filter_text)

    # Inserting the item gives the text that accepting the inline completion gives: the word
    # typed so far, then the model's completion.
    after = _apply(text, rng, new_text)
    assert new_text.startswith(word) and len(new_text) > len(word)
    assert after == text + new_text[len(word):]
    if client.profile == "vscode":
        ghost = await inline(client, uri, line_no, cursor)
        assert ghost is not None and ghost.items
        assert after == text + ghost.items[0].insert_text
