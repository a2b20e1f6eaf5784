"""Counters and per-request records of the completion service, for ``slmLsp/stats``
(benchmarks and diagnosis): tokens evaluated, prompt/decode/wait/handler times, and how fast a
cancel stopped the work."""

from __future__ import annotations

from collections import deque
from typing import Any

RECORDS = 2048  # per-request records kept


class CompletionStats:
    """What the completion service counts, and one record per request that reached it."""

    def __init__(self, capacity: int = RECORDS):
        self.counters = {"requests": 0, "preempted": 0, "cancelled": 0, "cache": 0,
                         "speculated": 0, "warmed": 0}
        self.records: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._seq = 0

    def count(self, name: str) -> None:
        self.counters[name] += 1

    def record(self, **fields: Any) -> dict[str, Any]:
        """A new per-request record, numbered in order (``seq``)."""
        self._seq += 1
        rec = {"seq": self._seq, **fields}
        self.records.append(rec)
        return rec

    @property
    def seq(self) -> int:
        """The number of the newest record (0 before any)."""
        return self._seq

    def since(self, seq: int) -> list[dict[str, Any]]:
        """The records newer than ``seq``."""
        return [r for r in self.records if r["seq"] > seq]
