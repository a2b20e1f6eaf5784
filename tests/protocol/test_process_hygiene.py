"""Process hygiene of the real server: SIGTERM ends it even when the client stopped reading its
output, and a client's protocol misuse is one warning line, never a traceback."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path

from conftest import server_command, server_env

from benchmarks.lspclient import LspProcess, frame


def _main_thread_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return ""


def test_sigterm_ends_a_server_whose_client_stopped_reading(tmp_path):
    proc = subprocess.Popen(server_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=open(tmp_path / "stderr.log", "wb"), env=server_env())
    try:
        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}}}
        proc.stdin.write(frame(init))
        proc.stdin.flush()
        # Never read stdout again: each unknown request gets an error answer until the pipe
        # is full and the server's write blocks.
        flood = b"".join(frame({"jsonrpc": "2.0", "id": i, "method": "slmLsp/nothing" + "x" * 200})
                         for i in range(1, 3000))

        def feed() -> None:
            try:
                proc.stdin.write(flood)
                proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass

        threading.Thread(target=feed, daemon=True).start()
        deadline = time.monotonic() + 60
        while "pipe_write" not in _main_thread_state(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "pipe_write" in _main_thread_state(proc.pid), "the server never blocked writing"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)  # it was ignored (forever) before
        print(f"SIGTERM to exit while blocked writing: {time.monotonic() - t0:.2f}s")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_misuse_is_one_warning_line_and_no_traceback():
    client = LspProcess(server_command(), env=server_env()).start()
    try:
        client.initialize()
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": "file:///never/opened.py", "version": 2},
            "contentChanges": [{"text": "x = 1\n"}]})
        deep = 100_000
        client.send(frame('{"jsonrpc": "2.0", "id": 7, "method": "workspace/executeCommand", '
                          '"params": {"command": "slmLsp.applyAction", "arguments": '
                          + "[" * deep + "]" * deep + "}}"))
        nested: object = {}
        for _ in range(400):  # under the parser's limit: it reaches the command handler
            nested = {"a": [nested]}
        reply = client.call("workspace/executeCommand", {
            "command": "slmLsp.applyAction", "arguments": [nested]}, timeout=30)
        assert reply is not None
        assert client.call("shutdown", None, timeout=30) is not None  # still answering
        client.notify("exit")
        assert client.wait(10) == 0
        stderr = client.stderr.decode("utf-8", "replace")
        assert "Traceback" not in stderr, stderr[-3000:]
        lines = [line for line in stderr.splitlines() if "never/opened.py" in line]
        assert len(lines) == 1 and "not open" in lines[0], lines
        assert json.dumps(client.stdout_errors) == "[]"
    finally:
        client.stop()
