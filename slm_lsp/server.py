"""The language server's state: settings, documents, the engine host and the completion
service; and the features that serve it (``Feature``).

``setup.create_server`` builds it and adds its features, each of which registers its own
handlers and hears of settings and documents through the same hooks. No completion logic lives
here:
a request's position is converted to an offset, the completion service
(``completion/service.py``) does the rest, and its answer is converted back into LSP types in
the client's encoding.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer

from . import __version__, logs, paths
from .completion.service import CompletionService
from .context.index import SymbolIndex
from .context.recent import RecentPlaces
from .documents import DocumentStore
from .engine.host import EngineHost
from .errors import EngineError
from .models.recommend import embedded_hint
from .settings import Settings, resolve

if TYPE_CHECKING:
    from .documents import Document

log = logging.getLogger(__name__)

STATUS = "slmLsp/status"
REMOTE_RETRY_S = 5.0


class Feature:
    """One concern of the server (as esbonio's ``LanguageFeature``): it registers its own
    handlers and hears of settings and documents through these hooks, so the server core never
    updates a subsystem by hand. The hooks do nothing unless a feature overrides them."""

    def register(self, server: SlmServer) -> None:
        """Add the feature's LSP handlers to ``server`` (called once, when it is added)."""

    def settings_changed(self, settings: Settings) -> None:
        """The settings now in force: at ``initialize``, once the client's configuration was
        pulled, and after each ``didChangeConfiguration`` (once the model it names is loaded)."""

    def document_opened(self, doc: Document) -> None:
        """A document was opened (by default, as a change)."""
        self.document_changed(doc)

    def document_changed(self, doc: Document) -> None:
        """A document's text changed."""

    def document_closed(self, uri: str) -> None:
        """A document was closed."""

    def shutdown(self) -> None:
        """``shutdown``: stop background work (before the engines are released)."""


class SlmServer(LanguageServer):
    """State of one server: settings, documents, the engine host and the completion service."""

    def __init__(self, *, cli_model: str | None = None, cli_layer: dict | None = None, **kw):
        from .protocol import SlmProtocol

        kw.setdefault("protocol_cls", SlmProtocol)
        super().__init__("slm-lsp", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental, **kw)
        self.protocol.track_documents = False  # ``documents`` is the one copy
        self.cli_model = cli_model
        self.cli_layer = cli_layer or {}
        self.init_options: dict[str, Any] | None = None
        self.client_settings: dict[str, Any] | None = None
        self.settings, _ = resolve(self.cli_layer, cli_model=cli_model)
        self.documents = DocumentStore()
        self.recent = RecentPlaces(self._text_of)
        self.host = EngineHost(self.send_status)
        self.completions = CompletionService(self.settings, self.host, self.documents,
                                             self.recent)
        self.index: SymbolIndex | None = None
        self.features: list[Feature] = []
        # The code actions' state (``actions.feature.Actions``), which their handlers read; set
        # by their feature (this module does not import the actions, which import it).
        self.actions: Any = None
        # The next-edit service (``nextedit.service.NextEditService``), set by its feature: the
        # model's side of next edits fills its ``model_hook``.
        self.next_edits: Any = None
        self.init_problems: list[str] = []  # reported once the client can show messages
        self._tasks: set[asyncio.Task] = set()
        self._hinted = False
        self._root_refused = False
        self.reported_problems: set[str] = set()  # settings problems already shown
        self._engine_down = False
        self._last_retry = 0.0

    # -- plumbing --------------------------------------------------------------------------
    def run_task(self, coro) -> asyncio.Task:
        """Run a background task, keeping a reference and logging its failure."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def send_status(self, state: str, message: str, percentage: int | None) -> None:
        model = self.host.loaded.model_id if self.host.loaded else ""
        self.protocol.notify(STATUS, {"state": state, "message": message,
                                      "percentage": percentage, "model": model})

    def log_to_client(self, level: int, message: str) -> None:
        kind = (types.MessageType.Error if level >= logging.ERROR else
                types.MessageType.Warning if level >= logging.WARNING else
                types.MessageType.Info if level >= logging.INFO else types.MessageType.Log)
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def show(self, kind: types.MessageType, message: str) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    # -- features ---------------------------------------------------------------------------
    def add_feature(self, feature: Feature) -> None:
        """Add ``feature``: it registers its handlers now and hears every hook from now on."""
        self.features.append(feature)
        feature.register(self)

    def _each_feature(self, hook: str, *args: Any) -> None:
        """Call ``hook`` on every feature; one that fails is logged and the others still run."""
        for feature in self.features:
            try:
                getattr(feature, hook)(*args)
            except Exception:  # noqa: BLE001 - one broken feature must not sink the others
                log.error("%s.%s failed", type(feature).__name__, hook, exc_info=True)

    def document_opened(self, doc: Document) -> None:
        self._each_feature("document_opened", doc)

    def document_changed(self, doc: Document) -> None:
        self._each_feature("document_changed", doc)

    def document_closed(self, uri: str) -> None:
        self._each_feature("document_closed", uri)

    def stop_features(self) -> None:
        self._each_feature("shutdown")

    # -- settings ----------------------------------------------------------------------------
    def apply_settings(self) -> list[str]:
        """Recompute settings from all layers, for the server's own state (the log level, the
        completion service); returns the problems found. The features hear of them from
        ``settings_in_force``."""
        settings, problems = resolve(self.cli_layer, self.init_options, self.client_settings,
                                     cli_model=self.cli_model)
        self.settings = settings
        logs.set_level(settings.log_level)
        self.completions.settings = settings
        return problems

    def settings_in_force(self) -> None:
        """Tell every feature the settings now in force."""
        self._each_feature("settings_changed", self.settings)

    async def reload_if_needed(self) -> None:
        """After a settings change: reload the model if its settings changed, then tell the
        features (a feature that keeps a model beside it compares with the one loaded)."""
        if self.host.needs_reload(self.settings):
            await self.load_model()
        self.settings_in_force()

    async def load_model(self, quiet: bool = False) -> None:
        """Load the model the settings name, with work-done progress where supported.

        ``quiet`` (a background retry) reports a failure only in the log."""
        token = None
        if not quiet and get_capability(self.client_capabilities, "window.work_done_progress",
                                        False):
            token = str(uuid.uuid4())
            try:
                await self.work_done_progress.create_async(token)
                self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                    title="slm-lsp: loading model", percentage=0, cancellable=False))
            except Exception:  # noqa: BLE001 - the client refused a token: no progress then
                token = None

        def progress(frac: float) -> None:
            if token is not None:
                self.work_done_progress.report(
                    token, types.WorkDoneProgressReport(percentage=int(frac * 100)))

        loaded = await self.host.load(self.settings, progress)
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(
                message="ready" if loaded else "failed"))
        if loaded is None and not self.host.error:
            return  # replaced by a newer load (the settings changed while loading)
        if loaded is None:
            if quiet:
                log.info("model still unavailable: %s", self.host.error)
            else:
                self.show(types.MessageType.Error, f"slm-lsp: completion is disabled: "
                          f"{self.host.error}")
            return
        log.info("model ready: %s, prompt format %s", loaded.model_id, loaded.fmt.name)
        for warning in loaded.engine.load_warnings:
            log.warning("%s", warning)
            self.show(types.MessageType.Warning, f"slm-lsp: {warning}")
        if loaded.embedded and not self._hinted:
            self._hinted = True
            self.show(types.MessageType.Info, f"slm-lsp: {embedded_hint()}")

    def _text_of(self, uri: str) -> str | None:
        doc = self.documents.get(uri)
        return doc.text if doc is not None else None

    def visited(self, uri: str, language_id: str, line: int) -> None:
        """The user edits or completes at ``line`` of ``uri`` (recent places as context)."""
        self.recent.visit(uri, self.shown_path(uri), language_id, line)

    def shown_path(self, uri: str) -> str:
        """The document's name as prompts show it: relative to the workspace folder."""
        path = paths.path_of_uri(uri)
        return self.relative(path) if path else uri.rsplit("/", 1)[-1].rsplit(":", 1)[-1]

    @property
    def client_capabilities(self) -> types.ClientCapabilities:
        return self.protocol.client_capabilities

    def workspace_root(self) -> str | None:
        """The real path of the workspace folder, None without one (or for ``/`` or $HOME)."""
        try:
            root = self.workspace.root_path if self.protocol.has_workspace() else None
        except Exception:  # noqa: BLE001 - no workspace before initialize
            return None
        real = paths.workspace_root(root)
        if root and real is None and not self._root_refused:
            self._root_refused = True
            log.warning("%s is not used as a workspace folder (the file system root, the home "
                        "directory itself, or not a directory): no index, no test files", root)
        return real

    def start_index(self) -> None:
        """Index the workspace's symbols in the background (cross-file context)."""
        root = self.workspace_root()
        if root and self.index is None and self.settings.context.cross_file:
            self.index = SymbolIndex(root, self.settings)
            self.completions.index = self.index
            self.index.start()
            for doc in self.documents:
                self.index.update_document(doc)

    def relative(self, path: str) -> str:
        root = self.workspace_root()
        if root:
            for base in (self.workspace.root_path, root):
                base = (base or "").rstrip("/")
                if base and path.startswith(base + "/"):
                    return path[len(base) + 1:]
        return path.rsplit("/", 1)[-1]

    async def completion_for(self, uri: str, position: types.Position, *, invoked: bool,
                             candidates: bool = False
                             ) -> tuple[list[str], types.Range] | None:
        """The completions (best first: several when ``candidates``, else one) and the range
        they replace, or None."""
        doc = self.documents.get(uri)
        if doc is None:
            return None
        offset = doc.offset_at(position.line, position.character)
        self.visited(uri, doc.language_id, position.line)
        try:
            result = await self.completions.complete(
                doc, offset, invoked=invoked, candidates=candidates,
                path=self.shown_path(uri), request_id=self.protocol.msg_id)
        except EngineError as exc:
            self._engine_failed(str(exc))
            return None
        if self.host.loaded is None:
            self._retry_remote_load()  # a failed load was reported once, when it failed
            return None
        current = self.documents.get(uri)
        if result is None or current is None:
            return None
        self._engine_recovered()
        start = types.Position(*current.position_at(offset))
        return result.items, types.Range(start, start)

    def _engine_failed(self, message: str) -> None:
        """An engine error (a remote server down): said once, until the engine works again."""
        log.warning("completion failed: %s", message)
        if not self._engine_down:
            self._engine_down = True
            self.send_status("error", message, None)
            self.show(types.MessageType.Warning, f"slm-lsp: {message}")

    def _engine_recovered(self) -> None:
        if self._engine_down:
            self._engine_down = False
            self.send_status("ready", self.host.loaded.model_id if self.host.loaded else "", 100)
            log.info("the model answers again")

    def _retry_remote_load(self) -> None:
        """A remote backend that was down at start is tried again, at most every few seconds."""
        if self.settings.backend.type == "local" or not self.host.error:
            return
        now = time.monotonic()
        if now - self._last_retry >= REMOTE_RETRY_S:
            self._last_retry = now
            self.run_task(self.load_model(quiet=True))

