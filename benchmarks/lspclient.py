"""The one stdio LSP client of the benchmarks and the protocol tests.

``LspProcess`` starts a language server (``python -m slm_lsp`` by default) on pipes and talks
JSON-RPC to it as an editor does. It uses only the standard library, so the benchmarks run from
a checkout without the test extra, and the tests import it from here.

- Writing: ``send(bytes)`` writes exactly the bytes given (the frame tests and the fuzzer);
  ``send_json``, ``notify``, ``request`` and ``cancel`` frame JSON-RPC messages.
- Reading: a thread parses the server's stdout strictly. Anything that is not a well-formed
  ``Content-Length`` frame of JSON is recorded in ``stdout_errors`` (a corrupted stream is a
  defect the tests assert on). Each message is stamped with ``time.perf_counter()`` when it was
  read, so a benchmark's latency is the wall time the client saw. stderr goes to
  ``stderr_path`` or is kept in ``stderr``.
- The server's own requests (``workspace/configuration``, registrations, progress) are answered
  as a plain editor answers them; notifications are kept (the last 200) and handed to
  ``on_notification``.
- CPU: :func:`cpu_seconds` is the server process's CPU time (user + system, all its threads:
  llama.cpp's workers too) from ``/proc/<pid>/stat``. ``send_async`` reads it just before a
  request is written and the reader thread right after its response is read, so each
  ``Reply`` carries the CPU the server spent while the request was in flight (``cpu_s``).
- Two ways to wait. Synchronously (tests): ``call``, ``response``, ``wait_for``, ``drain``,
  ``initialize``, ``stop``. From asyncio (benchmarks, which keep several requests in flight):
  ``send_async`` gives a future of the ``Reply``, ``request_async``, ``initialize_async`` and
  ``stop_async`` wait for it. ``start()`` called inside a running event loop selects the
  second: replies then resolve futures, and callbacks run on that loop.

``complete`` is the editor's simplest use: open a file, ask for an inline completion at a
position, close it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
STATUS = "slmLsp/status"
STATS = "slmLsp/stats"


def server_command(extra: Sequence[str] = ()) -> list[str]:
    """How an editor starts the server."""
    return [sys.executable, "-m", "slm_lsp", *extra]


def frame(body: bytes | str | Any) -> bytes:
    """Frame a body (bytes, text, or a JSON-able value) with a correct header."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


# -- CPU time of a process, as ``/proc`` counts it ----------------------------------------------

def clock_ticks() -> int:
    """The kernel's clock ticks per second (``USER_HZ``), the unit of ``/proc/<pid>/stat``'s
    CPU times."""
    return os.sysconf("SC_CLK_TCK")


_HZ = clock_ticks() if "SC_CLK_TCK" in getattr(os, "sysconf_names", {}) else 100


def parse_proc_stat(text: str) -> tuple[int, int]:
    """(utime, stime) in clock ticks from the text of ``/proc/<pid>/stat``: the process's CPU
    time in user and kernel mode, summed over all its threads, the exited ones included.

    The second field (the command name) is in parentheses and may hold spaces and
    parentheses itself, so the fields are counted from the last ``)``; utime and stime are
    fields 14 and 15 (proc(5)).
    """
    rest = text[text.rindex(")") + 1:].split()
    return int(rest[14 - 3]), int(rest[15 - 3])


def cpu_seconds(pid: int, hz: int | None = None) -> float:
    """CPU seconds (user + system, all threads) a live process has used; NaN when it is gone
    or there is no ``/proc``. The kernel counts in nanoseconds and reports whole ticks
    (10 ms at 100 Hz), so a difference of two readings is good to one tick."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            utime, stime = parse_proc_stat(fh.read())
    except (OSError, ValueError, IndexError):
        return float("nan")
    return (utime + stime) / (hz or _HZ)


class ModelLoadError(RuntimeError):
    """The server started but could not load its model; the message is the server's."""


@dataclass
class Reply:
    """A response, stamped with ``time.perf_counter()`` when it was read, and with the
    server's CPU seconds (:func:`cpu_seconds`) when its request was sent and when it was
    read (from ``send_async``; NaN otherwise)."""

    at: float
    result: object = None
    error: dict | None = None
    cpu_sent: float = float("nan")
    cpu_at: float = float("nan")

    @property
    def cpu_s(self) -> float:
        """The server's CPU seconds while the request was in flight (all its work then,
        whatever it was for)."""
        return self.cpu_at - self.cpu_sent


class LspProcess:
    """A language server on pipes, driven as an editor does (see the module docstring)."""

    def __init__(self, command: Sequence[str] | None = None, env: dict[str, str] | None = None,
                 stderr_path: Path | None = None):
        self.command = list(command or server_command())
        # The caller's variables over this environment; this checkout's ``slm_lsp`` first.
        self.env = {**os.environ, **(env or {})}
        self.env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), self.env.get("PYTHONPATH", "")) if p)
        self.stderr_path = stderr_path
        self.proc: subprocess.Popen | None = None
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()  # sync mode only
        self.seen: list[dict[str, Any]] = []
        self.stdout_errors: list[str] = []
        self.stderr = bytearray()
        self.notifications: list[tuple[str, object]] = []
        self.on_notification: Callable[[str, object], None] | None = None
        self.pending: dict[Any, asyncio.Future] = {}
        self._cpu_sent: dict[Any, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else -1

    def cpu(self) -> float:
        """The server's CPU seconds so far (:func:`cpu_seconds`); NaN before start or after
        it left."""
        return cpu_seconds(self.proc.pid) if self.proc else float("nan")

    def start(self) -> LspProcess:
        """Spawn the server; inside a running event loop, replies resolve futures on it."""
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=REPO, env=self.env)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        return self

    # -- reading ---------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        out = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    if line == b"\r\n":
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length" and value.strip().isdigit():
                        length = int(value)
                    elif name.lower() != "content-type":
                        self.stdout_errors.append(f"unexpected header line {line[:80]!r}")
                if length is None:
                    self.stdout_errors.append("frame without Content-Length")
                    continue
                body = out.read(length)
                at = time.perf_counter()
                try:
                    message = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as exc:
                    self.stdout_errors.append(f"bad body {body[:80]!r}: {exc}")
                    continue
                self._dispatch(message, at)
        finally:
            self._in_loop(self._fail_pending)

    def _read_stderr(self) -> None:
        err = self.proc.stderr
        sink = open(self.stderr_path, "ab") if self.stderr_path else None  # noqa: SIM115
        try:
            for chunk in iter(lambda: err.read1(65536), b""):
                if sink:
                    sink.write(chunk)
                else:
                    self.stderr += chunk
        finally:
            if sink:
                sink.close()

    def _dispatch(self, message: Any, at: float) -> None:
        if not isinstance(message, dict):
            self.messages.put(message)
            return
        method = message.get("method")
        if method is not None and "id" in message:  # the server asks: answer as an editor
            self._answer(message)
        elif method is not None:
            self.notifications.append((method, message.get("params")))
            del self.notifications[:-200]
            if self.on_notification is not None:
                self._in_loop(self.on_notification, method, message.get("params"))
        if self._loop is None:
            self.messages.put(message)
        elif method is None:
            self._loop.call_soon_threadsafe(self._resolve, message, at, self.cpu())

    def _resolve(self, message: dict, at: float, cpu: float = float("nan")) -> None:
        future = self.pending.pop(message.get("id"), None)
        sent = self._cpu_sent.pop(message.get("id"), float("nan"))
        if future is not None and not future.done():
            future.set_result(Reply(at, message.get("result"), message.get("error"), sent,
                                    cpu))

    def _fail_pending(self) -> None:
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the server closed its output"))

    def _in_loop(self, fn: Callable, *args: Any) -> None:
        if self._loop is None:
            fn(*args)
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _answer(self, message: dict) -> None:
        result = None
        if message["method"] == "workspace/configuration":
            result = [None] * len((message.get("params") or {}).get("items", []))
        self.send_json({"jsonrpc": "2.0", "id": message["id"], "result": result})

    # -- waiting, synchronously ------------------------------------------------------------

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool],
                 timeout: float = 10.0) -> dict[str, Any] | None:
        """The first unseen message matching ``predicate`` (None on timeout)."""
        for i, message in enumerate(self.seen):
            if predicate(message):
                return self.seen.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                return None
            if predicate(message):
                return message
            self.seen.append(message)

    def response(self, msg_id: Any, timeout: float = 10.0) -> dict[str, Any] | None:
        """The response to request ``msg_id`` (None on timeout)."""
        return self.wait_for(
            lambda m: isinstance(m, dict) and "method" not in m and m.get("id") == msg_id
            and ("result" in m or "error" in m), timeout)

    def drain(self, quiet: float = 0.3) -> list[dict[str, Any]]:
        """Everything received until the server has been quiet for ``quiet`` seconds."""
        got = list(self.seen)
        self.seen.clear()
        while True:
            try:
                got.append(self.messages.get(timeout=quiet))
            except queue.Empty:
                return got

    def call(self, method: str, params: Any = None,
             timeout: float = 10.0) -> dict[str, Any] | None:
        """Send a request and wait for its response."""
        return self.response(self.request(method, params), timeout)

    def initialize(self, options: dict | None = None, capabilities: dict | None = None,
                   timeout: float = 60.0) -> dict[str, Any]:
        """The initialize handshake; returns the initialize response."""
        reply = self.call("initialize", _initialize_params(options, capabilities), timeout)
        assert reply is not None and "result" in reply, reply
        self.notify("initialized", {})
        return reply

    def wait_model(self, timeout: float = 600.0) -> dict | None:
        """The ``slmLsp/status`` that says the model is ready or failed (None on timeout)."""
        status = self.wait_for(lambda m: m.get("method") == STATUS and m.get("params", {}).get(
            "state") in ("ready", "error"), timeout)
        return status["params"] if status else None

    # -- writing ---------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write raw bytes to the server's stdin."""
        with self._write_lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def send_json(self, value: Any) -> None:
        """Send one correctly framed JSON value."""
        self.send(frame(value))

    def request(self, method: str, params: Any = None, msg_id: Any = None) -> Any:
        """Send a request and return its id."""
        msg_id = next(self._ids) if msg_id is None else msg_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send_json(message)
        return msg_id

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send_json(message)

    def cancel(self, msg_id: Any) -> None:
        self.notify("$/cancelRequest", {"id": msg_id})

    # -- waiting, from asyncio -------------------------------------------------------------

    def send_async(self, method: str, params: Any = None) -> tuple[int, asyncio.Future]:
        """Send a request; the future resolves to its ``Reply``."""
        msg_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[msg_id] = future
        self._cpu_sent[msg_id] = self.cpu()
        self.request(method, params, msg_id)
        return msg_id, future

    async def request_async(self, method: str, params: Any = None,
                            timeout: float = 60.0) -> Reply:
        _, future = self.send_async(method, params)
        return await asyncio.wait_for(future, timeout)

    async def initialize_async(self, options: dict | None, wait_status: bool = True,
                               timeout: float = 300.0) -> float:
        """``initialize`` + ``initialized``; waits for ``slmLsp/status`` ready. Returns the
        seconds until the model was ready."""
        t0 = time.perf_counter()
        ready = asyncio.Event()
        state: dict = {}

        def on_status(method: str, params: object) -> None:
            if method == STATUS and isinstance(params, dict):
                state.update(params)
                if params.get("state") in ("ready", "error"):
                    ready.set()

        self.on_notification = on_status
        reply = await self.request_async(
            "initialize", _initialize_params(options, None), timeout)
        if reply.error:
            raise RuntimeError(f"initialize failed: {reply.error}")
        self.notify("initialized", {})
        if wait_status:
            await asyncio.wait_for(ready.wait(), timeout)
            if state.get("state") != "ready":
                raise ModelLoadError(state.get("message") or f"no model loaded: {state}")
        return time.perf_counter() - t0

    async def stop_async(self, timeout: float = 20.0) -> int | None:
        """shutdown + exit; kills the process if it does not leave in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                await self.request_async("shutdown", None, timeout)
                self.notify("exit", None)
                await asyncio.to_thread(self.proc.wait, timeout)
            except (asyncio.TimeoutError, subprocess.TimeoutExpired, ConnectionError,
                    OSError):
                pass
        self.stop()
        return self.proc.returncode

    # -- lifetime --------------------------------------------------------------------------

    def close_stdin(self) -> None:
        """Close the server's stdin, as a vanished client would."""
        stdin = self.proc.stdin if self.proc else None
        if stdin is not None and not stdin.closed:
            try:
                with self._write_lock:
                    stdin.close()
            except BrokenPipeError:
                pass

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if the server is still running after ``timeout``."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5.0)

    def stop(self) -> None:
        """Make sure the process is gone: stdin closed, then killed if it does not leave."""
        if self.proc is None:
            return
        self.close_stdin()
        if self.wait(2.0) is None:
            self.kill()
        if self._reader is not None:
            self._reader.join(2.0)


def _initialize_params(options: dict | None, capabilities: dict | None) -> dict:
    if capabilities is None and options is None:  # the bare handshake of the protocol tests
        return {"processId": None, "rootUri": None, "capabilities": {}}
    caps = capabilities if capabilities is not None else {
        "general": {"positionEncodings": ["utf-16"]},
        "textDocument": {"inlineCompletion": {}, "synchronization": {}}}
    return {"processId": os.getpid(), "rootUri": None, "capabilities": caps,
            "initializationOptions": options, "clientInfo": {"name": "slm-lsp-bench"}}


# -- the editor's simplest use ----------------------------------------------------------------

@dataclass
class Answer:
    text: str
    latency_ms: float
    error: str = ""
    items: int = 0  # how many items the list had (candidates of an Invoked request)
    cpu_s: float = float("nan")  # the server's CPU seconds while the request was in flight


def inline_text(result: object) -> tuple[str, int]:
    """The first item's text of an inline-completion result, and how many items it had."""
    items = result.get("items") if isinstance(result, dict) else result
    if not isinstance(items, list) or not items:
        return "", 0
    insert = items[0].get("insertText", "") if isinstance(items[0], dict) else ""
    text = insert.get("value", "") if isinstance(insert, dict) else str(insert)
    return text, len(items)


def inline_params(uri: str, line: int, character: int, invoked: bool = True) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
            "context": {"triggerKind": 1 if invoked else 2}}


async def complete(server: LspProcess, uri: str, language: str, text: str, line: int,
                   character: int, version: int = 1, invoked: bool = True) -> Answer:
    """Open ``text``, ask for an inline completion (Invoked, or Automatic: as the user types)
    at (line, character), close it. Latency is the wall time of the request as the client
    sees it."""
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": language, "version": version, "text": text}})
    t0 = time.perf_counter()
    error, result, cpu = "", None, float("nan")
    try:
        reply = await server.request_async("textDocument/inlineCompletion",
                                           inline_params(uri, line, character, invoked),
                                           timeout=600)
        result, at, cpu = reply.result, reply.at, reply.cpu_s
        if reply.error:
            error = f"{reply.error.get('code')}: {reply.error.get('message')}"
    except (asyncio.TimeoutError, ConnectionError) as exc:
        error, at = f"{type(exc).__name__}: {exc}", time.perf_counter()
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    answer, items = inline_text(result)
    return Answer(answer, (at - t0) * 1000, error, items, cpu)
