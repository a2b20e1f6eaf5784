"""Helpers for end-to-end tests through pytest-lsp."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

INLINE_CAPS = types.InlineCompletionClientCapabilities(dynamic_registration=False)


def capabilities(profile: str) -> types.ClientCapabilities:
    """A real client's capabilities, with inline completion as 3.18 clients announce it."""
    if profile == "utf-8":
        caps = client_capabilities("neovim")
        caps.general.position_encodings = [types.PositionEncodingKind.Utf8,
                                           types.PositionEncodingKind.Utf16]
    else:
        caps = client_capabilities("visual_studio_code")
        if caps.general is None:
            caps.general = types.GeneralClientCapabilities()
        caps.general.position_encodings = [types.PositionEncodingKind.Utf16]
    caps.text_document.inline_completion = INLINE_CAPS
    return caps


def prepare(client: LanguageClient) -> None:
    """Answer what real editors answer: dynamic registration, and record `slmLsp/status`."""
    client.statuses = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        return None

    @client.feature("slmLsp/status")
    def status(params) -> None:
        client.statuses.append(params)


async def start_session(client: LanguageClient, options: dict,
                        encoding: str = "utf-16") -> None:
    """``prepare`` the client, then initialize with ``options`` as initializationOptions."""
    prepare(client)
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(encoding), initialization_options=options))


async def wait_until(predicate: Callable[[], bool], timeout: float = 120.0) -> bool:
    """Whether ``predicate`` became true within ``timeout`` seconds (checked every 0.1 s)."""
    end = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < end:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


def open_doc(client: LanguageClient, uri: str, text: str, language: str = "python",
             version: int = 1) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)))


async def inline(client: LanguageClient, uri: str, line: int, character: int,
                 invoked: bool = True) -> types.InlineCompletionList | None:
    kind = (types.InlineCompletionTriggerKind.Invoked if invoked
            else types.InlineCompletionTriggerKind.Automatic)
    return await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line, character),
        context=types.InlineCompletionContext(trigger_kind=kind)))


def apply_inline(text: str, item: types.InlineCompletionItem, encoding: str) -> str:
    """The document after accepting ``item`` (range in the client's encoding)."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        head = sum(len(line) + 1 for line in lines[: pos.line])
        line = lines[pos.line]
        if encoding == "utf-8":
            return head + len(line.encode()[: pos.character].decode())
        if encoding == "utf-16":
            units = line.encode("utf-16-le")[: pos.character * 2]
            return head + len(units.decode("utf-16-le"))
        return head + pos.character

    rng = item.range
    a, b = offset(rng.start), offset(rng.end)
    return text[:a] + item.insert_text + text[b:]


def classic_edit(result: types.CompletionList, item: types.CompletionItem
                 ) -> tuple[types.Range, str]:
    """The range and text a client inserts for ``item``: its own ``textEdit``, or the list's
    ``itemDefaults.editRange`` with ``textEditText`` (clients that declare the default)."""
    if item.text_edit is not None:
        return item.text_edit.range, item.text_edit.new_text
    assert result.item_defaults is not None and result.item_defaults.edit_range is not None
    return result.item_defaults.edit_range, item.text_edit_text or item.label


def plain(result: Any) -> Any:
    """A custom request's result as plain JSON data (pygls hands it over as named tuples)."""
    if result is None or isinstance(result, (str, int, float, bool)):
        return result
    if isinstance(result, dict):
        return {k: plain(v) for k, v in result.items()}
    if isinstance(result, list):
        return [plain(v) for v in result]
    return {k: plain(v) for k, v in result._asdict().items()}
