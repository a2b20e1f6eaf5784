"""The HTTP client of the remote backends, on httpx.

httpx does the HTTP: connections and keep-alive, chunked streaming, timeouts, TLS (with the
system's certificate store, as the standard library would). What this module adds:

- one base URL (``http`` or ``https``, an optional path prefix), an optional bearer token read
  from the environment variable named in the settings (or HTTP basic auth from
  ``user:password@`` in the URL), and messages that never show the token or a password;
- retries with exponential backoff, only for failures before the server answered anything
  (refused, reset, unreachable): a generation request is idempotent until the server answers;
  never once a response has started;
- streams that stop at once. Setting the stream's ``cancel`` (an ``engine.base.Cancel``) shuts
  its socket down from the cancelling thread, so a read blocked on a slow server returns at
  once and the server sees the hang-up (closing a response alone does not wake a read blocked
  in another thread); it is also checked between chunks. A ``deadline`` bounds every read
  through the read timeout;
- one-line ``EngineError`` messages naming the URL: server down, HTTP error status, an answer
  that is not HTTP or not JSON, no answer in time, a connection dropped mid-answer.

Only the configured server is ever contacted: no proxy or ``.netrc`` from the environment, no
redirects. The stream formats (server-sent events, newline-delimited JSON) are parsed in
``remote.py``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ..errors import EngineError
from .base import Cancel

log = logging.getLogger(__name__)

_MAX_BODY = 16 << 20  # cap on a non-streaming body
_MAX_ERROR_BODY = 64 << 10


class HttpStatusError(EngineError):
    """The server answered with an HTTP error status; ``status`` and ``detail`` say which."""

    def __init__(self, message: str, status: int, detail: str):
        super().__init__(message)
        self.status = status
        self.detail = detail


class _Unreachable(Exception):
    """A failure before the server answered anything: safe to retry."""


class HttpClient:
    """Requests to one server. Safe to share between threads; streams (generations) go one at a
    time over their own keep-alive connection, so that a cancel knows which socket to cut."""

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
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self.origin = f"{parts.scheme}://{host}:{parts.port or _DEFAULT_PORTS[parts.scheme]}"
        self.base_path = parts.path.rstrip("/")
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
        # The system's certificates, as the standard library uses (httpx alone would use
        # certifi's); a plain-HTTP client never does TLS, so it loads none.
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context() if parts.scheme == "https" else False)
        options = {"verify": verify, "trust_env": False, "follow_redirects": False}
        self._calls = httpx.Client(limits=httpx.Limits(max_keepalive_connections=4), **options)
        self._streams = httpx.Client(
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1), **options)
        self._stream_lock = threading.Lock()  # held from sending a stream until it is closed
        self._stream_socket: socket.socket | None = None  # the streams' one connection's
        self._stream_guard: _Guard | None = None  # the open stream's

    @property
    def url(self) -> str:
        """The server's base URL, without credentials."""
        return self.origin + self.base_path

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
        if not _HEADER_SAFE.fullmatch(token):
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

    def close(self) -> None:
        self._calls.close()
        self._streams.close()

    # -- requests --------------------------------------------------------------------------

    def json(self, method: str, path: str, body: Any = None, *,
             retries: int | None = None) -> Any:
        """A whole JSON answer (no streaming); ``EngineError`` if it is not JSON."""
        with Response(self, self._send(self._calls, method, path, body,
                                       retries=retries)) as opened:
            if opened.status >= 400:
                opened.raise_for_status(path)
            raw = opened.read_all()
        try:
            return json.loads(raw)
        except ValueError:
            raise self.fail(
                f"the model server at {self.url}{path} answered with something that is not "
                f"JSON: {snippet(raw)}") from None

    def stream(self, method: str, path: str, body: Any, *, cancel: Cancel,
               deadline: float | None = None) -> Response:
        """Send a request and return its response, open for streaming, once the status line
        arrived. An HTTP error status raises ``HttpStatusError``. When ``cancel`` is set or
        ``deadline`` passes first, the response is empty and ``interrupted`` says why. Close
        the response (``with``) before the next stream: they go one at a time."""
        self._stream_lock.acquire()
        already = cancel.is_set()
        guard = _Guard(self, cancel)
        self._stream_guard = guard
        try:
            if already:
                return Response(self, None, guard, deadline)
            response = self._send(self._streams, method, path, body, cancel=cancel,
                                  deadline=deadline, guard=guard)
            opened = Response(self, response, guard, deadline)
            if opened.status >= 400:
                opened.raise_for_status(path)
            return opened
        except BaseException:
            guard.release()
            raise

    def _send(self, client: httpx.Client, method: str, path: str, body: Any, *,
              cancel: Cancel | None = None, deadline: float | None = None,
              guard: _Guard | None = None, retries: int | None = None) -> httpx.Response | None:
        """The response once its status line arrived (None when interrupted); connection
        failures retried ``retries`` times, the backoff doubling from ``backoff_s``."""
        payload = None if body is None else json.dumps(body).encode()
        headers = self.headers()
        extensions = {"trace": self._trace} if guard is not None else {}
        attempt, delay = 0, self.backoff_s
        retries = self.retries if retries is None else retries
        while True:
            request = client.build_request(
                method, self.url + path, content=payload, headers=headers,
                timeout=_timeout(self.timeout_s, deadline), extensions=extensions)
            try:
                return client.send(request, stream=True)
            except httpx.TransportError as exc:
                if guard is not None and guard.interrupted(deadline):
                    return None
                error = self._error(exc)
                if not isinstance(error, _Unreachable):
                    raise error from None
                if attempt >= retries or _past(deadline, delay):
                    raise self.fail(
                        f"cannot reach the model server at {self.url}: {error}") from None
                attempt += 1
                log.info("model server %s unreachable (%s); retry %d in %.2fs",
                         self.url, error, attempt, delay)
                if cancel is not None:
                    if cancel.wait(delay):
                        if guard is not None:
                            guard.reason = "cancelled"
                        return None
                else:
                    time.sleep(delay)
                delay *= 2

    def _error(self, exc: httpx.TransportError) -> Exception:
        """What a failure before the status line means: ``_Unreachable`` to retry, else the
        ``EngineError`` to raise."""
        cause = _root_cause(exc)
        if isinstance(cause, socket.gaierror):
            return self.fail(f"cannot resolve the host of {self.url}: {cause.strerror}")
        if isinstance(exc, httpx.ConnectTimeout):
            return _Unreachable("timed out")
        if isinstance(exc, (httpx.ConnectError, httpx.ReadError, httpx.WriteError)):
            return _Unreachable(_describe(cause))
        if isinstance(exc, httpx.RemoteProtocolError):
            if "without sending" in str(exc):  # "Server disconnected without sending a response"
                return _Unreachable("the server closed the connection without answering")
            return self.fail(f"request to {self.url} failed: the answer is not HTTP ({exc})")
        if isinstance(exc, httpx.TimeoutException):
            return self.fail(f"the model server at {self.url} sent no answer within "
                             f"{(self.timeout_s or 0) * 1000:.0f} ms")
        return self.fail(f"request to {self.url} failed: {type(exc).__name__}: "
                         f"{_describe(cause)}")

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's trace hook for streams: remember the socket of each new connection (the
        streams' client has one at a time), and cut it at once if the stream already was."""
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        stream = info.get("return_value")
        self._stream_socket = stream.get_extra_info("socket") if stream is not None else None
        guard = self._stream_guard
        if guard is not None and guard.reason:
            guard.cut()


class _Guard:
    """Cuts the open stream's connection when its ``Cancel`` is set (from the setting thread),
    and remembers why a stream ended early."""

    def __init__(self, client: HttpClient, cancel: Cancel):
        self.client = client
        self.reason: str | None = None
        self._lock = threading.Lock()
        self._done = False
        self._unwatch: Callable[[], None] | None = None
        if cancel.is_set():
            self.reason = "cancelled"
        else:
            self._unwatch = cancel.watch(self._cancelled)

    def _cancelled(self) -> None:
        self.reason = "cancelled"
        self.cut()

    def cut(self) -> None:
        with self._lock:
            sock = None if self._done else self.client._stream_socket
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def interrupted(self, deadline: float | None) -> bool:
        """Whether a failure is this stream's cancel or deadline at work (and note which)."""
        if self.reason is None and deadline is not None and time.monotonic() >= deadline:
            self.reason = "time"
        return self.reason is not None

    def release(self) -> None:
        """After this the guard never touches a socket again; the next stream may start."""
        with self._lock:
            if self._done:
                return
            self._done = True
        if self._unwatch is not None:
            self._unwatch()
        self.client._stream_guard = None
        self.client._stream_lock.release()


class Response:
    """An open response: read lines from it while it streams; closing it drops the connection
    unless the body was read to its end, which stops the server's work on it."""

    def __init__(self, client: HttpClient, response: httpx.Response | None,
                 guard: _Guard | None = None, deadline: float | None = None):
        self.client, self.response, self.guard = client, response, guard
        self.deadline = deadline  # a read timing out after it is the deadline, not an error
        self._lines: Iterator[str] | None = None

    @property
    def status(self) -> int:
        return self.response.status_code if self.response is not None else 0

    @property
    def interrupted(self) -> str | None:
        """``"cancelled"`` or ``"time"`` when the stream was cut."""
        return self.guard.reason if self.guard is not None else None

    @property
    def content_type(self) -> str:
        return self.response.headers.get("Content-Type", "").lower() if self.response else ""

    def raise_for_status(self, path: str) -> None:
        assert self.response is not None
        status = self.response.status_code
        raw = b""
        try:
            for data in self.response.iter_bytes():
                raw += data
                if len(raw) >= _MAX_ERROR_BODY:
                    break
        except httpx.HTTPError:
            pass
        self.close()
        detail = _error_message(raw[:_MAX_ERROR_BODY])
        if status in (401, 403):
            keyed = bool(self.client._api_key_env)
            what = "refused the API key" if keyed else "asks for an API key"
            hint = "" if keyed else " (set backend.apiKeyEnv)"
            message = f"the model server at {self.client.url} {what} (HTTP {status}){hint}"
        else:
            message = f"the model server at {self.client.url}{path} answered HTTP {status}"
            if detail:
                message += f": {detail}"
        raise HttpStatusError(self.client.redact(message), status, self.client.redact(detail))

    def lines(self) -> Iterator[str]:
        """The body's lines as they arrive (without line ends). Ends quietly when the stream was
        cut (cancel, or ``deadline`` passed); ``EngineError`` when the server dropped the
        connection mid-body."""
        if self.response is None:
            return
        self._lines = self.response.iter_lines()
        try:
            yield from self._lines
        except httpx.TransportError as exc:
            if self.guard is not None and self.guard.interrupted(self.deadline):
                return
            if isinstance(exc, httpx.TimeoutException):
                raise self.client.fail(
                    f"the model server at {self.client.url} stopped answering for "
                    f"{(self.client.timeout_s or 0) * 1000:.0f} ms") from None
            raise self.client.fail(
                f"the model server at {self.client.url} dropped the connection mid-answer "
                f"({_describe(_root_cause(exc))})") from None

    def drain(self) -> None:
        """Read what is left of a finished answer (its end), so that the connection is kept."""
        if self.response is None or self.interrupted:
            return
        try:
            for _ in self._lines if self._lines is not None else self.response.iter_raw():
                pass
        except httpx.HTTPError:
            pass

    def read_all(self) -> bytes:
        assert self.response is not None
        raw = b""
        try:
            for data in self.response.iter_bytes():
                raw += data
                if len(raw) > _MAX_BODY:
                    raise self.client.fail(
                        f"the model server at {self.client.url} sent more than "
                        f"{_MAX_BODY >> 20} MB")
        except httpx.TransportError as exc:
            raise self.client.fail(
                f"the model server at {self.client.url} dropped the connection mid-answer "
                f"({_describe(_root_cause(exc))})") from None
        return raw

    def close(self) -> None:
        try:
            if self.response is not None:
                self.response.close()
        finally:
            if self.guard is not None:
                self.guard.release()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_DEFAULT_PORTS = {"http": 80, "https": 443}
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _timeout(timeout_s: float | None, deadline: float | None) -> httpx.Timeout:
    """The configured timeout, shortened to what is left before ``deadline``."""
    if deadline is not None:
        left = max(deadline - time.monotonic(), 0.001)
        timeout_s = left if timeout_s is None else min(timeout_s, left)
    return httpx.Timeout(timeout_s)


def _is_env_name(name: str) -> bool:
    return bool(_ENV_NAME.fullmatch(name))


def _past(deadline: float | None, delay: float) -> bool:
    return deadline is not None and time.monotonic() + delay >= deadline


def _root_cause(exc: BaseException) -> BaseException:
    """The OS error under httpx's and httpcore's wrappers, else ``exc``."""
    seen = exc
    while seen.__cause__ is not None or seen.__context__ is not None:
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
        if isinstance(seen, OSError):
            return seen
    return exc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, httpx.RemoteProtocolError) and "incomplete" in str(exc):
        return "the answer was cut short"
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
