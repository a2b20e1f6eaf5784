"""The server's core features (``server.Feature``): lifecycle and settings, document sync,
completion and the workspace index. Each registers its own thin handlers, which delegate to the
server's state."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.capabilities import get_capability

from .completion.items import classic_item, completion_list, supports_edit_range_default
from .logs import ClientLogHandler
from .server import Feature, SlmServer
from .settings import SECTION, section_of

if TYPE_CHECKING:
    from .documents import Document

log = logging.getLogger(__name__)

_ENCODINGS = {
    types.PositionEncodingKind.Utf8: "utf-8",
    types.PositionEncodingKind.Utf16: "utf-16",
    types.PositionEncodingKind.Utf32: "utf-32",
}


def _report(ls: SlmServer, problems: list[str]) -> None:
    """Warn about the settings problems that are new since the last report: a bad value is
    said once, when it arrives, not again at every later change of other settings."""
    new = [p for p in problems if p not in ls.reported_problems]
    ls.reported_problems = set(problems)
    if new:
        message = "slm-lsp: invalid settings: " + "; ".join(new)
        log.warning(message)
        ls.show(types.MessageType.Warning, message)


class Lifecycle(Feature):
    """``initialize``, ``initialized``, the client's settings and ``shutdown``: the settings
    are resolved here and reach every feature through ``settings_changed``."""

    def register(self, server: SlmServer) -> None:
        @server.feature(types.INITIALIZE)
        def initialize(ls: SlmServer, params: types.InitializeParams) -> None:
            encoding = ls.workspace.position_encoding or types.PositionEncodingKind.Utf16
            ls.documents.encoding = _ENCODINGS.get(encoding, "utf-16")
            options = params.initialization_options
            if isinstance(options, dict) and isinstance(options.get(SECTION), dict):
                options = options[SECTION]
            ls.init_options = options if options is None or isinstance(options, dict) else {}
            problems = ls.apply_settings()
            if options is not None and not isinstance(options, dict):
                problems.append("initializationOptions must be an object")
            ls.init_problems = problems
            ls.settings_in_force()

        @server.feature(types.INITIALIZED)
        async def initialized(ls: SlmServer, params: types.InitializedParams) -> None:
            import asyncio

            handler = ClientLogHandler(ls.log_to_client, asyncio.get_running_loop())
            handler.setFormatter(logging.Formatter("%(message)s"))
            logging.getLogger("slm_lsp").addHandler(handler)
            _report(ls, ls.init_problems)
            ls.start_index()
            ls.run_task(_start(ls))

        @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
        async def did_change_configuration(ls: SlmServer,
                                           params: types.DidChangeConfigurationParams) -> None:
            section = section_of(params.settings)
            if section is None and get_capability(ls.client_capabilities,
                                                  "workspace.configuration", False):
                section = await _pull_configuration(ls)
            if section is None:
                return
            ls.client_settings = section
            _report(ls, ls.apply_settings())
            await ls.reload_if_needed()

        @server.feature(types.SHUTDOWN)
        def shutdown(ls: SlmServer, *args) -> None:
            ls.stop_features()
            ls.host.shutdown()


class DocumentSync(Feature):
    """Open documents (incremental sync): the text and tree of each, and every feature told
    of each open, change and close."""

    def register(self, server: SlmServer) -> None:
        @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
        def did_open(ls: SlmServer, params: types.DidOpenTextDocumentParams) -> None:
            item = params.text_document
            ls.documents.open(item.uri, item.text, item.version, item.language_id)
            ls.document_opened(ls.documents.get(item.uri))

        @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
        def did_change(ls: SlmServer, params: types.DidChangeTextDocumentParams) -> None:
            doc = ls.documents.get(params.text_document.uri)
            if doc is None:
                log.warning("didChange for a document that is not open: %s",
                            params.text_document.uri)
                return
            for change in params.content_changes:
                if isinstance(change, types.TextDocumentContentChangePartial):
                    r = change.range
                    doc.apply_change(change.text, (r.start.line, r.start.character),
                                     (r.end.line, r.end.character))
                else:
                    doc.apply_change(change.text, None, None)
            doc.version = params.text_document.version
            last = params.content_changes[-1] if params.content_changes else None
            if isinstance(last, types.TextDocumentContentChangePartial):
                ls.visited(doc.uri, doc.language_id, last.range.start.line)
            ls.document_changed(doc)

        @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
        def did_close(ls: SlmServer, params: types.DidCloseTextDocumentParams) -> None:
            ls.recent.forget(params.text_document.uri)
            ls.documents.close(params.text_document.uri)
            ls.document_closed(params.text_document.uri)


class Completions(Feature):
    """Inline and classic completion, and the ``slmLsp/stats`` request; the completion service
    hears of documents changing under the requests it runs.

    ``inline_first`` (given by ``setup.py``) is another feature's inline item for a request
    (the next edit on the cursor's line): when it has one, that item is the answer."""

    def __init__(self, server: SlmServer, inline_first: Callable[
            [types.InlineCompletionParams], types.InlineCompletionItem | None] | None = None):
        self.completions = server.completions
        self.inline_first = inline_first

    def register(self, server: SlmServer) -> None:
        @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
        async def inline_completion(ls: SlmServer, params: types.InlineCompletionParams
                                    ) -> types.InlineCompletionList | None:
            if self.inline_first is not None:
                item = self.inline_first(params)
                if item is not None:
                    return types.InlineCompletionList(items=[item])
            invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
            # The user asked: a first request gets one answer; asking again at the same place
            # (the editors' cycle keys) gets several candidates.
            answer = await ls.completion_for(params.text_document.uri, params.position,
                                             invoked=invoked, candidates=invoked)
            if answer is None:
                return types.InlineCompletionList(items=[])
            texts, rng = answer
            return types.InlineCompletionList(
                items=[types.InlineCompletionItem(insert_text=text, range=rng) for text in texts])

        @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(
            trigger_characters=[".", "(", " "], resolve_provider=False))
        async def completion(ls: SlmServer, params: types.CompletionParams
                             ) -> types.CompletionList | None:
            invoked = params.context is None or params.context.trigger_kind in (
                types.CompletionTriggerKind.Invoked,
                types.CompletionTriggerKind.TriggerForIncompleteCompletions)
            answer = await ls.completion_for(params.text_document.uri, params.position,
                                             invoked=invoked)
            if answer is None:
                return types.CompletionList(is_incomplete=True, items=[])
            texts, rng = answer
            text = texts[0]
            doc = ls.documents.get(params.text_document.uri)
            if doc is None:
                return types.CompletionList(is_incomplete=True, items=[])
            line = doc.line_text(rng.start.line)
            cursor = doc.line_col(doc.offset_at(rng.start.line, rng.start.character))[1]
            end = doc.line_col(doc.offset_at(rng.end.line, rng.end.character))[1] \
                if rng.end.line == rng.start.line else None
            item = classic_item(line, cursor, text, doc.language_id, end=end)
            return completion_list([item], line=rng.start.line, line_text=line,
                                   encoding=doc.encoding,
                                   edit_range_default=supports_edit_range_default(
                                       ls.client_capabilities))

        @server.feature("slmLsp/stats")
        def stats(ls: SlmServer, params) -> dict:
            """Counters and per-request records (newer than ``since``), for benchmarks and
            diagnosis: tokens evaluated, prompt/decode/wait/handler times, how fast a cancel
            stopped the work."""
            since = getattr(params, "since", 0) if params is not None else 0
            since = since if isinstance(since, int) else 0
            stats = ls.completions.stats
            loaded = ls.host.loaded
            return {"counters": dict(stats.counters),
                    "model": loaded.model_id if loaded else "",
                    "cachedTokens": len(loaded.engine.cached_tokens) if loaded else 0,
                    "seq": stats.seq,
                    "recent": stats.since(since)}

    def document_opened(self, doc: Document) -> None:
        pass  # nothing runs for a document just opened

    def document_changed(self, doc: Document) -> None:
        self.completions.document_changed(doc.uri)

    def document_closed(self, uri: str) -> None:
        self.completions.document_closed(uri)

    def shutdown(self) -> None:
        self.completions.cancel_all()


class WorkspaceIndex(Feature):
    """The workspace's symbol index (cross-file context), once ``initialized`` started it:
    kept up to date from open documents, saves and watched files."""

    def __init__(self, server: SlmServer):
        self.server = server

    def register(self, server: SlmServer) -> None:
        @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
        def did_save(ls: SlmServer, params: types.DidSaveTextDocumentParams) -> None:
            if ls.index is not None:
                ls.index.file_saved(params.text_document.uri)

        @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
        def did_change_watched_files(ls: SlmServer,
                                     params: types.DidChangeWatchedFilesParams) -> None:
            if ls.index is None:
                return
            for change in params.changes:
                if change.type == types.FileChangeType.Deleted:
                    ls.index.remove(change.uri)
                else:
                    ls.index.file_saved(change.uri)

    def document_changed(self, doc: Document) -> None:
        if self.server.index is not None:
            self.server.index.update_document(doc)

    def document_closed(self, uri: str) -> None:
        if self.server.index is not None:
            self.server.index.close_document(uri)

    def shutdown(self) -> None:
        if self.server.index is not None:
            self.server.index.stop()


async def _pull_configuration(ls: SlmServer) -> dict | None:
    try:
        result = await ls.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(section=SECTION)]))
    except Exception:  # noqa: BLE001 - a client that cannot answer keeps the current settings
        log.debug("workspace/configuration failed", exc_info=True)
        return None
    if result and isinstance(result[0], dict):
        return result[0]
    return None


async def _start(ls: SlmServer) -> None:
    """After `initialized`: pull the client's settings, register for changes, load the model."""
    caps = ls.client_capabilities
    if get_capability(caps, "workspace.configuration", False):
        section = await _pull_configuration(ls)
        if section is not None:
            ls.client_settings = section
            _report(ls, ls.apply_settings())
    if get_capability(caps, "workspace.did_change_configuration.dynamic_registration", False):
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                types.Registration(id=str(uuid.uuid4()),
                                   method=types.WORKSPACE_DID_CHANGE_CONFIGURATION)]))
        except Exception:  # noqa: BLE001
            log.debug("dynamic registration refused", exc_info=True)
    if ls.index is not None and get_capability(
            caps, "workspace.did_change_watched_files.dynamic_registration", False):
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                types.Registration(
                    id=str(uuid.uuid4()), method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                        types.FileSystemWatcher(glob_pattern="**/*.{py,pyi,js,jsx,mjs,cjs,"
                                                "ts,tsx,mts,cts,go,rs,java,c,h,cc,cpp,cxx,"
                                                "hpp,hh,hxx}")]))]))
        except Exception:  # noqa: BLE001
            log.debug("file watching refused", exc_info=True)
    await ls.load_model()
