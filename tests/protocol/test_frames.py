"""Raw-byte protocol tests: every request is answered, bad input never loses the server.

Each test talks to a real server process over its stdin/stdout and checks the
exact JSON-RPC error code, then that a valid request afterwards still gets its
answer.
"""

from __future__ import annotations

import json
import signal
import time

import pytest

from benchmarks.lspclient import LspProcess, frame

from .servers import ECHO_SERVER

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002
# A client waits about a second for a server to go away.
EXIT_BUDGET = 1.0

URI = "file:///tmp/example.py"
HOVER = {"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}}


def assert_alive(client: LspProcess) -> None:
    """A valid request sent now gets its response (a result or an error)."""
    reply = client.call("workspace/symbol", {"query": "x"}, timeout=10)
    assert reply is not None, "server did not answer a valid request"
    assert reply.get("jsonrpc") == "2.0"


def assert_answered(client: LspProcess, reply: dict | None) -> None:
    """``reply`` arrived; on the echo server (which has a hover handler) it is a result."""
    assert reply is not None, "no reply"
    if client.command == ECHO_SERVER:
        assert "result" in reply, reply


def error_code(reply: dict | None) -> int | None:
    assert reply is not None, "no reply"
    return reply["error"]["code"] if "error" in reply else None


def null_id_error(client: LspProcess, timeout: float = 5.0) -> dict | None:
    return client.wait_for(lambda m: "error" in m and m.get("id") is None, timeout)


def no_traceback(client: LspProcess) -> bool:
    return b"Traceback" not in bytes(client.stderr)


# ---- lifecycle -------------------------------------------------------------


def test_request_before_initialize_gets_server_not_initialized(raw: LspProcess) -> None:
    assert error_code(raw.call("textDocument/hover", HOVER)) == SERVER_NOT_INITIALIZED
    raw.initialize()
    assert_alive(raw)


def test_second_initialize_is_invalid_request(ready: LspProcess) -> None:
    reply = ready.call("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    assert error_code(reply) == INVALID_REQUEST
    assert_alive(ready)


def test_request_after_shutdown_gets_invalid_request_and_exit_is_0(ready: LspProcess) -> None:
    assert "result" in ready.call("shutdown")
    assert error_code(ready.call("textDocument/hover", HOVER)) == INVALID_REQUEST
    ready.notify("textDocument/didSave", {"textDocument": {"uri": URI}})
    assert error_code(ready.call("workspace/symbol", {"query": ""})) == INVALID_REQUEST
    ready.notify("exit")
    assert ready.wait(30) == 0
    assert no_traceback(ready), bytes(ready.stderr)[-4000:].decode('utf-8', 'replace')


def test_exit_without_shutdown_exits_1(ready: LspProcess) -> None:
    ready.notify("exit")
    assert ready.wait(30) == 1


def test_exit_before_initialize_exits_1(raw: LspProcess) -> None:
    raw.notify("exit")
    assert raw.wait(30) == 1


def test_closing_stdin_exits_cleanly_within_a_second(ready: LspProcess) -> None:
    assert_alive(ready)
    start = time.monotonic()
    ready.close_stdin()
    code = ready.wait(5)
    assert code == 0
    assert time.monotonic() - start < EXIT_BUDGET
    assert no_traceback(ready), bytes(ready.stderr)[-4000:].decode('utf-8', 'replace')


def test_sigterm_exits_0_without_traceback(ready: LspProcess) -> None:
    assert_alive(ready)
    start = time.monotonic()
    ready.proc.send_signal(signal.SIGTERM)
    assert ready.wait(30) == 0
    assert time.monotonic() - start < EXIT_BUDGET
    assert no_traceback(ready), bytes(ready.stderr)[-4000:].decode('utf-8', 'replace')


# ---- message validation ------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", None, 2.0], ids=["1.0", "missing", "number"])
def test_wrong_jsonrpc_version_gets_invalid_request_with_its_id(ready: LspProcess, version) -> None:
    message = {"id": "v1", "method": "textDocument/hover", "params": HOVER}
    if version is not None:
        message["jsonrpc"] = version
    ready.send_json(message)
    reply = ready.response("v1")
    assert error_code(reply) == INVALID_REQUEST
    assert_alive(ready)


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"jsonrpc": "2.0", "id": 3', b"", b"\xef\xbb\xbf{}"]
)
def test_malformed_json_gets_parse_error_with_null_id(ready: LspProcess, body: bytes) -> None:
    ready.send(frame(body))
    assert error_code(null_id_error(ready)) == PARSE_ERROR
    assert_alive(ready)


@pytest.mark.parametrize("value", [[1, 2], [], 42, "text", None, True])
def test_non_object_json_gets_invalid_request(ready: LspProcess, value) -> None:
    ready.send(frame(json.dumps(value)))
    assert error_code(null_id_error(ready)) == INVALID_REQUEST
    assert_alive(ready)


@pytest.mark.parametrize("msg_id", [1.5, {"a": 1}, [1], True, None])
def test_bad_id_gets_invalid_request_with_null_id(ready: LspProcess, msg_id) -> None:
    ready.send_json(
        {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": HOVER}
    )
    assert error_code(null_id_error(ready)) == INVALID_REQUEST
    assert_alive(ready)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"textDocument": {"uri": URI}}, "position"),
        ({"textDocument": {"uri": URI}, "position": {"line": "zero", "character": 0}}, "line"),
        ({"textDocument": {"uri": URI}, "position": {"line": 0}}, "character"),
        ({"textDocument": 7, "position": {"line": 0, "character": 0}}, "textDocument"),
        ([1, 2, 3], "params"),
        ("hover", "params"),
    ],
)
def test_params_that_do_not_structure_get_invalid_params(ready: LspProcess, params, field) -> None:
    reply = ready.call("textDocument/hover", params)
    assert error_code(reply) == INVALID_PARAMS
    assert field in reply["error"]["message"]
    assert_alive(ready)


def test_completion_with_missing_params_gets_invalid_params(ready: LspProcess) -> None:
    assert error_code(ready.call("textDocument/completion")) == INVALID_PARAMS
    assert_alive(ready)


def test_unknown_method_gets_method_not_found(ready: LspProcess) -> None:
    assert error_code(ready.call("slm/noSuchThing", {"deep": {"x": [1]}})) == METHOD_NOT_FOUND
    assert_alive(ready)


def test_notification_method_sent_as_request_is_answered(ready: LspProcess) -> None:
    doc = {"uri": URI, "languageId": "python", "version": 1, "text": "x = 1\n"}
    reply = ready.call("textDocument/didOpen", {"textDocument": doc})
    assert error_code(reply) == INVALID_REQUEST
    assert_alive(ready)


def test_bad_notifications_are_ignored(ready: LspProcess) -> None:
    ready.notify("textDocument/didOpen", {"textDocument": 12})
    ready.notify("textDocument/didChange", None)
    ready.send_json({"jsonrpc": "1.0", "method": "initialized"})
    ready.notify("$/cancelRequest", {"id": 999})
    ready.notify("slm/unknownNotification", {"a": 1})
    assert_alive(ready)


def test_deeply_nested_json_does_not_sink_the_server(ready: LspProcess) -> None:
    depth = 100_000
    ready.send(
        frame(
            b'{"jsonrpc":"2.0","id":"deep","method":"x","params":'
            + b"[" * depth
            + b"]" * depth
            + b"}"
        )
    )
    assert error_code(null_id_error(ready)) == PARSE_ERROR
    nested = {"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}}
    for _ in range(500):
        nested = {"n": nested}
    assert error_code(ready.call("textDocument/hover", nested)) == INVALID_PARAMS
    assert_alive(ready)


# ---- framing ---------------------------------------------------------------------


def hover_frame(msg_id: str) -> bytes:
    return frame({"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": HOVER})


def test_lenient_headers_are_accepted(ready: LspProcess) -> None:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": "lenient", "method": "workspace/symbol", "params": {"query": ""}}
    )
    ready.send(
        b"\r\ncontent-length:%d\nContent-Type: application/vscode-jsonrpc\n\n" % len(body)
        + body.encode()
    )
    assert ready.response("lenient") is not None
    assert not [m for m in ready.drain(0.2) if "error" in m]


@pytest.mark.parametrize(
    "garbage",
    [
        b"Hello there\r\n",
        b"Content-Length: abc\r\n\r\n{}",
        b"Content-Length: -5\r\n\r\n{}",
        b'Content-Type: text/plain\r\n\r\n{"jsonrpc": "2.0", "id": 5}',
        b"\x00\xff\xfe\x80garbage\x01\x02" * 40,
        bytes(range(256)) * 50,
        b"X" * 20_000,
        b"Content-Length: 99999999999999999999\r\n\r\n",
        b"Content-Length: 104857600\r\n\r\n{}",
    ],
    ids=[
        "text-line",
        "cl-nan",
        "cl-negative",
        "no-cl",
        "binary",
        "all-bytes",
        "long-line",
        "cl-huge",
        "cl-over-cap",
    ],
)
def test_unframed_input_is_reported_and_skipped(ready: LspProcess, garbage: bytes) -> None:
    start = time.monotonic()
    ready.send(garbage + hover_frame("after"))
    assert error_code(null_id_error(ready)) == PARSE_ERROR
    assert_answered(ready, ready.response("after"))
    assert time.monotonic() - start < 5
    assert_alive(ready)


def test_content_length_larger_than_body_recovers_at_next_header(ready: LspProcess) -> None:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": "short", "method": "textDocument/hover", "params": HOVER}
    ).encode()
    ready.send(b"Content-Length: %d\r\n\r\n" % (len(body) + 500) + body[:-3])
    time.sleep(0.2)  # the server is now waiting for 503 more bytes
    ready.send(hover_frame("next"))
    assert error_code(null_id_error(ready)) == PARSE_ERROR
    assert_answered(ready, ready.response("next"))
    assert_alive(ready)


def test_content_length_larger_than_a_complete_body_still_answers_it(ready: LspProcess) -> None:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": "whole", "method": "workspace/symbol", "params": {"query": ""}}
    )
    ready.send(
        b"Content-Length: %d\r\n\r\n" % (len(body) + 40) + body.encode() + hover_frame("then")
    )
    assert ready.response("whole") is not None
    assert_answered(ready, ready.response("then"))


def test_content_length_smaller_than_body_recovers(ready: LspProcess) -> None:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": "long", "method": "textDocument/hover", "params": HOVER}
    ).encode()
    ready.send(b"Content-Length: %d\r\n\r\n" % (len(body) - 10) + body + hover_frame("next"))
    assert error_code(null_id_error(ready)) == PARSE_ERROR
    assert_answered(ready, ready.response("next"))


def test_body_that_is_not_utf8_gets_parse_error_with_its_id(ready: LspProcess) -> None:
    body = b'{"jsonrpc": "2.0", "id": "latin", "method": "workspace/symbol", '
    body += b'"params": {"query": "caf\xe9"}}'
    ready.send(frame(body))
    assert error_code(ready.response("latin")) == PARSE_ERROR
    ready.send(frame(b"\xff\xfe{\x00"))
    assert error_code(null_id_error(ready)) == PARSE_ERROR
    assert_alive(ready)


def test_message_split_across_writes_is_reassembled(ready: LspProcess) -> None:
    data = hover_frame("split")
    for i in range(0, len(data), 7):
        ready.send(data[i : i + 7])
        time.sleep(0.005)
    assert_answered(ready, ready.response("split"))


def test_many_messages_in_one_write_are_all_answered(ready: LspProcess) -> None:
    ready.send(b"".join(hover_frame(f"batch-{i}") for i in range(50)))
    for i in range(50):
        assert ready.response(f"batch-{i}") is not None


# ---- handlers (echo server only) ----------------------------------------------------


def test_raising_request_handler_gets_internal_error(echo: LspProcess) -> None:
    reply = echo.call("textDocument/definition", HOVER)
    assert error_code(reply) == INTERNAL_ERROR
    assert "definition exploded" in reply["error"]["message"]
    assert_alive(echo)


def test_raising_notification_handler_is_logged_not_fatal(echo: LspProcess) -> None:
    echo.notify("textDocument/didSave", {"textDocument": {"uri": URI}})
    log = echo.wait_for(lambda m: m.get("method") == "window/logMessage")
    assert log is not None and log["params"]["type"] == 1
    assert "didSave exploded" in log["params"]["message"]
    assert not any(m.get("method") == "window/showMessage" for m in echo.drain(0.2))
    assert_alive(echo)


def test_unserialisable_result_gets_internal_error(echo: LspProcess) -> None:
    assert error_code(echo.call("textDocument/implementation", HOVER)) == INTERNAL_ERROR
    assert_alive(echo)


def test_stray_writes_to_stdout_do_not_corrupt_the_stream(echo: LspProcess) -> None:
    params = {**HOVER, "context": {"includeDeclaration": True}}
    assert echo.call("textDocument/references", params)["result"] == []
    assert_alive(echo)
    assert echo.stdout_errors == []
    assert b"stray write to fd 1" in bytes(echo.stderr)


def test_lone_surrogates_in_text_become_replacement_characters(echo: LspProcess) -> None:
    text = (
        '{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": '
        '{"uri": "file:///s.py", "languageId": "python", "version": 1, "text": "ab\\ud800cd"}}}'
    )
    echo.send(frame(text))
    reply = echo.call(
        "textDocument/completion",
        {"textDocument": {"uri": "file:///s.py"}, "position": {"line": 0, "character": 4}},
    )
    assert reply["result"]["items"][0]["label"] == "ab\ufffdc"


def test_exit_within_a_second_while_a_worker_is_busy(echo: LspProcess) -> None:
    echo.request("textDocument/documentHighlight", HOVER)
    time.sleep(0.3)
    start = time.monotonic()
    echo.close_stdin()
    assert echo.wait(5) is not None
    assert time.monotonic() - start < EXIT_BUDGET
