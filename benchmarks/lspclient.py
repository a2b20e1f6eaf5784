"""Drive ``python -m slm_lsp`` over stdio as an editor does, one task at a time.

One server for the whole run: ``initialize`` with the same settings for every task, wait until
the model is loaded (the ``slmLsp/status`` notification), then for each task ``didOpen`` the file
with the hole cut out, ``textDocument/inlineCompletion`` (Invoked) at the hole, ``didClose``.
Latency is the wall time of the request as the client sees it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

STATUS = "slmLsp/status"


@dataclass
class Answer:
    text: str
    latency_ms: float
    error: str = ""
    items: int = 0  # how many items the list had (candidates of an Invoked request)


class BenchClient:
    """A minimal editor: open, ask, close."""

    def __init__(self, settings: dict, log_path: Path | None = None,
                 command: list[str] | None = None):
        self.settings = settings
        self.log_path = log_path
        self.command = command or [sys.executable, "-m", "slm_lsp"]
        self.client = LanguageClient("slm-lsp-bench", "0.1.0")
        self.status: dict = {}
        self.messages: list[str] = []
        self._ready = asyncio.Event()
        self._drain: asyncio.Task | None = None
        self._version = 0

        @self.client.feature(STATUS)
        def on_status(params) -> None:
            state = getattr(params, "state", None) or (params.get("state") if isinstance(
                params, dict) else None)
            self.status = {"state": state, "message": getattr(params, "message", "")}
            if state in ("ready", "error"):
                self._ready.set()

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams) -> None:
            pass

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            pass

    async def start(self, load_timeout_s: float = 300.0) -> None:
        await self.client.start_io(*self.command)
        server = self.client._server
        self._drain = asyncio.create_task(self._drain_stderr(server.stderr))
        caps = types.ClientCapabilities(
            general=types.GeneralClientCapabilities(
                position_encodings=[types.PositionEncodingKind.Utf16]),
            text_document=types.TextDocumentClientCapabilities(
                inline_completion=types.InlineCompletionClientCapabilities(),
                synchronization=types.TextDocumentSyncClientCapabilities()))
        await self.client.initialize_async(types.InitializeParams(
            capabilities=caps, initialization_options=self.settings,
            client_info=types.ClientInfo(name="slm-lsp-bench")))
        self.client.initialized(types.InitializedParams())
        await asyncio.wait_for(self._ready.wait(), load_timeout_s)
        if self.status.get("state") != "ready":
            raise RuntimeError(f"the server could not load its model: {self.status}")

    async def _drain_stderr(self, stream) -> None:
        sink = open(self.log_path, "wb") if self.log_path else None
        try:
            while True:
                chunk = await stream.read(65536)
                if not chunk:
                    break
                if sink:
                    sink.write(chunk)
        finally:
            if sink:
                sink.close()

    async def complete(self, uri: str, language: str, text: str, line: int,
                       character: int) -> Answer:
        """Open ``text``, ask for an inline completion at (line, character), close it."""
        self._version += 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id=language, version=self._version,
                                   text=text)))
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line, character),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked))
        t0 = time.perf_counter()
        error = ""
        try:
            result = await self.client.text_document_inline_completion_async(params)
        except Exception as exc:  # noqa: BLE001 - a failed request is an empty answer, noted
            result, error = None, f"{type(exc).__name__}: {exc}"
        ms = (time.perf_counter() - t0) * 1000
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            types.TextDocumentIdentifier(uri=uri)))
        items = result.items if isinstance(result, types.InlineCompletionList) else (
            result or [])
        text_out = ""
        if items:
            insert = items[0].insert_text
            text_out = insert if isinstance(insert, str) else insert.value
        return Answer(text_out, ms, error, len(items))

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 30)
            self.client.exit(None)
        except Exception:  # noqa: BLE001 - the run's results are in; a slow exit is not fatal
            pass
        await self.client.stop()
        if self._drain:
            self._drain.cancel()
