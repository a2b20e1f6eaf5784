"""The engines' lifecycle: choose, load in the background, report status, run work on one
inference thread.

The host owns every engine it builds (``factory`` makes them): the completion engine, and the
engines other features keep beside it (the rewrite model), which it releases at shutdown after
the work on the inference thread has ended.

Requests that arrive while the model loads wait for it (bounded). A failed load disables
completion with one clear message and is retried when the settings change.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs

from ..errors import EngineError, ModelNotFound
from ..formats import PromptFormat
from ..models.registry import choose_model
from ..settings import Settings
from .base import Engine
from .factory import make_chat_engine, make_engine

log = logging.getLogger(__name__)

StatusCallback = Callable[[str, str, "int | None"], None]  # state, message, percentage


@attrs.define
class Loaded:
    engine: Engine
    fmt: PromptFormat
    model_id: str
    embedded: bool


def serves(loaded: Loaded | None, wanted: str) -> bool:
    """Whether the completion model is the model ``wanted`` (a setting naming a model beside
    it: ``actions.rewriteModel``, ``nextEdit.model``) names: the same id, or the same GGUF file
    however each setting names it (an id, a path, a link to it). A remote completion engine is
    never a local GGUF."""
    if loaded is None:
        return False
    if wanted == loaded.model_id:
        return True
    try:
        return os.path.samefile(choose_model(wanted).path, loaded.engine.info.path)
    except (ModelNotFound, OSError, ValueError):
        return False  # not a model here, or the completion model is not a file


class EngineHost:
    """Owns the engines and the single inference thread."""

    def __init__(self, status: StatusCallback, load_timeout_s: float = 120.0):
        self._status = status
        self.load_timeout_s = load_timeout_s
        self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="slm-infer")
        self.loaded: Loaded | None = None
        self.error: str = ""
        self._ready = asyncio.Event()
        self._generation = 0  # bumped on each (re)load; stale loads are discarded
        self._closed = False
        self._key: Any = None
        self._releases: list[Callable[[], None]] = []
        self._beside: list[Engine] = []  # engines kept beside the completion engine

    def load_beside(self, model: str, settings: Settings) -> Engine:
        """Build and load ``model`` (an instruct model for rewrites, a next-edit model) beside
        the completion engine, on the inference thread (the caller runs there). The host owns
        it: release it with ``close_beside``, or it is released at shutdown."""
        engine = make_chat_engine(model, settings)
        engine.load()
        self._beside.append(engine)
        return engine

    def close_beside(self, engine: Engine) -> None:
        """Release an engine ``load_beside`` made (on the inference thread, or at shutdown)."""
        if engine in self._beside:
            self._beside.remove(engine)
        engine.close()

    def on_shutdown(self, release: Callable[[], None]) -> None:
        """Call ``release`` at shutdown, once the inference thread's work has ended: for the
        models other features load on that thread (the rewrite model)."""
        self._releases.append(release)

    @staticmethod
    def _key_of(settings: Settings) -> Any:
        return (settings.model, settings.n_ctx, settings.n_threads, settings.n_batch,
                settings.kv_reuse, settings.kv_cache_mb, settings.kv_cache_type,
                attrs.astuple(settings.backend))

    def needs_reload(self, settings: Settings) -> bool:
        return self._key_of(settings) != self._key or (self.loaded is None and self.error != "")

    async def load(self, settings: Settings, progress: Callable[[float], None] | None = None
                   ) -> Loaded | None:
        """Load the engine the settings name (replacing the current one)."""
        if self._closed:
            return None  # shut down: a load that was about to start must not
        self._generation += 1
        gen = self._generation
        self._key = self._key_of(settings)
        self._ready.clear()
        self.error = ""
        old, self.loaded = self.loaded, None
        loop = asyncio.get_running_loop()
        self._status("loading", "loading model", 0)

        def work() -> Loaded:
            if old is not None:
                old.engine.close()
            engine, _, choice = make_engine(settings)

            def report(frac: float) -> None:
                pct = int(frac * 100)
                try:
                    loop.call_soon_threadsafe(self._status, "loading", "loading model", pct)
                    if progress:
                        loop.call_soon_threadsafe(progress, frac)
                except RuntimeError:
                    pass  # the event loop is gone: the server is exiting

            engine.load(report)
            model_id = choice.id if choice else engine.info.name
            # The engine may narrow the format to what the model's vocabulary has.
            return Loaded(engine, engine.fmt, model_id,
                          bool(choice and choice.embedded))

        try:
            loaded = await loop.run_in_executor(self.executor, work)
        except (ModelNotFound, EngineError, OSError, ValueError) as exc:
            if gen == self._generation:
                self.error = str(exc)
                self._status("error", self.error, None)
                self._ready.set()
            return None
        except Exception as exc:  # noqa: BLE001 - a load failure must not kill the server
            if self._closed:  # shut down under this load (the executor refuses work)
                return None
            log.exception("model load failed")
            if gen == self._generation:
                self.error = f"model load failed: {exc}"
                self._status("error", self.error, None)
                self._ready.set()
            return None
        if gen != self._generation:
            loaded.engine.close()
            return None
        self.loaded = loaded
        self._status("ready", loaded.model_id, 100)
        self._ready.set()
        return loaded

    async def wait_ready(self, timeout: float | None = None) -> Loaded | None:
        """The loaded engine, waiting (bounded) for a load in progress."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout or self.load_timeout_s)
        except asyncio.TimeoutError:
            return None
        return self.loaded

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the inference thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        """Drop the work still queued and release the engines it owns (and what ``on_shutdown``
        registered) once the work running on the inference thread has ended (freeing it under
        a running generation would crash the process). Returns at once."""
        loaded, self.loaded = self.loaded, None
        self._closed = True
        self._generation += 1
        self.executor.shutdown(wait=False, cancel_futures=True)
        closers = [loaded.engine.close] if loaded is not None else []
        closers += self._releases
        closers.append(self._close_all_beside)  # also what work still running loads

        def close() -> None:
            self.executor.shutdown(wait=True)  # the running work ends (its cancel is set)
            for release in closers:
                try:
                    release()
                except Exception:  # noqa: BLE001 - best effort at exit
                    log.debug("releasing a model failed", exc_info=True)

        threading.Thread(target=close, name="slm-close", daemon=True).start()

    def _close_all_beside(self) -> None:
        """At shutdown: the engines beside the completion one that nothing released."""
        for engine in list(self._beside):
            self.close_beside(engine)


class Beside:
    """A model that a setting names (``actions.rewriteModel``, ``nextEdit.model``), kept beside
    the completion model: loaded on first use, kept while the setting and the context it was
    loaded with stay, released when they change or when the completion model is the one named.
    Used on the inference thread only, one job at a time."""

    def __init__(self, host: EngineHost, what: str, name_of: Callable[[Settings], str]):
        self.host = host
        self.what = what  # "rewrite model": what the log calls it
        self.name_of = name_of
        self.engine: Engine | None = None
        self._key: tuple | None = None

    def key(self, settings: Settings) -> tuple:
        """What the model is loaded for: the name the setting gives and the context."""
        return (self.name_of(settings).strip(), settings.n_ctx, settings.n_threads,
                settings.n_batch)

    def get(self, settings: Settings) -> Engine:
        """The model the setting names, loaded now unless it is already (the one loaded for
        another key released first); raises when it cannot be loaded."""
        key = self.key(settings)
        if key != self._key or self.engine is None:
            self.close(quiet=True)
            started = time.perf_counter()
            self.engine = self.host.load_beside(key[0], settings)
            self._key = key
            log.info("%s %s loaded in %.1f s (prompt format %s)", self.what,
                     self.engine.info.name, time.perf_counter() - started,
                     self.engine.fmt.name)
        return self.engine

    def stale(self, settings: Settings, loaded: Loaded | None) -> bool:
        """The model kept is not the one the setting would have now: it names another, or
        none, or the completion model, or the context changed."""
        wanted = self.name_of(settings).strip()
        return not wanted or serves(loaded, wanted) or self.key(settings) != self._key

    def close(self, *, quiet: bool = False) -> None:
        """Release the model kept, if any."""
        engine, self.engine, self._key = self.engine, None, None
        if engine is not None:
            self.host.close_beside(engine)
            if not quiet:
                log.info("%s %s released", self.what, engine.info.name)
