"""A small streaming HTTP client for the remote backends (standard library only).

What it adds to ``http.client``:

- one base URL (``http`` or ``https``, an optional path prefix), an optional bearer token read
  from the environment variable named in the settings, and messages that never show the token
  or a password in the URL;
- retries with exponential backoff, only for failures before any byte of a response arrived
  (refused, reset, unreachable): a generation request is idempotent until the server answers;
  never once a response has started;
- streams that stop at once: a watcher thread shuts the socket down when ``cancel`` is set or
  the deadline passes, so a read blocked on a slow server returns within ~10 ms;
- one idle keep-alive connection per thread of use, reused when a response was read to its end.

The stream formats (server-sent events, newline-delimited JSON) are parsed in ``remote.py``.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

from .base import EngineError

log = logging.getLogger(__name__)

_POLL_S = 0.01  # how often the stream watcher looks at the cancel event and the clock
_MAX_BODY = 16 << 20  # cap on a non-streaming body


class HttpStatusError(EngineError):
    """The server answered with an HTTP error status; ``status`` and ``detail`` say which."""

    def __init__(self, message: str, status: int, detail: str):
        super().__init__(message)
        self.status = status
        self.detail = detail


class _Unreachable(Exception):
    """A failure before any byte of the response: safe to retry."""


class HttpClient:
    """Requests to one server. Safe to share between threads: each request holds its own
    connection."""

    def __init__(
        self,
        url: str,
        *,
        api_key_env: str = "",
        timeout_ms: int = 30_000,
        retries: int = 2,
        backoff_s: float = 0.1,
    ):
        parts = urllib.parse.urlsplit(url.strip() if "://" in url else f"http://{url.strip()}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EngineError(f"backend.url must be an http(s) URL, got {_hide_password(url)!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.base_path = parts.path.rstrip("/")
        self.url = f"{self.scheme}://{parts.hostname}:{self.port}{self.base_path}"
        # Connect and each read; 0 means none (cancel and the deadline still end a request).
        self.timeout_s = timeout_ms / 1000 if timeout_ms > 0 else None
        self.retries = max(retries, 0)
        self.backoff_s = backoff_s
        self._api_key_env = api_key_env.strip()
        self._secrets: set[str] = {parts.password} if parts.password else set()
        self._basic = ""  # user:password in the URL become HTTP basic auth (a reverse proxy's)
        if parts.username:
            unquote = urllib.parse.unquote
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self._basic = base64.b64encode(pair.encode()).decode()
            self._secrets.add(self._basic)
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    # -- messages --------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with the API key, the env setting's value and any URL password hidden."""
        key = os.environ.get(self._api_key_env, "") if _is_env_name(self._api_key_env) else ""
        for secret in (*self._secrets, key.strip(), self._api_key_env):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text

    def fail(self, message: str) -> EngineError:
        return EngineError(self.redact(message))

    # -- auth ------------------------------------------------------------------------------

    def _token(self) -> str:
        if not self._api_key_env:
            return ""
        token = os.environ.get(self._api_key_env, "").strip() if _is_env_name(
            self._api_key_env) else ""
        if not token:
            # The setting's value is never echoed: users sometimes paste the key itself there.
            raise EngineError(
                "backend.apiKeyEnv must name an environment variable that holds the API key, "
                "and that variable is not set (or empty) in the language server's environment"
            )
        if token and not _HEADER_SAFE.fullmatch(token):
            raise EngineError("the API key has characters that cannot go in an HTTP header")
        return token

    def headers(self) -> dict[str, str]:
        out = {"Content-Type": "application/json", "Accept": "*/*", "User-Agent": "slm-lsp"}
        token = self._token()
        if token:
            out["Authorization"] = f"Bearer {token}"
        elif self._basic:
            out["Authorization"] = f"Basic {self._basic}"
        return out

    # -- connections -----------------------------------------------------------------------

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout_s), False

    def _release(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < 4:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _attempt(
        self, method: str, path: str, payload: bytes | None, headers: dict[str, str],
        conn: http.client.HTTPConnection, watcher: _Watcher,
    ) -> http.client.HTTPResponse:
        """One try; raises ``_Unreachable`` when no byte of a response arrived."""
        if conn.sock is None:
            try:
                conn.connect()
            except socket.gaierror as exc:
                conn.close()
                raise self.fail(f"cannot resolve the host of {self.url}: {exc.strerror}") from None
            except OSError as exc:  # refused, unreachable, connect timeout
                conn.close()
                raise _Unreachable(_describe(exc)) from None
        watcher.start()
        try:
            conn.request(method, self.base_path + path, body=payload, headers=headers)
            return conn.getresponse()
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
            conn.close()  # includes http.client.RemoteDisconnected
            raise _Unreachable(_describe(exc)) from None

    def open(
        self, method: str, path: str, body: Any = None, *,
        cancel: threading.Event | None = None, deadline: float | None = None,
        retries: int | None = None,
    ) -> Response:
        """Send a request and return the response once its status line arrived.

        Connection failures are retried (``retries`` times, backoff doubling from
        ``backoff_s``); an HTTP error status raises ``HttpStatusError``. When ``cancel`` is set
        or ``deadline`` passes first, the returned response is empty and ``interrupted``."""
        headers = self.headers()
        payload = None if body is None else json.dumps(body).encode()
        attempt, delay = 0, self.backoff_s
        retries = self.retries if retries is None else retries
        while True:
            conn, reused = self._connection()
            watcher = _Watcher(conn, cancel, deadline)
            try:
                resp = self._attempt(method, path, payload, headers, conn, watcher)
            except _Unreachable as exc:
                watcher.stop()
                if watcher.reason:
                    return Response(self, conn, None, watcher)
                if reused:  # a stale keep-alive connection: try a fresh one at once
                    continue
                if attempt >= retries or _past(deadline, delay):
                    raise self.fail(f"cannot reach the model server at {self.url}: {exc}") from None
                attempt += 1
                log.info("model server %s unreachable (%s); retry %d in %.2fs",
                         self.url, exc, attempt, delay)
                if cancel is not None and cancel.wait(delay):
                    watcher.reason = "cancelled"
                    return Response(self, conn, None, watcher)
                if cancel is None:
                    time.sleep(delay)
                delay *= 2
                continue
            except (OSError, http.client.HTTPException) as exc:
                # A read timeout, a malformed answer, or the watcher cut the socket.
                watcher.stop()
                conn.close()
                if watcher.reason:
                    return Response(self, conn, None, watcher)
                if isinstance(exc, TimeoutError):
                    raise self.fail(
                        f"the model server at {self.url} sent no answer within "
                        f"{(self.timeout_s or 0) * 1000:.0f} ms") from None
                what = type(exc).__name__ if isinstance(exc, http.client.HTTPException) \
                    else _describe(exc)
                raise self.fail(f"request to {self.url} failed: {what}") from None
            response = Response(self, conn, resp, watcher)
            if resp.status >= 400:
                response.raise_for_status(path)
            return response

    def json(self, method: str, path: str, body: Any = None, *,
             retries: int | None = None) -> Any:
        """A whole JSON answer (no streaming); ``EngineError`` if it is not JSON."""
        with self.open(method, path, body, retries=retries) as response:
            raw = response.read_all()
        try:
            return json.loads(raw)
        except ValueError:
            raise self.fail(
                f"the model server at {self.url}{path} answered with something that is not "
                f"JSON: {snippet(raw)}") from None


class Response:
    """An open response: read lines from it while it streams; closing it stops the server's
    work on it (the connection is dropped unless the body was read to its end)."""

    def __init__(self, client: HttpClient, conn: http.client.HTTPConnection,
                 resp: http.client.HTTPResponse | None, watcher: _Watcher):
        self.client, self.conn, self.resp, self.watcher = client, conn, resp, watcher
        self._complete = False

    @property
    def interrupted(self) -> str | None:
        """``"cancelled"`` or ``"time"`` when the watcher cut the connection."""
        return self.watcher.reason

    @property
    def content_type(self) -> str:
        return (self.resp.getheader("Content-Type", "") if self.resp else "").lower()

    def raise_for_status(self, path: str) -> None:
        assert self.resp is not None
        status = self.resp.status
        try:
            raw = self.resp.read(64 << 10)
        except (OSError, http.client.HTTPException):
            raw = b""
        self.close()
        detail = _error_message(raw)
        if status in (401, 403):
            what = "refused the API key" if self.client._api_key_env else "asks for an API key"
            hint = "" if self.client._api_key_env else " (set backend.apiKeyEnv)"
            message = f"the model server at {self.client.url} {what} (HTTP {status}){hint}"
        else:
            message = f"the model server at {self.client.url}{path} answered HTTP {status}"
            if detail:
                message += f": {detail}"
        raise HttpStatusError(self.client.redact(message), status, self.client.redact(detail))

    def lines(self) -> Iterator[str]:
        """The body's lines as they arrive (without line ends). Ends quietly when the watcher
        cut the stream; ``EngineError`` when the server dropped the connection mid-body."""
        if self.resp is None:
            return
        buffer = b""
        while True:
            try:
                data = self.resp.read1(65536)
            except (OSError, ValueError, http.client.HTTPException) as exc:
                if self.interrupted:
                    return
                raise self.client.fail(
                    f"the model server at {self.client.url} dropped the connection "
                    f"mid-answer ({_describe(exc)})") from None
            if not data:
                if self.interrupted:
                    return
                self._complete = True
                if buffer:
                    yield buffer.decode("utf-8", "replace").rstrip("\r")
                return
            buffer += data
            *done, buffer = buffer.split(b"\n")
            for line in done:
                yield line.decode("utf-8", "replace").rstrip("\r")

    def drain(self) -> None:
        """Read the little that is left of a finished answer, so that the connection can be
        reused; gives up (and the connection is dropped) if more does not come at once."""
        if self.resp is None or self.interrupted or self._complete:
            return
        sock = self.conn.sock
        try:
            if sock is not None:
                sock.settimeout(0.05)
            while self.resp.read1(65536):
                pass
            self._complete = True
            if sock is not None:
                sock.settimeout(self.client.timeout_s)
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def read_all(self) -> bytes:
        assert self.resp is not None
        try:
            raw = self.resp.read(_MAX_BODY)
        except (OSError, http.client.HTTPException) as exc:
            raise self.client.fail(
                f"the model server at {self.client.url} dropped the connection mid-answer "
                f"({_describe(exc)})") from None
        self._complete = self.resp.isclosed()
        return raw

    def close(self) -> None:
        self.watcher.stop()
        if self._complete and not self.interrupted and self.resp is not None \
                and not self.resp.will_close:
            self.client._release(self.conn)
        else:
            self.conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Watcher:
    """Shuts a connection's socket down when ``cancel`` is set or ``deadline`` passes."""

    def __init__(self, conn: http.client.HTTPConnection, cancel: threading.Event | None,
                 deadline: float | None):
        self.conn, self.cancel, self.deadline = conn, cancel, deadline
        self.reason: str | None = None
        self._done = False
        self._lock = threading.Lock()

    def start(self) -> None:
        if self.cancel is None and self.deadline is None:
            return
        threading.Thread(target=self._run, name="slm-lsp-http-watch", daemon=True).start()

    def _run(self) -> None:
        while not self._done:
            if self.cancel is not None:
                fired = self.cancel.wait(_POLL_S)
            else:
                time.sleep(_POLL_S)
                fired = False
            with self._lock:
                if self._done:
                    return
                if fired:
                    self.reason = "cancelled"
                elif self.deadline is not None and time.monotonic() >= self.deadline:
                    self.reason = "time"
                else:
                    continue
                sock = self.conn.sock
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return

    def stop(self) -> None:
        """After this returns the watcher never touches the socket again."""
        with self._lock:
            self._done = True


_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _is_env_name(name: str) -> bool:
    return bool(_ENV_NAME.fullmatch(name))


def _past(deadline: float | None, delay: float) -> bool:
    return deadline is not None and time.monotonic() + delay >= deadline


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, http.client.IncompleteRead):
        return "the answer was cut short"
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text


def snippet(raw: bytes | str, limit: int = 120) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = " ".join(text.split())
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def _error_message(raw: bytes) -> str:
    """The message of an error body: OpenAI/llama.cpp ``{"error": {"message"}}``, Ollama
    ``{"error": "..."}``, FastAPI ``{"detail": ...}``, or the start of the text."""
    try:
        body = json.loads(raw)
    except ValueError:
        return snippet(raw).strip("'\"") if raw.strip() else ""
    if isinstance(body, dict):
        err = body.get("error", body.get("detail"))
        if isinstance(err, dict):
            err = err.get("message", err)
        if err is not None:
            return " ".join(str(err).split())[:300]
    return snippet(raw).strip("'\"")


def _hide_password(url: str) -> str:
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)
