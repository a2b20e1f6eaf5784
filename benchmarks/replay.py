"""Typing replay: an editor with automatic inline completion, driven over stdio.

Pure parts (unit-tested in ``tests/harness/test_replay.py``): the keystrokes that type a span of a
real file, positions in UTF-16 units, percentiles, and the type-through rule. The rest is a
small raw JSON-RPC client (:class:`LspProcess`) that timestamps every answer where it arrives,
and :func:`replay`, which types one span as an editor does: per key a ``$/cancelRequest`` for
the previous request if it is still unanswered, an incremental ``didChange`` of one character,
then a ``textDocument/inlineCompletion`` (Automatic).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class Reply:
    """A response, stamped with ``time.perf_counter()`` when it was read."""

    at: float
    result: object = None
    error: dict | None = None


class LspProcess:
    """A language server on pipes; answers the server's own requests as a plain editor does."""

    def __init__(self, command: Sequence[str], env: dict | None = None,
                 stderr_path: Path | None = None):
        self.command = list(command)
        self.env = env
        self.stderr_path = stderr_path
        self.proc: asyncio.subprocess.Process | None = None
        self.pending: dict[int, asyncio.Future] = {}
        self.notifications: list[tuple[str, object]] = []
        self.on_notification: Callable[[str, object], None] | None = None
        self._next_id = 0
        self._tasks: list[asyncio.Task] = []

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else -1

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self.env, limit=1 << 24)
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._drain())]

    def _write(self, msg: dict) -> None:
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: object) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def send(self, method: str, params: object) -> tuple[int, asyncio.Future]:
        """Send a request; the future resolves to a :class:`Reply`."""
        self._next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[self._next_id] = fut
        self._write({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._next_id, fut

    def cancel(self, msg_id: int) -> None:
        self.notify("$/cancelRequest", {"id": msg_id})

    async def request(self, method: str, params: object, timeout: float = 60.0) -> Reply:
        _, fut = self.send(method, params)
        await self.proc.stdin.drain()
        return await asyncio.wait_for(fut, timeout)

    async def _read(self) -> None:
        reader = self.proc.stdout
        try:
            while True:
                length = 0
                while True:
                    line = await reader.readline()
                    if not line:
                        return
                    if line in (b"\r\n", b"\n"):
                        break
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                msg = json.loads(await reader.readexactly(length))
                self._dispatch(msg, time.perf_counter())
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("the server closed its output"))

    def _dispatch(self, msg: dict, at: float) -> None:
        method = msg.get("method")
        if method is None:
            fut = self.pending.pop(msg.get("id"), None)
            if fut is not None and not fut.done():
                fut.set_result(Reply(at, msg.get("result"), msg.get("error")))
        elif "id" in msg:  # a request from the server: answer as a minimal editor
            result = None
            if method == "workspace/configuration":
                result = [None] * len((msg.get("params") or {}).get("items", []))
            self._write({"jsonrpc": "2.0", "id": msg["id"], "result": result})
        else:
            self.notifications.append((method, msg.get("params")))
            del self.notifications[:-200]
            if self.on_notification:
                self.on_notification(method, msg.get("params"))

    async def _drain(self) -> None:
        sink = open(self.stderr_path, "ab") if self.stderr_path else None  # noqa: SIM115
        try:
            while chunk := await self.proc.stderr.read(65536):
                if sink:
                    sink.write(chunk)
        finally:
            if sink:
                sink.close()

    async def initialize(self, options: dict | None, wait_status: bool = True,
                         timeout: float = 300.0) -> float:
        """``initialize`` + ``initialized``; waits for ``slmLsp/status`` ready. Returns the
        seconds until the model was ready."""
        t0 = time.perf_counter()
        ready = asyncio.Event()
        state: dict = {}

        def on_status(method: str, params: object) -> None:
            if method == "slmLsp/status" and isinstance(params, dict):
                state.update(params)
                if params.get("state") in ("ready", "error"):
                    ready.set()

        self.on_notification = on_status
        caps = {"general": {"positionEncodings": ["utf-16"]},
                "textDocument": {"inlineCompletion": {}, "synchronization": {}}}
        reply = await self.request("initialize", {
            "processId": os.getpid(), "rootUri": None, "capabilities": caps,
            "initializationOptions": options, "clientInfo": {"name": "slm-lsp-bench"}},
            timeout)
        if reply.error:
            raise RuntimeError(f"initialize failed: {reply.error}")
        self.notify("initialized", {})
        if wait_status:
            await asyncio.wait_for(ready.wait(), timeout)
            if state.get("state") != "ready":
                raise RuntimeError(f"the server could not load its model: {state}")
        return time.perf_counter() - t0

    async def stop(self, timeout: float = 20.0) -> int | None:
        """shutdown + exit; kills the process if it does not leave in time."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            try:
                await self.request("shutdown", None, timeout)
                self.notify("exit", None)
                await self.proc.stdin.drain()
                await asyncio.wait_for(self.proc.wait(), timeout)
            except (asyncio.TimeoutError, ConnectionError, RuntimeError, OSError):
                if self.proc.returncode is None:
                    self.proc.kill()
                    await self.proc.wait()
        for task in self._tasks:
            task.cancel()
        return self.proc.returncode


def server_command(extra: Sequence[str] = ()) -> list[str]:
    return [sys.executable, "-m", "slm_lsp", *extra]


STATS = "slmLsp/stats"


async def server_stats(server: LspProcess, since: int = 0) -> dict | None:
    """The server's ``slmLsp/stats`` (counters and per-request records after ``since``), or
    None when the server does not offer it (see LATENCY.md for the proposed shape)."""
    try:
        reply = await server.request(STATS, {"since": since}, timeout=30)
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
    through_keys: int = 0  # keys typed while a suggestion matched the file


def _inline_text(result: object) -> str:
    items = result.get("items", []) if isinstance(result, dict) else (result or [])
    if not items:
        return ""
    insert = items[0].get("insertText", "")
    return insert if isinstance(insert, str) else insert.get("value", "")


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
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": language, "version": version, "text": opened}})
    out = ReplayResult()
    if warm:
        line, col = utf16_position(opened, start)
        _, first = server.send("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": col},
            "context": {"triggerKind": 2}})
        t0 = time.perf_counter()
        try:
            out.cold_ms = ((await asyncio.wait_for(first, answer_timeout_s)).at - t0) * 1000
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
        if reply.error:
            rec.error = reply.error.get("code", -1)
            return
        rec.stale = rec.cancel_sent is not None and reply.at > rec.cancel_sent
        rec.text = _inline_text(reply.result)
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
        msg_id, fut = server.send("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": pos,
            "context": {"triggerKind": 2}})
        rec = Record(msg_id, i, time.perf_counter(), expected=shown)
        latest.append(rec)
        out.records.append(rec)
        fut.add_done_callback(lambda f, r=rec: done(r, f))
        await server.proc.stdin.drain()
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
    return out
