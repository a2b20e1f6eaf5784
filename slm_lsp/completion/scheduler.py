"""Latest wins: a newer request pre-empts the older ones at their next token (or before they
start), and real requests pre-empt speculative work at once."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from typing import Any

from ..engine.base import Cancel
from ..engine.host import EngineHost
from .pipeline import Completion, CompletionService, Snapshot

log = logging.getLogger(__name__)


RECORDS = 2048  # per-request records kept for `slmLsp/stats`


class Scheduler:
    """Runs completions on the inference thread, newest first."""

    def __init__(self, host: EngineHost):
        self.host = host
        self._running: dict[str, Cancel] = {}
        self.records: deque[dict[str, Any]] = deque(maxlen=RECORDS)
        self._seq = 0
        self._speculation = Cancel()
        self._warming = Cancel()
        self._spec_task: asyncio.Task | None = None
        self._warm_task: asyncio.Task | None = None
        self.stats = {"requests": 0, "preempted": 0, "cancelled": 0, "cache": 0,
                      "speculated": 0, "warmed": 0}

    def _preempt(self, uri: str) -> Cancel:
        """A new request pre-empts every older one: one user, one cursor, one suggestion shown.
        (A request from another document is as stale as one from the same document.)"""
        for event in self._running.values():
            if not event.is_set():
                event.set()
                self.stats["preempted"] += 1
        self._speculation.set()
        self._warming.set()
        cancel = Cancel()
        self._running[uri] = cancel
        return cancel

    def record(self, **fields: Any) -> dict[str, Any]:
        """Keep a per-request record (see ``slmLsp/stats``)."""
        self._seq += 1
        rec = {"seq": self._seq, **fields}
        self.records.append(rec)
        return rec

    async def complete(self, service: CompletionService, snap: Snapshot, *,
                       automatic: bool, request_id: Any = None,
                       snapshot_ms: float = 0.0) -> Completion | None:
        """The completion for ``snap``; raises CancelledError when the request is cancelled."""
        self.stats["requests"] += 1
        rec = self.record(id=request_id, uri=snap.uri, version=snap.version, source="cache",
                          stopReason=None, promptTokens=0, evaluatedTokens=0, tokens=0,
                          promptMs=0.0, decodeMs=0.0, waitMs=0.0, stopMs=None,
                          snapshotMs=round(snapshot_ms, 2), buildMs=0.0, postMs=0.0)
        hit = service.cached(snap)
        if hit is not None:
            self.stats["cache"] += 1
            return Completion(hit, "cache", snap.trigger.mode)
        cancel = self._preempt(snap.uri)
        submitted = time.perf_counter()
        rec["source"] = "model"

        def job() -> Completion | None:
            # Runs on the inference thread; fills the record when the work really ends, which
            # for a cancelled request is after its handler has answered.
            started = time.perf_counter()
            result = None
            try:
                result = service.complete(snap, cancel, automatic=automatic)
                return result
            finally:
                self._fill(rec, result, cancel, started - submitted, time.perf_counter())

        result = None
        try:
            result = await self.host.run(job)
        except asyncio.CancelledError:
            cancel.set()
            self.stats["cancelled"] += 1
            raise
        finally:
            if self._running.get(snap.uri) is cancel:
                del self._running[snap.uri]
        if cancel.is_set() and result is not None and result.dropped == "cancelled":
            return None
        if result is not None and result.window == "short":
            self.warm(service, snap)
        return result

    @staticmethod
    def _fill(rec: dict[str, Any], result: Completion | None, cancel: Cancel,
              wait_s: float, ended: float) -> None:
        gen = result.generation if result is not None else None
        rec["waitMs"] = _ms(wait_s)
        if gen is not None:
            rec.update(stopReason=gen.stop_reason, promptTokens=gen.prompt_tokens,
                       evaluatedTokens=gen.evaluated_tokens, tokens=gen.tokens,
                       promptMs=round(gen.prompt_ms, 2), decodeMs=round(gen.decode_ms, 2),
                       drafted=gen.drafted, accepted=gen.accepted,
                       altTokens=sum(a.tokens for a in gen.alternatives))
        if result is not None:
            rec.update(buildMs=round(result.build_ms, 2), postMs=round(result.post_ms, 2),
                       window=result.window)
        if result is not None and result.dropped:
            rec["dropped"] = result.dropped
        if cancel.set_at is not None:
            rec["stopMs"] = _ms(max(0.0, ended - cancel.set_at))
        elif "stopMs" in rec and rec["stopMs"] is None:
            del rec["stopMs"]

    def cancel_all(self) -> None:
        """Stop whatever runs or is speculated (at shutdown)."""
        for event in self._running.values():
            event.set()
        self._speculation.set()
        self._warming.set()

    def document_changed(self, uri: str) -> None:
        """The document moved on: whatever runs for it now answers text that is gone."""
        running = self._running.get(uri)
        if running is not None:
            running.set()
        self._speculation.set()
        self._warming.set()

    def document_closed(self, uri: str) -> None:
        self.document_changed(uri)
        self._running.pop(uri, None)

    def speculate(self, service: CompletionService, snap: Snapshot, accepted: str) -> None:
        """In idle time, compute the completion that follows accepting ``accepted``."""
        if not accepted or not service.settings.completion.speculative:
            return
        text = snap.text[: snap.offset] + accepted + snap.text[snap.offset:]
        offset = snap.offset + len(accepted)
        from ..documents import Document

        doc = Document(uri=snap.uri, text=text, language_id=snap.language_id)
        nxt = Snapshot.of(doc, offset, invoked=False, path=snap.path, snippets=snap.snippets,
                          recent=snap.recent)
        self._speculation = cancel = Cancel()

        async def run() -> None:
            try:
                await self.host.run(self._speculate, service, nxt, cancel)
            except Exception:  # noqa: BLE001 - speculation is best effort
                log.debug("speculation failed", exc_info=True)

        self._spec_task = asyncio.get_running_loop().create_task(run())

    def warm(self, service: CompletionService, snap: Snapshot) -> None:
        """In idle time, evaluate the full prompt of a place that got a first answer from a
        short window. Any request pre-empts it; what it evaluated stays cached."""
        self._warming.set()
        self._warming = cancel = Cancel()

        def job() -> None:
            if cancel.is_set() or any(not e.is_set() for e in self._running.values()):
                return
            service.warm(snap, cancel)
            if not cancel.is_set():
                self.stats["warmed"] += 1

        async def run() -> None:
            try:
                await self.host.run(job)
            except Exception:  # noqa: BLE001 - warming is best effort
                log.debug("warming failed", exc_info=True)

        self._warm_task = asyncio.get_running_loop().create_task(run())

    def _speculate(self, service: CompletionService, snap: Snapshot,
                   cancel: threading.Event) -> None:
        if cancel.is_set() or any(not e.is_set() for e in self._running.values()):
            return
        result = service.complete(snap, cancel, speculative=True)
        if result is not None and result.dropped != "cancelled":
            self.stats["speculated"] += 1


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
