"""The JSON-RPC/LSP protocol layer: every request gets an answer, nothing sinks the server.

:class:`SlmProtocol` is a :class:`pygls.protocol.LanguageServerProtocol` that
closes the gaps pygls 2.1 leaves open:

* a body that is not UTF-8 or not JSON gets ``ParseError`` (-32700); a JSON value
  that is not a message object, a wrong ``jsonrpc`` version or a bad ``id`` gets
  ``InvalidRequest`` (-32600), with the request's id when it can be known;
* a request whose params do not fit the lsprotocol type gets ``InvalidParams``
  (-32602) naming the offending field (pygls drops it and the client waits forever);
* a request before ``initialize`` gets ``ServerNotInitialized`` (-32002), a
  request after ``shutdown`` gets ``InvalidRequest``; notifications in either
  state are dropped; ``exit`` is always honoured (code 0 after ``shutdown``, else 1);
* a result that cannot be serialised becomes ``InternalError`` instead of silence;
* a failing notification handler is logged (``window/logMessage``), never shown
  as a popup and never fatal; a failing request handler is ``InternalError``;
* lone UTF-16 surrogates in incoming strings become U+FFFD (same length in UTF-16
  and UTF-32 units, so positions stay valid).

Use it with ``LanguageServer(..., protocol_cls=SlmProtocol)`` and serve with
:func:`slm_lsp.transport.serve_stdio`. With pygls' own ``start_io`` reader the
message-level checks still apply; framing recovery needs ``serve_stdio``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
import typing
import uuid
from functools import partial

import attrs
import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcMethodNotFound
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCProtocol, JsonRPCResponseMessage
from pygls.protocol.language_server import lsp_method

if typing.TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from concurrent.futures import Future
    from typing import Any

logger = logging.getLogger(__name__)

PARSE_ERROR = types.ErrorCodes.ParseError.value
INVALID_REQUEST = types.ErrorCodes.InvalidRequest.value
INVALID_PARAMS = types.ErrorCodes.InvalidParams.value
INTERNAL_ERROR = types.ErrorCodes.InternalError.value
SERVER_NOT_INITIALIZED = types.ErrorCodes.ServerNotInitialized.value

_MAX_ERROR_TEXT = 600
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ENVELOPE_KEYS = ("id", "method", "jsonrpc", "params")


def _scrub_surrogates(value: Any) -> Any:
    """Replace lone surrogates in every string of a decoded JSON value with U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    holder = [value]
    stack: list[Any] = [holder]
    while stack:
        container = stack.pop()
        pairs = container.items() if isinstance(container, dict) else enumerate(container)
        for key, item in list(pairs):
            if isinstance(item, str):
                if _SURROGATE.search(item):
                    container[key] = _SURROGATE.sub("\ufffd", item)
            elif isinstance(item, (dict, list)):
                stack.append(item)
    return holder[0]


def _valid_id(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_ERROR_TEXT else text[:_MAX_ERROR_TEXT] + "…"


def _describe(exc: BaseException) -> str:
    """A one-line account of why params did not structure."""
    try:
        details = cattrs.transform_error(exc, path="$")
    except Exception:
        details = [repr(exc)]
    return _short("; ".join(details) or repr(exc))


class SlmProtocol(LanguageServerProtocol):
    """A ``LanguageServerProtocol`` that answers every request and survives bad input."""

    def __init__(self, server: Any, converter: cattrs.Converter) -> None:
        super().__init__(server, converter)
        self._initialize_received = False
        #: Set by the transport: called with the exit code when ``exit`` arrives.
        self.on_exit: Callable[[int], None] | None = None
        self.exit_code: int | None = None
        #: Whether pygls' workspace keeps its own copy of open documents.
        self.track_documents = True

    # ---- what the rest of the server reads of pygls' private state ----
    # The only module of slm_lsp that touches private names of pygls objects: each use is
    # named after its entry in docs/pygls-gaps.md (and the pygls report, where there is one).

    def has_workspace(self) -> bool:
        """Whether ``initialize`` has made the workspace yet. pygls' ``LanguageServer.workspace``
        raises before that and nothing public says whether it exists, so this reads
        ``_workspace``. No issue found (docs/pygls-gaps.md, private names)."""
        return self._workspace is not None

    def request_future(self, msg_id: Any) -> Any:
        """The result future pygls keeps for the incoming request ``msg_id`` (None when there is
        none): cancelling ``workspace/executeCommand`` cancels only that future, so the command's
        own task is tied to it (docs/pygls-gaps.md, gap 12; pygls #517)."""
        return self._request_futures.get(msg_id)

    def start_workers(self) -> None:
        """Give the server the stop event its worker threads watch. pygls makes it in its own
        ``start_io``, which our transport replaces (gap 11; no issue found)."""
        self._server._stop_event = threading.Event()

    def stop_workers(self) -> None:
        """Let the server's worker threads go: set its stop event, drop the thread pool's queued
        work. pygls has no public call to stop them from outside (gap 11; related: #173)."""
        server = self._server
        if server._stop_event is not None:
            server._stop_event.set()
        if server._thread_pool is not None:
            server._thread_pool.shutdown(wait=False, cancel_futures=True)

    # ---- entry points -------------------------------------------------

    def data_received(self, body: bytes) -> None:
        """Handle one framed message body."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            msg_id = self._guess_id(body.decode("utf-8", "replace"))
            self.reply_error(msg_id, PARSE_ERROR, f"Message body is not valid UTF-8: {exc}")
            return
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            self.reply_error(None, PARSE_ERROR, _short(f"Message body is not valid JSON: {exc}"))
            return
        if _SURROGATE_ESCAPE.search(text):
            data = _scrub_surrogates(data)
        self.receive(data)

    def frame_error(self, reason: str) -> None:
        """Report input that could not be framed; no id can be known."""
        self.reply_error(None, PARSE_ERROR, f"Unframed input skipped: {reason}")

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Leave decoding to :meth:`receive` (pygls calls this for every JSON object)."""
        return data

    def handle_message(self, message: Any) -> None:
        """Accept a raw decoded message (pygls' reader) or an already structured one."""
        if isinstance(message, dict) or not hasattr(message, "jsonrpc"):
            self.receive(message)
        else:
            JsonRPCProtocol.handle_message(self, message)

    def receive(self, data: Any) -> None:
        """Validate one decoded JSON value and dispatch it, answering every request."""
        if not isinstance(data, dict):
            kind = type(data).__name__
            self.reply_error(None, INVALID_REQUEST, f"A message must be a JSON object, not {kind}")
            return
        if "method" not in data:
            self._receive_response(data)
            return
        msg_id = data.get("id")
        is_request = "id" in data
        reply_id = msg_id if _valid_id(msg_id) else None
        method = data["method"]
        if not isinstance(method, str):
            self.reply_error(reply_id, INVALID_REQUEST, "'method' must be a string")
        elif data.get("jsonrpc") != self.VERSION:
            text = f"Unsupported jsonrpc version {data.get('jsonrpc')!r}; expected '2.0'"
            if is_request:
                self.reply_error(reply_id, INVALID_REQUEST, text)
            else:
                logger.warning("Dropping notification %r: %s", method, text)
        elif is_request and reply_id is None:
            self.reply_error(None, INVALID_REQUEST, "'id' must be an integer or a string")
        elif method == types.EXIT:
            JsonRPCProtocol.handle_message(self, types.ExitNotification())
        elif is_request:
            self._receive_request(data, reply_id, method)
        else:
            self._receive_notification(data, method)

    # ---- dispatch -----------------------------------------------------

    def _receive_request(self, data: dict[str, Any], msg_id: int | str, method: str) -> None:
        if self._shutdown:
            self.reply_error(msg_id, INVALID_REQUEST, "The server is shutting down")
            return
        if not self._initialize_received and method != types.INITIALIZE:
            self.reply_error(msg_id, SERVER_NOT_INITIALIZED, "The server is not initialized")
            return
        if method == types.INITIALIZE and self._initialize_received:
            self.reply_error(msg_id, INVALID_REQUEST, "'initialize' may only be sent once")
            return
        msg_type = self.get_message_type(method)
        if msg_type is None and not self._has_handler(method):
            self.reply_error(
                msg_id, types.ErrorCodes.MethodNotFound.value, f"Unknown method {method!r}"
            )
            return
        if msg_type is not None and not any(f.name == "id" for f in attrs.fields(msg_type)):
            self.reply_error(msg_id, INVALID_REQUEST, f"{method!r} is a notification")
            return
        try:
            message = self._structure(data, msg_type or JsonRPCRequestMessage)
        except Exception as exc:
            logger.warning("Invalid params for %r (id %r): %s", method, msg_id, exc)
            self.reply_error(
                msg_id, INVALID_PARAMS, f"Invalid params for {method}: {_describe(exc)}"
            )
            return
        if method == types.INITIALIZE:
            self._initialize_received = True
        JsonRPCProtocol.handle_message(self, message)

    def _receive_notification(self, data: dict[str, Any], method: str) -> None:
        if self._shutdown:
            logger.info("Ignoring notification %r after shutdown", method)
            return
        if not self._initialize_received:
            logger.info("Ignoring notification %r before initialize", method)
            return
        try:
            message = self._structure(data, self.get_message_type(method) or JsonRPCNotification)
        except Exception as exc:
            self.log_to_client(
                types.MessageType.Warning, f"Ignored {method} with invalid params: {_describe(exc)}"
            )
            return
        JsonRPCProtocol.handle_message(self, message)

    def _receive_response(self, data: dict[str, Any]) -> None:
        msg_id = data.get("id")
        if data.get("jsonrpc") != self.VERSION or not _valid_id(msg_id):
            logger.warning("Dropping malformed response: %s", _short(repr(data)))
            return
        try:
            if "error" in data:
                message = self._converter.structure(data, types.ResponseErrorMessage)
            else:
                response_type = self._result_types.pop(msg_id, None) or JsonRPCResponseMessage
                payload = {"id": msg_id, "jsonrpc": data["jsonrpc"], "result": data.get("result")}
                message = self._converter.structure(payload, response_type)
        except Exception:
            logger.warning("Dropping response %r that does not structure", msg_id, exc_info=True)
            return
        JsonRPCProtocol.handle_message(self, message)

    def _structure(self, data: dict[str, Any], msg_type: type) -> Any:
        if msg_type in (JsonRPCRequestMessage, JsonRPCNotification):
            data = {key: data.get(key) for key in _ENVELOPE_KEYS if key in data or key == "params"}
            if msg_type is JsonRPCNotification:
                data.pop("id", None)
        return self._converter.structure(data, msg_type)

    def _has_handler(self, method: str) -> bool:
        try:
            self._get_handler(method)
        except JsonRpcMethodNotFound:
            return False
        return True

    @staticmethod
    def _guess_id(text: str) -> int | str | None:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
        msg_id = data.get("id") if isinstance(data, dict) else None
        return msg_id if _valid_id(msg_id) else None

    # ---- errors and output --------------------------------------------

    def reply_error(self, msg_id: int | str | None, code: int, message: str) -> None:
        """Send an error response (``id`` null when it cannot be known)."""
        logger.info("Replying %d to %r: %s", code, msg_id, message)
        error = {"code": code, "message": message}
        self._send_data({"jsonrpc": self.VERSION, "id": msg_id, "error": error})

    def log_to_client(self, level: types.MessageType, message: str) -> None:
        """Log to stderr and to the client's log (``window/logMessage``)."""
        logger.log(logging.ERROR if level == types.MessageType.Error else logging.WARNING, message)
        try:
            self.notify(
                types.WINDOW_LOG_MESSAGE, types.LogMessageParams(type=level, message=message)
            )
        except Exception:
            logger.debug("Could not send window/logMessage", exc_info=True)

    def _encode(self, data: Any) -> bytes:
        body = json.dumps(data, default=self._serialize_message).encode(self.CHARSET)
        if not self._include_headers:
            return body
        header = (
            f"Content-Length: {len(body)}\r\n"
            f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
        )
        return header.encode("ascii") + body

    def _send_data(self, data: Any) -> None:
        """Frame and write ``data``; output errors are logged, never raised."""
        if not data:
            return
        if self.writer is None:
            logger.error("Unable to send data, no available transport!")
            return
        try:
            self.writer.write(self._encode(data))
        except Exception:
            logger.exception("Error sending data")

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        """Send a response; a result that cannot be serialised becomes InternalError."""
        if error is None:
            response_type = self._result_types.pop(msg_id, JsonRPCResponseMessage)
            try:
                response = response_type(id=msg_id, result=result, jsonrpc=self.VERSION)
                payload = self._encode(response)
            except Exception as exc:
                logger.exception("Could not serialise the result for %r", msg_id)
                self.reply_error(msg_id, INTERNAL_ERROR, _short(f"Result not serialisable: {exc}"))
                return
            if self.writer is not None:
                try:
                    self.writer.write(payload)
                except Exception:
                    logger.exception("Error sending data")
            return
        super()._send_response(msg_id, error=error)

    # ---- handlers -----------------------------------------------------

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        """Answer a request; params the client got wrong (a command's arguments) are its
        mistake: one warning line and ``InvalidParams``, not a traceback and a popup."""
        if not future.cancelled() and isinstance(future.exception(), JsonRpcInvalidParams):
            self._request_futures.pop(msg_id, None)
            exc = future.exception()
            logger.warning("Invalid params for request %r: %s", msg_id,
                           _short(" ".join(str(exc).split())))
            self._send_response(msg_id, error=exc.to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)

    def _handle_notification(self, method_name: str, params: Any) -> None:
        """Run a notification handler; its failure is logged, never raised."""
        if method_name == types.CANCEL_REQUEST:
            self._handle_cancel_notification(params.id)
            return
        try:
            handler = self._get_handler(method_name)
        except JsonRpcMethodNotFound:
            logger.info("Ignoring notification for unknown method %r", method_name)
            return
        self._execute_handler(
            msg_id=str(uuid.uuid4()),
            handler=handler,
            args=(params,),
            callback=partial(self._notification_done, method=method_name),
        )

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Callable[[Future[Any]], None],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Run a handler; forget its future once done (pygls keeps those of notifications)."""

        def done(future: Future[Any]) -> None:
            if self._request_futures.get(msg_id) is future:
                self._request_futures.pop(msg_id, None)
            callback(future)

        super()._execute_handler(msg_id, handler, done, args, kwargs)

    def _notification_done(self, future: Future[Any], *, method: str) -> None:
        if method == types.EXIT and self.exit_code is None:
            self._finish_exit()
        if future.cancelled() or (exc := future.exception()) is None:
            return
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.log_to_client(types.MessageType.Error, f"Error handling {method}: {exc!r}\n{trace}")

    def _finish_exit(self) -> None:
        self.exit_code = 0 if self._shutdown else 1
        if self.on_exit is None:
            sys.exit(self.exit_code)
        self.on_exit(self.exit_code)

    # ---- documents ----------------------------------------------------

    def _user(self, method: str, params: Any) -> Generator[Any, Any, None]:
        if (user_handler := self.fm.features.get(method)) is not None:
            yield user_handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: Any) -> Generator[Any, Any, None]:
        """Keep pygls' copy of the document only when ``track_documents`` asks for it (a server
        with its own document store would pay twice, and pygls converts positions one
        character at a time)."""
        if self.track_documents:
            self.workspace.put_text_document(params.text_document)
        yield from self._user(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: Any) -> Generator[Any, Any, None]:
        """A change to a document that is not open is the client's mistake: one warning."""
        uri = params.text_document.uri
        if self.track_documents:
            if uri not in self.workspace.text_documents:
                logger.warning("Ignoring didChange for %s: the document is not open", uri)
                return
            for change in params.content_changes:
                self.workspace.update_text_document(params.text_document, change)
        yield from self._user(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: Any) -> Generator[Any, Any, None]:
        if self.track_documents:
            self.workspace.text_documents.pop(params.text_document.uri, None)
        yield from self._user(types.TEXT_DOCUMENT_DID_CLOSE, params)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        """Cancel pending work and refuse further requests.

        pygls cancels while iterating ``_request_futures``; a cancelled future's
        callback removes itself from that dict, so iterate over a copy.
        """
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        """Stop: code 0 after ``shutdown``, 1 without it (even if a user handler fails)."""
        if (user_handler := self.fm.features.get(types.EXIT)) is not None:
            yield user_handler, args, None
        self._finish_exit()
