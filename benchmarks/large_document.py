"""Keystrokes, completion, cancel and SIGTERM on a 10 MB single-line document, beside the same
steps on a small document, in one server run (ratios side by side: this machine is noisy).

    python benchmarks/large_document.py [--size-mb 10] [--keys 20]

For each document: the didOpen (time until the next request is answered), 20 keystrokes sent as
fast as an editor sends them, each with an automatic inline completion request, then the time
until the last request is answered; how long a `slmLsp/stats` request sent right after waits
(the event loop's responsiveness); how long a `$/cancelRequest` takes to be answered. At the
end, with the large document open and a completion in flight, how long SIGTERM takes to end
the process.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.lspclient import LspProcess  # noqa: E402

KEYS = "sum(VALUES) + len(VAL"


def line_of(size: int, item: str = "1, ") -> str:
    """One line of ``size`` characters (documents differ in ``item``, so that no prompt shares
    a KV-cache prefix with another's)."""
    head, tail = "VALUES = [", "]; total = "
    return head + item * max(1, (size - len(head) - len(tail)) // len(item)) + tail


def type_keys(client: LspProcess, uri: str, column: int, keys: str, version: int) -> list[int]:
    """Type ``keys`` at ``column`` of line 0 as fast as an editor sends them, each keystroke
    followed by an automatic inline completion request (answers not awaited); their ids."""
    ids = []
    for i, ch in enumerate(keys):
        version += 1
        pos = {"line": 0, "character": column + i}
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": pos, "end": pos}, "text": ch}]})
        ids.append(client.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": 0, "character": column + i + 1},
            "context": {"triggerKind": 2}}))
    return ids


def steps(client: LspProcess, uri: str, text: str, keys: str, version: int) -> dict[str, float]:
    out: dict[str, float] = {}
    t = time.monotonic()
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": version, "text": text}})
    client.call("slmLsp/stats", {}, timeout=600)
    out["open"] = time.monotonic() - t
    column = len(text)
    t = time.monotonic()
    ids = type_keys(client, uri, column, keys, version)
    sent = time.monotonic()
    stats = client.request("slmLsp/stats", {})
    client.response(stats, timeout=600)
    out["loop"] = time.monotonic() - sent
    client.response(ids[-1], timeout=600)
    out["typed"] = time.monotonic() - t
    for msg_id in ids[:-1]:
        client.response(msg_id, timeout=600)
    column += len(keys)
    msg_id = client.request("textDocument/inlineCompletion", {
        "textDocument": {"uri": uri}, "position": {"line": 0, "character": column},
        "context": {"triggerKind": 1}})
    time.sleep(0.05)
    t = time.monotonic()
    client.notify("$/cancelRequest", {"id": msg_id})
    client.response(msg_id, timeout=600)
    out["cancel"] = time.monotonic() - t
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=10.0)
    parser.add_argument("--small-kb", type=float, default=10.0)
    parser.add_argument("--keys", type=int, default=20)
    args = parser.parse_args()
    keys = (KEYS * 4)[: args.keys]
    client = LspProcess([sys.executable, "-m", "slm_lsp"]).start()
    try:
        client.initialize()
        ready = client.wait_model()
        if not ready or ready["state"] != "ready":
            print(f"the model did not load: {ready}", file=sys.stderr)
            return 1
        steps(client, "file:///bench/warm.py", line_of(2048, "5, "), keys, 1)  # warm up
        rows = []
        for name, size, item in (("small", int(args.small_kb * 1024), "7, "),
                                 ("large", int(args.size_mb * 1024 * 1024), "3, ")):
            text = line_of(size, item)
            rows.append((name, len(text), steps(client, f"file:///bench/{name}.py", text,
                                                keys, 1)))
        print(f"{'document':<10}{'chars':>12}{'open s':>9}{'loop s':>9}"
              f"{f'{len(keys)} keys+answer s':>22}{'cancel s':>10}")
        for name, chars, r in rows:
            print(f"{name:<10}{chars:>12,}{r['open']:>9.2f}{r['loop']:>9.3f}{r['typed']:>22.2f}"
                  f"{r['cancel']:>10.3f}")
        small, large = rows[0][2], rows[1][2]
        print(f"ratio large/small: keys+answer {large['typed'] / max(small['typed'], 1e-3):.2f}"
              f", loop {large['loop'] / max(small['loop'], 1e-3):.2f}")
        column = rows[1][1] + len(keys)
        client.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": "file:///bench/large.py"},
            "position": {"line": 0, "character": column}, "context": {"triggerKind": 1}})
        time.sleep(0.1)
        t = time.monotonic()
        client.proc.send_signal(signal.SIGTERM)
        code = client.wait(120)
        print(f"SIGTERM with the large document open and a completion in flight: exit "
              f"{code} after {time.monotonic() - t:.2f}s")
    finally:
        client.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
