"""Typing replay: an editor with automatic inline completion, driven over stdio.

Pure parts (unit-tested in ``tests/harness/test_replay.py``): the keystrokes that type a span of a
real file, positions in UTF-16 units, percentiles, the type-through rule, and the CPU figures of
a run (:func:`cpu_figures`). The rest drives
the server through ``lspclient.LspProcess`` (which timestamps every answer where it arrives):
:func:`replay`, which types one span as an editor does: per key a ``$/cancelRequest`` for
the previous request if it is still unanswered, an incremental ``didChange`` of one character,
then a ``textDocument/inlineCompletion`` (Automatic).
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.lspclient import (  # noqa: E402
    LspProcess,
    inline_text,
)

CORPUS = Path(__file__).with_name("corpus_typing")
LANGUAGES = {".py": "python", ".js": "javascript", ".ts": "typescript"}
REQUEST_CANCELLED = -32800
METHOD_NOT_FOUND = -32601


# -- pure parts ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Keystroke:
    """One typed character: where it goes (before insertion) and the document version after."""

    offset: int  # code-point offset in the document before this key
    line: int
    character: int  # UTF-16 units
    char: str
    version: int


def utf16_position(text: str, offset: int) -> tuple[int, int]:
    """(line, UTF-16 column) of a code-point offset in ``text``."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    col = len(text[start:offset].encode("utf-16-le")) // 2
    return line, col


def span_end(text: str, start: int, count: int) -> int:
    """Where a typed span of about ``count`` characters from ``start`` ends: at the end of a
    line (before its line break), so the cursor never has code to its right while typing."""
    end = min(len(text), start + max(count, 1))
    if end < len(text) and text[end - 1] != "\n":
        nl = text.find("\n", end)
        end = len(text) if nl == -1 else nl
    elif text[end - 1:end] == "\n":
        end -= 1
    return max(end, start)


def typing_document(text: str, start: int, count: int) -> tuple[str, str]:
    """(the text to open, the text the user will type): the span from ``start`` to the end of
    the line reached after ``count`` characters is cut out (its final line break stays)."""
    end = span_end(text, start, count)
    return text[:start] + text[end:], text[start:end]


def keystrokes(text: str, start: int, count: int, first_version: int = 2) -> list[Keystroke]:
    """The keys that type ``text[start:start+count]`` back into the opened document."""
    opened, typed = typing_document(text, start, count)
    doc = opened
    keys = []
    for i, ch in enumerate(typed):
        offset = start + i
        line, col = utf16_position(doc, offset)
        keys.append(Keystroke(offset, line, col, ch, first_version + i))
        doc = doc[:offset] + ch + doc[offset:]
    return keys


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def type_through(shown: str, typed: str) -> str:
    """What is left of a shown suggestion after the user typed ``typed`` (\"\" when it broke)."""
    if shown and typed and shown.startswith(typed) and len(typed) < len(shown):
        return shown[len(typed):]
    return ""


def matching_prefix(suggestion: str, upcoming: str) -> int:
    """How many characters of ``suggestion`` the file really continues with."""
    n = 0
    for a, b in zip(suggestion, upcoming, strict=False):
        if a != b:
            break
        n += 1
    return n


def start_offset(text: str, count_tokens: Callable[[str], int], budget: int) -> int:
    """The first line start whose preceding text is at least ``budget`` tokens (so a prefix
    window of that budget is full), or the last line start when the file is too short."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    starts = [s for s in starts if s < len(text)] or [0]
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if count_tokens(text[:starts[mid]]) >= budget:
            hi = mid
        else:
            lo = mid + 1
    return starts[lo]


def cpu_figures(per_request: Sequence[float], total_s: float, accepted: int) -> dict:
    """The server's CPU seconds of a run: per request (p50 and mean of the CPU it spent while
    each request was in flight), their sum, the rest of the run's ``total_s`` (work between
    requests: speculation, background windows, cancelled requests, notifications), and the
    total per accepted character (NaN when none was accepted). Unmeasured requests (NaN) are
    left out."""
    xs = [x for x in per_request if x == x]
    in_requests = sum(xs)
    return {
        "cpu_p50_s": percentile(xs, 50),
        "cpu_mean_s": in_requests / len(xs) if xs else math.nan,
        "cpu_requests_s": in_requests,
        "cpu_total_s": total_s,
        "cpu_between_s": total_s - in_requests,
        "accepted_chars": accepted,
        "cpu_per_char_s": total_s / accepted if accepted > 0 else math.nan,
    }


def load_average() -> tuple[float, float, float]:
    """The machine's 1, 5 and 15 minute load averages (NaN where the OS has none): absolute
    times and CPU seconds are only read beside them on a shared machine."""
    try:
        return os.getloadavg()
    except (AttributeError, OSError):
        return (math.nan, math.nan, math.nan)


def fmt_s(x: float, digits: int = 3) -> str:
    """Seconds, or n/a for NaN."""
    return "n/a" if x is None or x != x else f"{x:.{digits}f}"


def fmt_ms(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0f}"


def corpus_files(paths: Sequence[str] = ()) -> list[Path]:
    """The files to replay: the given ones, else every source file of ``corpus_typing/``."""
    if paths:
        return [Path(p) for p in paths]
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in LANGUAGES)


# -- the process -----------------------------------------------------------------------------
def proc_status(pid: int) -> dict[str, float]:
    """RSS and peak RSS (MB), threads and open fds of a live process, from /proc."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) / 1024
                elif key == "Threads":
                    out[key] = int(value)
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, ValueError):
        pass
    return out


STATS = "slmLsp/stats"


async def server_stats(server: LspProcess, since: int = 0) -> dict | None:
    """The server's ``slmLsp/stats`` (counters and per-request records after ``since``), or
    None when the server does not offer it (see LATENCY.md for the proposed shape)."""
    try:
        reply = await server.request_async(STATS, {"since": since}, timeout=30)
    except (asyncio.TimeoutError, ConnectionError):
        return None
    if reply.error or not isinstance(reply.result, dict):
        return None
    return reply.result


# -- one typed span ---------------------------------------------------------------------------
@dataclass
class Record:
    """One inline-completion request of a replay."""

    id: int
    key: int  # index of the keystroke
    sent: float
    expected: str = ""  # what was left of the shown suggestion when the request went out
    reply_at: float | None = None
    text: str = ""
    error: int | None = None  # JSON-RPC error code
    cancel_sent: float | None = None
    stale: bool = False  # answered after its cancel was sent (an editor drops it)
    cpu_s: float = math.nan  # the server's CPU seconds while the request was in flight

    @property
    def answered(self) -> bool:
        return self.reply_at is not None and self.error is None and not self.stale

    @property
    def latency_ms(self) -> float:
        return (self.reply_at - self.sent) * 1000

    @property
    def stop_ms(self) -> float | None:
        """From ``$/cancelRequest`` to the response (how fast the server stops decoding)."""
        if self.cancel_sent is None or self.reply_at is None:
            return None
        return (self.reply_at - self.cancel_sent) * 1000

    @property
    def through(self) -> bool:
        """The answer is the rest of the suggestion the user was typing through."""
        return self.answered and bool(self.expected) and self.text == self.expected


@dataclass
class ReplayResult:
    records: list[Record] = field(default_factory=list)
    seconds: float = 0.0
    cold_ms: float = math.nan  # the first request on the freshly opened document
    cold_cpu_s: float = math.nan  # the server's CPU seconds for it
    through_keys: int = 0  # keys typed while a suggestion matched the file: accepted chars
    cpu_s: float = math.nan  # the server's CPU seconds from didOpen to didClose, all of it


async def replay(server: LspProcess, uri: str, language: str, text: str, start: int,
                 count: int, *, interval_s: float = 0.08, line_pause_s: float = 0.0,
                 answer_timeout_s: float = 60.0, version: int = 1, warm: bool = True,
                 close: bool = True) -> ReplayResult:
    """Type ``text[start:start+count]`` into an open document, asking at every key.

    ``interval_s`` 0 types the next key as soon as the answer came (no cancellations);
    ``line_pause_s`` is added after each line break. ``warm`` first asks once at the start and
    waits for the answer (the cold prompt, reported as ``cold_ms``), as when a file is opened.
    """
    opened, typed = typing_document(text, start, count)
    cpu_begin = server.cpu()
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": language, "version": version, "text": opened}})
    out = ReplayResult()
    if warm:
        line, col = utf16_position(opened, start)
        _, first = server.send_async("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": col},
            "context": {"triggerKind": 2}})
        t0 = time.perf_counter()
        try:
            cold = await asyncio.wait_for(first, answer_timeout_s)
            out.cold_ms, out.cold_cpu_s = (cold.at - t0) * 1000, cold.cpu_s
        except asyncio.TimeoutError:
            pass
    shown = ""
    latest: list[Record] = []
    t_begin = time.perf_counter()

    def done(rec: Record, fut: asyncio.Future) -> None:
        nonlocal shown
        if fut.cancelled() or fut.exception() is not None:
            rec.error = -1
            return
        reply = fut.result()
        rec.reply_at = reply.at
        rec.cpu_s = reply.cpu_s
        if reply.error:
            rec.error = reply.error.get("code", -1)
            return
        rec.stale = rec.cancel_sent is not None and reply.at > rec.cancel_sent
        rec.text = inline_text(reply.result)[0]
        if latest and latest[-1] is rec and rec.text:
            shown = rec.text

    fut = None
    for i, key in enumerate(keystrokes(text, start, count, version + 1)):
        t_key = time.perf_counter()
        prev = latest[-1] if latest else None
        if prev is not None and not fut.done():
            server.cancel(prev.id)
            prev.cancel_sent = time.perf_counter()
        server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": key.version},
            "contentChanges": [{"range": {
                "start": {"line": key.line, "character": key.character},
                "end": {"line": key.line, "character": key.character}}, "text": key.char}]})
        upcoming = typed[i:]
        if shown and matching_prefix(shown, upcoming) > 0:
            out.through_keys += 1
        shown = type_through(shown, key.char)
        pos = {"line": key.line, "character": key.character + len(key.char.encode(
            "utf-16-le")) // 2} if key.char != "\n" else {"line": key.line + 1, "character": 0}
        msg_id, fut = server.send_async("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": pos,
            "context": {"triggerKind": 2}})
        rec = Record(msg_id, i, time.perf_counter(), expected=shown)
        latest.append(rec)
        out.records.append(rec)
        fut.add_done_callback(lambda f, r=rec: done(r, f))
        if interval_s <= 0:
            try:
                await asyncio.wait_for(asyncio.shield(fut), answer_timeout_s)
            except asyncio.TimeoutError:
                pass
        else:
            pause = interval_s + (line_pause_s if key.char == "\n" else 0.0)
            await asyncio.sleep(max(0.0, t_key + pause - time.perf_counter()))
    if fut is not None:  # the last answer, as a user who stops typing sees it
        try:
            await asyncio.wait_for(asyncio.shield(fut), answer_timeout_s)
        except (asyncio.TimeoutError, ConnectionError):
            pass
    pending = [f for f in server.pending.values() if not f.done()]
    if pending:
        await asyncio.wait(pending, timeout=answer_timeout_s)
    out.seconds = time.perf_counter() - t_begin
    if close:
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    out.cpu_s = server.cpu() - cpu_begin
    return out
