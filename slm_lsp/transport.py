"""A stdio transport for the language server that never loses sync for good.

Two parts:

* :class:`FrameParser` is a pure, sans-IO parser of ``Content-Length`` framed
  messages. It is lenient where editors are sloppy (header case, spacing, bare
  ``\\n`` line ends, stray blank lines) and recovers from everything else: an
  unexpected header line, a missing, invalid or oversized ``Content-Length``,
  binary garbage, or a ``Content-Length`` larger than the body that was actually
  sent (noticed as soon as the next header arrives). Recovery means skipping to
  the next ``Content-Length:`` header and reporting one :class:`FrameError`.
* :func:`serve_stdio` runs a :class:`~slm_lsp.protocol.SlmProtocol` server over
  stdin/stdout with that parser. It reads stdin on a daemon thread, guards the
  protocol stream against stray writes to stdout, stops on end of input, on
  ``exit`` and on SIGTERM/SIGINT, and returns the process exit code.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import re
import signal
import sys
import threading
import time
import typing
from dataclasses import dataclass

if typing.TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO

    from pygls.lsp.server import LanguageServer

logger = logging.getLogger(__name__)

#: Largest body we accept; a bigger ``Content-Length`` is treated as garbage.
MAX_CONTENT_LENGTH = 64 * 1024 * 1024
#: Longest header line we wait for before calling it garbage.
MAX_HEADER_LINE = 8 * 1024
#: Seconds we give worker threads to finish once the connection is over.
EXIT_GRACE = 0.5
#: Seconds after SIGTERM/SIGINT before the process ends even if the event loop is stuck.
SIGNAL_GRACE = 0.8

_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\S*)[ \t]*", re.IGNORECASE)
_OTHER_HEADER = re.compile(rb"[A-Za-z][A-Za-z0-9-]{0,63}[ \t]*:[^\x00-\x08\x0e-\x1f]*")
_RESYNC = re.compile(rb"content-length[ \t]{0,8}:", re.IGNORECASE)
# A complete header line inside a body means the body was shorter than announced:
# valid JSON can never contain it (raw line breaks are not allowed in JSON strings).
_EMBEDDED_HEADER = re.compile(rb"content-length[ \t]{0,8}:[ \t]*\d+[ \t]*\r?\n", re.IGNORECASE)
_RESYNC_TAIL = 32
_EMBEDDED_WINDOW = 48


@dataclass(frozen=True)
class Frame:
    """One message body, cut out of the stream by its ``Content-Length``."""

    body: bytes


@dataclass(frozen=True)
class FrameError:
    """The stream was not well framed here; ``reason`` says how."""

    reason: str


_AGAIN = object()


class FrameParser:
    """Cut a byte stream into :class:`Frame` bodies and :class:`FrameError` reports."""

    def __init__(
        self,
        max_content_length: int = MAX_CONTENT_LENGTH,
        max_header_line: int = MAX_HEADER_LINE,
    ) -> None:
        self._buf = bytearray()
        self._max_length = max_content_length
        self._max_line = max_header_line
        self._length: int | None = None
        self._headers_seen = False
        self._in_body = False
        self._skipping = False
        self._scan_from = 0

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        """Add ``data`` and return every event it completes, in stream order."""
        self._buf += data
        events: list[Frame | FrameError] = []
        while True:
            event = self._step()
            if event is None:
                return events
            if event is not _AGAIN:
                events.append(event)  # type: ignore[arg-type]

    @property
    def pending(self) -> int:
        """Bytes held back, waiting for the rest of a header or body."""
        return len(self._buf)

    def _step(self) -> object:
        if self._skipping:
            return self._skip()
        if self._in_body:
            return self._body()
        return self._header()

    def _reset(self) -> None:
        self._length = None
        self._headers_seen = False
        self._in_body = False
        self._scan_from = 0

    def _resync(self, reason: str, start: int = 1) -> FrameError:
        """Drop bytes up to the next ``Content-Length:`` at or after ``start``."""
        self._reset()
        match = _RESYNC.search(self._buf, start)
        if match is not None:
            del self._buf[: match.start()]
        else:
            del self._buf[: max(start, len(self._buf) - _RESYNC_TAIL)]
            self._skipping = True
        logger.warning("Skipping unframed input: %s", reason)
        return FrameError(reason)

    def _skip(self) -> object:
        match = _RESYNC.search(self._buf)
        if match is None:
            del self._buf[: max(0, len(self._buf) - _RESYNC_TAIL)]
            return None
        del self._buf[: match.start()]
        self._skipping = False
        return _AGAIN

    def _header(self) -> object:
        end = self._buf.find(b"\n")
        if end < 0:
            if len(self._buf) > self._max_line:
                return self._resync("header line too long")
            return None
        line = bytes(self._buf[:end]).rstrip(b"\r")
        if not line.strip():
            del self._buf[: end + 1]
            if self._length is not None:
                self._in_body = True
                return _AGAIN
            if self._headers_seen:
                return self._resync("missing Content-Length header", start=0)
            return _AGAIN  # a stray blank line between messages
        match = _CONTENT_LENGTH.fullmatch(line)
        if match is not None:
            value = match.group(1)
            if not value.isdigit() or len(value) > 12:
                return self._resync(f"invalid Content-Length {value[:20]!r}")
            length = int(value)
            if length > self._max_length:
                return self._resync(f"Content-Length {length} exceeds {self._max_length}")
            del self._buf[: end + 1]
            self._length = length
            self._headers_seen = True
            return _AGAIN
        if _OTHER_HEADER.fullmatch(line) and not _RESYNC.search(line, 1):
            del self._buf[: end + 1]  # Content-Type and friends: nothing to do
            self._headers_seen = True
            return _AGAIN
        return self._resync("unexpected header line")

    def _body(self) -> object:
        length = self._length or 0
        window = min(len(self._buf), length + _EMBEDDED_WINDOW)
        match = _EMBEDDED_HEADER.search(self._buf, self._scan_from, window)
        if match is not None and match.start() < length:
            # The body was shorter than announced and the next message has begun.
            body = bytes(self._buf[: match.start()])
            del self._buf[: match.start()]
            self._reset()
            logger.warning("Content-Length %d larger than the body sent (%d)", length, len(body))
            return Frame(body)
        if len(self._buf) < length:
            self._scan_from = max(0, len(self._buf) - _EMBEDDED_WINDOW)
            return None
        body = bytes(self._buf[:length])
        del self._buf[:length]
        self._reset()
        return Frame(body)


class _FrameWriter:
    """Write whole frames to the output stream, one writer at a time."""

    def __init__(self, stream: BinaryIO, on_lost: Callable[[], None]) -> None:
        self._stream = stream
        self._on_lost = on_lost
        self._lock = threading.Lock()
        self.closed = False

    def write(self, data: bytes) -> None:
        with self._lock:
            if self.closed:
                return
            try:
                self._stream.write(data)
                self._stream.flush()
            except (OSError, ValueError):
                self.closed = True
                logger.info("The client closed its input; stopping")
                self._on_lost()

    def close(self) -> None:
        with self._lock:
            self.closed = True


def _claim_stdout() -> BinaryIO:
    """Keep fd 1 for the protocol and send every other write to stdout to stderr."""
    try:
        sys.stdout.flush()
        out_fd = sys.stdout.fileno()
        protocol_fd = os.dup(out_fd)
        os.dup2(sys.stderr.fileno(), out_fd)
    except (AttributeError, OSError, ValueError):
        return sys.stdout.buffer
    return os.fdopen(protocol_fd, "wb")


def _read_chunks(stdin: BinaryIO, deliver: Callable[[bytes], None]) -> None:
    """Read stdin until end of input, handing each chunk to ``deliver``."""
    try:
        fd: int | None = stdin.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    while True:
        try:
            if fd is not None:
                chunk = os.read(fd, 65536)
            else:
                read = getattr(stdin, "read1", stdin.read)
                chunk = read(65536)
        except OSError:
            chunk = b""
        deliver(chunk)
        if not chunk:
            return


def _stop_workers(server: LanguageServer, code: int) -> None:
    """Let worker threads go; leave at once if some refuse to finish in time."""
    server.protocol.stop_workers()
    deadline = time.monotonic() + EXIT_GRACE
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            logger.warning("Worker %s still busy at exit; leaving without it", thread.name)
            logging.shutdown()
            sys.stderr.flush()
            os._exit(code)


def _stop_on_signals(loop: asyncio.AbstractEventLoop, finish: Callable[[int], None]) -> None:
    """SIGTERM/SIGINT end the server, and end the process even when the event loop cannot.

    The handler is a plain ``signal`` handler, not the loop's: it runs even while the main
    thread is stuck in a write to a client that stopped reading (the write is interrupted,
    the handler runs, the write resumes and blocks again). It asks the loop to finish, and a
    timer ends the process ``SIGNAL_GRACE`` seconds later if the loop has not by then."""
    fired = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        try:
            loop.call_soon_threadsafe(finish, 0)
        except RuntimeError:
            pass  # the loop is closed: we are on the way out already
        if not fired.is_set():
            fired.set()
            timer = threading.Timer(SIGNAL_GRACE, _exit_stuck, args=(signum,))
            timer.daemon = True
            timer.start()

    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(signum, handler)
        except (ValueError, OSError):  # not the main thread: no signal handling
            pass


def _exit_stuck(signum: int) -> None:
    logger.warning("Still running %.1fs after signal %d; leaving now", SIGNAL_GRACE, signum)
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(0)


async def _serve(server: LanguageServer, stdin: BinaryIO, writer: _FrameWriter) -> int:
    from slm_lsp.protocol import SlmProtocol

    protocol = server.protocol
    assert isinstance(protocol, SlmProtocol)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[int] = loop.create_future()
    parser = FrameParser()

    def finish(code: int) -> None:
        if not done.done():
            done.set_result(code)

    def on_chunk(chunk: bytes) -> None:
        if done.done():
            return
        if not chunk:
            logger.info("End of input; stopping")
            finish(0)
            return
        for event in parser.feed(chunk):
            try:
                if isinstance(event, Frame):
                    protocol.data_received(event.body)
                else:
                    protocol.frame_error(event.reason)
            except Exception:
                logger.exception("Unexpected error while handling a message")
            if done.done():
                return

    def deliver(chunk: bytes) -> None:
        try:
            loop.call_soon_threadsafe(on_chunk, chunk)
        except RuntimeError:
            pass  # the loop is already closed

    protocol.on_exit = lambda code: loop.call_soon_threadsafe(finish, code)
    writer._on_lost = lambda: loop.call_soon_threadsafe(finish, 0)
    _stop_on_signals(loop, finish)
    threading.Thread(target=_read_chunks, args=(stdin, deliver), name="stdin", daemon=True).start()
    return await done


def exit_now(code: int) -> typing.NoReturn:
    """End the process at once: run atexit handlers, flush, skip interpreter teardown.

    Tearing down the interpreter (lsprotocol, cattrs, tree-sitter, llama.cpp
    objects) can take longer than a client waits for a server to go away.
    """
    try:
        atexit._run_exitfuncs()
    finally:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def serve_stdio(
    server: LanguageServer,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    *,
    exit_process: bool = False,
) -> int:
    """Serve ``server`` (built with ``protocol_cls=SlmProtocol``) over stdio.

    Returns the exit code (0 after ``shutdown`` + ``exit``, on end of input and
    on SIGTERM; 1 for ``exit`` without ``shutdown``). When ``stdout`` is not
    given, fd 1 is kept for the protocol and redirected to stderr for everyone
    else, so stray prints cannot corrupt the stream. With ``exit_process`` it
    ends the process through :func:`exit_now` instead of returning.
    """
    from slm_lsp.protocol import SlmProtocol

    if not isinstance(server.protocol, SlmProtocol):
        raise TypeError("serve_stdio needs a server built with protocol_cls=SlmProtocol")
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else _claim_stdout()
    server.protocol.start_workers()
    writer = _FrameWriter(stdout, on_lost=lambda: None)
    server.protocol.set_writer(writer)
    code = 0
    try:
        code = asyncio.run(_serve(server, stdin, writer))
    except KeyboardInterrupt:
        code = 0
    finally:
        writer.close()
        _stop_workers(server, code)
    if exit_process:
        exit_now(code)
    return code
