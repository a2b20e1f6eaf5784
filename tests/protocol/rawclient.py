"""A tiny framing client that talks raw bytes to a language server subprocess.

It sends exactly the bytes it is given, and parses the server's stdout strictly:
anything on stdout that is not a well-formed ``Content-Length`` frame of JSON is
recorded in :attr:`RawClient.stdout_errors`, so tests can assert the output
stream was never corrupted.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ECHO_SERVER = [sys.executable, str(Path(__file__).with_name("echo_server.py"))]
REAL_SERVER = [sys.executable, "-m", "slm_lsp"]


SERVERS = [
    pytest.param(ECHO_SERVER, id="echo"),
    pytest.param(REAL_SERVER, id="slm_lsp"),
]


def frame(body: bytes | str | Any) -> bytes:
    """Frame a body (bytes, text, or a JSON-able value) with a correct header."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawClient:
    """A language server subprocess driven over raw stdin/stdout bytes."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), full_env.get("PYTHONPATH", "")) if p
        )
        full_env.update(env or {})
        self.argv = argv
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env=full_env,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.stdout_errors: list[str] = []
        self.stderr = bytearray()
        self._ids = itertools.count(1)
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # ---- reading --------------------------------------------------------

    def _read_stdout(self) -> None:
        out = self.proc.stdout
        assert out is not None
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
            try:
                self.messages.put(json.loads(body.decode("utf-8")))
            except (UnicodeDecodeError, ValueError) as exc:
                self.stdout_errors.append(f"bad body {body[:80]!r}: {exc}")

    def _read_stderr(self) -> None:
        err = self.proc.stderr
        assert err is not None
        for chunk in iter(lambda: err.read1(65536), b""):
            self.stderr += chunk

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any] | None:
        """Return the first unseen message matching ``predicate`` (None on timeout)."""
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
            lambda m: (
                "method" not in m and m.get("id") == msg_id and ("result" in m or "error" in m)
            ),
            timeout,
        )

    def drain(self, quiet: float = 0.3) -> list[dict[str, Any]]:
        """Everything received until the server has been quiet for ``quiet`` seconds."""
        got = list(self.seen)
        self.seen.clear()
        while True:
            try:
                got.append(self.messages.get(timeout=quiet))
            except queue.Empty:
                return got

    # ---- writing --------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write raw bytes to the server's stdin."""
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(data)
        stdin.flush()

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

    def call(self, method: str, params: Any = None, timeout: float = 10.0) -> dict[str, Any] | None:
        """Send a request and wait for its response."""
        return self.response(self.request(method, params), timeout)

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send_json(message)

    def initialize(self) -> dict[str, Any]:
        """Run the initialize handshake and return the initialize response."""
        reply = self.call(
            "initialize",
            {"processId": None, "rootUri": None, "capabilities": {}},
            timeout=60.0,
        )
        assert reply is not None and "result" in reply, reply
        self.notify("initialized", {})
        return reply

    # ---- lifetime -------------------------------------------------------

    def close_stdin(self) -> None:
        """Close the server's stdin, as a vanished client would."""
        stdin = self.proc.stdin
        if stdin is not None and not stdin.closed:
            try:
                stdin.close()
            except BrokenPipeError:
                pass

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if the server is still running after ``timeout``."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """Make sure the process is gone."""
        self.close_stdin()
        if self.wait(2.0) is None:
            self.proc.kill()
            self.proc.wait(5.0)
