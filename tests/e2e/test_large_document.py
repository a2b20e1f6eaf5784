"""A 10 MB single-line document over the real protocol with the real model: keystrokes and a
completion are answered, a cancel and SIGTERM take effect, nothing waits on work proportional
to the document's size. The bounds here are generous (this machine is shared and noisy);
``benchmarks/large_document.py`` prints the figures."""

from __future__ import annotations

import signal
import time

from conftest import server_command, server_env

from benchmarks.large_document import line_of, type_keys
from benchmarks.lspclient import LspProcess

SIZE = 10 * 1024 * 1024
URI = "file:///tmp/slm_lsp_large/minified.py"


def start(text: str) -> LspProcess:
    client = LspProcess(server_command(), env=server_env()).start()
    client.initialize()
    ready = client.wait_model(timeout=120)
    assert ready is not None and ready["state"] == "ready", ready
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": URI, "languageId": "python", "version": 1, "text": text}})
    return client


def test_keystrokes_completion_cancel_and_sigterm_on_a_10mb_line():
    text = line_of(SIZE)
    client = start(text)
    try:
        t0 = time.monotonic()
        ids = type_keys(client, URI, len(text), "sum(VALUES) + len(VAL", 1)
        sent = time.monotonic()
        stats = client.call("slmLsp/stats", {}, timeout=30)  # the event loop is not blocked
        assert stats is not None
        loop = time.monotonic() - sent
        last = ids[-1]
        reply = client.response(last, timeout=120)
        answered = time.monotonic() - t0
        assert reply is not None and ("result" in reply or "error" in reply), reply
        for msg_id in ids[:-1]:  # the pre-empted ones were answered too (empty or cancelled)
            assert client.response(msg_id, timeout=30) is not None

        column = len(text) + 21
        msg_id = client.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": URI}, "position": {"line": 0, "character": column},
            "context": {"triggerKind": 1}})
        time.sleep(0.05)
        client.notify("$/cancelRequest", {"id": msg_id})
        assert client.response(msg_id, timeout=30) is not None

        type_keys(client, URI, column, "ab", 30)
        client.proc.send_signal(signal.SIGTERM)
        code = client.wait(30)
        assert code is not None  # it waited 25 s behind the work before
        assert loop < 10 and answered < 120  # the model's own time: see the benchmark
        assert "Traceback" not in client.stderr.decode("utf-8", "replace")
    finally:
        client.stop()
