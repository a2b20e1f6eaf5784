"""Latest wins: a newer request pre-empts the older ones at their next token (or before they
start), and real requests pre-empt idle-time work (speculation, warming) at once. One exception:
an as-you-type request at the very place (same document version and offset) where a request the
user asked for runs is no newer than it: it waits for that answer (``after_asked``) instead.

Every job runs on the engine host's single inference thread; a job gets the ``Cancel`` that a
newer request, a change of its document or the client's ``$/cancelRequest`` raises.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ..engine.base import Cancel
from ..engine.host import EngineHost
from .stats import CompletionStats

log = logging.getLogger(__name__)

T = TypeVar("T")
_SKIPPED = object()  # an idle-time job that did not start: a request came first


class Scheduler:
    """Runs completion work on the inference thread, newest first."""

    def __init__(self, host: EngineHost, stats: CompletionStats):
        self.host = host
        self.stats = stats
        self._running: dict[str, Cancel] = {}  # the request in flight, by document
        self._idle: dict[str, Cancel] = {}  # the idle-time job of each kind
        self._idle_tasks: dict[str, asyncio.Task] = {}
        # By document: the place of the request the user asked for that runs, and its end.
        self._asked: dict[str, tuple[Any, asyncio.Future]] = {}

    def _preempt(self, uri: str) -> Cancel:
        """A new request pre-empts every older one: one user, one cursor, one suggestion shown.
        (A request from another document is as stale as one from the same document.)"""
        for event in self._running.values():
            if not event.is_set():
                event.set()
                self.stats.count("preempted")
        for event in self._idle.values():
            event.set()
        cancel = Cancel()
        self._running[uri] = cancel
        return cancel

    def _busy(self) -> bool:
        return any(not event.is_set() for event in self._running.values())

    async def run(self, uri: str, job: Callable[[Cancel], T], *, asked_at: Any = None) -> T:
        """``job(cancel)`` on the inference thread, as the newest request (for ``uri``);
        ``asked_at``: the place of a request the user asked for (see ``after_asked``).

        Raises CancelledError when the request is cancelled; its ``cancel`` is then set, so the
        job stops at its next token."""
        cancel = self._preempt(uri)
        done = None
        if asked_at is not None:
            done = asyncio.get_running_loop().create_future()
            self._asked[uri] = (asked_at, done)
        try:
            return await self.host.run(job, cancel)
        except asyncio.CancelledError:
            cancel.set()
            self.stats.count("cancelled")
            raise
        finally:
            if self._running.get(uri) is cancel:
                del self._running[uri]
            if done is not None:
                # Its waiters wake after the caller has kept the answer (in the cache).
                done.set_result(None)
                if self._asked.get(uri, (None, None))[1] is done:
                    del self._asked[uri]

    async def after_asked(self, uri: str, place: Any) -> None:
        """Wait for the request the user asked for at ``place`` of ``uri``, if one runs.

        Editors send both for the same text (VS Code: Ctrl+Space while the inline request of
        the last keystroke is still due); the as-you-type one must not pre-empt the answer the
        user waits for, and finds it in the cache once it is there."""
        asked = self._asked.get(uri)
        if asked is not None and asked[0] == place:
            await asyncio.shield(asked[1])

    def when_idle(self, kind: str, job: Callable[[Cancel], T],
                  done: Callable[[T], None] | None = None) -> None:
        """``job(cancel)`` on the inference thread in idle time: skipped when a request runs or
        waits by the time it would start; any request, and the next job of the same ``kind``,
        pre-empts it. ``done`` gets its result on the event loop. Best effort: a failure is
        only logged."""
        old = self._idle.get(kind)
        if old is not None:
            old.set()
        self._idle[kind] = cancel = Cancel()

        def guarded() -> Any:
            if cancel.is_set() or self._busy():
                return _SKIPPED
            return job(cancel)

        async def run() -> None:
            try:
                result = await self.host.run(guarded)
            except Exception:  # noqa: BLE001 - idle-time work is best effort
                log.debug("%s failed", kind, exc_info=True)
                return
            if result is not _SKIPPED and done is not None:
                done(result)

        self._idle_tasks[kind] = asyncio.get_running_loop().create_task(run())

    async def in_idle(self, kind: str, job: Callable[[Cancel], T]) -> T | None:
        """``job(cancel)`` on the inference thread after the work queued there, awaited: any
        request, a change of a document and the next job of the same ``kind`` pre-empt it
        (its answer is then None: it is for text or a moment that is gone)."""
        old = self._idle.get(kind)
        if old is not None:
            old.set()
        self._idle[kind] = cancel = Cancel()
        try:
            result = await self.host.run(lambda: None if cancel.is_set() else job(cancel))
        except asyncio.CancelledError:
            cancel.set()
            raise
        finally:
            if self._idle.get(kind) is cancel:
                del self._idle[kind]
        return None if cancel.is_set() else result

    def cancel_all(self) -> None:
        """Stop whatever runs or waits for idle time (at shutdown)."""
        for event in (*self._running.values(), *self._idle.values()):
            event.set()

    def document_changed(self, uri: str) -> None:
        """The document moved on: whatever runs for it now answers text that is gone."""
        running = self._running.get(uri)
        if running is not None:
            running.set()
        for event in self._idle.values():
            event.set()

    def document_closed(self, uri: str) -> None:
        self.document_changed(uri)
        self._running.pop(uri, None)
