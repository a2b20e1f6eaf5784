"""Counters and per-request records of the completion service, for ``slmLsp/stats``
(benchmarks and diagnosis): tokens evaluated, prompt/decode/wait/handler times, and how fast a
cancel stopped the work."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..engine.base import Cancel
    from .service import Completion

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


# The figures of a request's work that add up when it runs twice (the candidates decoded after
# the filters dropped an asked-for greedy answer): both runs are the request's cost.
_ADDED = ("evaluatedTokens", "tokens", "promptMs", "decodeMs", "drafted", "accepted",
          "altTokens", "waitMs", "buildMs", "postMs")


def work_done(rec: dict[str, Any], result: Completion | None, cancel: Cancel, wait_s: float,
              ended: float) -> None:
    """What the work of a request cost, into its record: filled on the inference thread when
    the work really ends, which for a cancelled request is after its handler has answered. A
    second run for the same record adds its costs to the first's (``runs`` counts them)."""
    gen = result.generation if result is not None else None
    work: dict[str, Any] = {"waitMs": _ms(wait_s)}
    if gen is not None:
        work.update(stopReason=gen.stop_reason, promptTokens=gen.prompt_tokens,
                    evaluatedTokens=gen.evaluated_tokens, tokens=gen.tokens,
                    promptMs=round(gen.prompt_ms, 2), decodeMs=round(gen.decode_ms, 2),
                    drafted=gen.drafted, accepted=gen.accepted,
                    altTokens=sum(a.tokens for a in gen.alternatives))
    if result is not None:
        work.update(buildMs=round(result.build_ms, 2), postMs=round(result.post_ms, 2),
                    window=result.window)
    runs = rec.get("runs", 0)
    if not runs and gen is not None:
        # The first run alone (the greedy answer), for telling its cost from the candidates'.
        work.update(firstRunMs=round(gen.prompt_ms + gen.decode_ms, 2),
                    firstEvaluatedTokens=gen.evaluated_tokens, firstTokens=gen.tokens)
    if runs:
        for key in _ADDED:
            if key in work:
                work[key] = round(work[key] + (rec.get(key) or 0), 2)
        work["promptTokens"] = max(work.get("promptTokens", 0), rec.get("promptTokens") or 0)
    rec.update(work, runs=runs + 1)
    if result is not None and result.dropped:
        rec["dropped"] = result.dropped
    else:
        rec.pop("dropped", None)
    if cancel.set_at is not None:
        rec["stopMs"] = _ms(max(0.0, ended - cancel.set_at))
    elif "stopMs" in rec and rec["stopMs"] is None:
        del rec["stopMs"]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
