"""Fuzz a language server over stdio and print how well it held up.

    python benchmarks/fuzz_stdio.py --server "python -m slm_lsp" --messages 10000 --seed 1

Sends N generated messages to one server process over its stdin: valid requests
with random and out-of-range positions and unknown URIs, didOpen with huge,
binary, NUL and lone-surrogate text, deeply nested JSON, wrong versions and ids,
and framing mistakes (truncated frames, wrong Content-Length, bad header lines,
random bytes, bodies that are not UTF-8). Every ``--ping-every`` messages it
sends a ping request and waits for its answer. It prints: messages sent,
requests answered (of the well-formed ones sent), pings answered, crashes (the
process died; it is restarted), hangs (a ping unanswered after ``--timeout``),
exit code after shutdown/exit, and wall time. It talks to its child only over
pipes (``lspclient.LspProcess``, as the protocol tests do), and stops by itself
(``--wall-limit`` caps the whole run).
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.lspclient import LspProcess, frame  # noqa: E402

URIS = [
    "file:///tmp/fuzz/a.py",
    "file:///tmp/fuzz/b.ts",
    "file:///nope/x.rs",
    "untitled:1",
    "",
    "%%",
]
METHODS = ["textDocument/completion", "textDocument/inlineCompletion", "textDocument/hover"]


def encode(message: object) -> bytes:
    """JSON-encode with lone surrogates kept as escapes."""
    return json.dumps(message).encode("ascii")


def send(server: LspProcess, data: bytes) -> bool:
    """Write to the server's stdin; False once the process is gone."""
    try:
        server.send(data)
        return True
    except (BrokenPipeError, OSError, ValueError):
        return False


def alive(server: LspProcess) -> bool:
    return server.proc.poll() is None


class Fuzzer:
    """Generates one message (as bytes) at a time from a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.next_id = 0

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def position(self) -> object:
        r = self.rng
        pick = r.random()
        if pick < 0.6:
            return {"line": r.randint(0, 40), "character": r.randint(0, 120)}
        if pick < 0.8:
            return {
                "line": r.choice([-1, 2**31, 2**53, 10**9]),
                "character": r.choice([-5, 0, 2**40]),
            }
        return r.choice([None, {}, {"line": "1"}, [0, 0], "here", 1.5])

    def text(self) -> str:
        r = self.rng
        pick = r.random()
        if pick < 0.5:
            return "".join(
                r.choice("def f(x):\n    return x + 1\n# é😋\t{}[]")
                for _ in range(r.randint(0, 300))
            )
        if pick < 0.7:
            return (
                "".join(chr(r.choice([0, 1, 0xFFFD, r.randint(0, 0x10FFFF)])) for _ in range(200))
                .encode("utf-8", "surrogatepass")
                .decode("utf-8", "replace")
            )
        if pick < 0.9:
            return "x\ud800y\udfffz" * r.randint(1, 50)  # lone surrogates, sent as escapes
        return "a = 1\n" * r.randint(50_000, 300_000)  # 0.3-1.8 MB

    def request(self) -> tuple[bytes, int]:
        """A well-framed request with a valid id; its params may still be nonsense."""
        msg_id = self.new_id()
        params = {"textDocument": {"uri": self.rng.choice(URIS)}, "position": self.position()}
        if self.rng.random() < 0.5:
            params["context"] = {"triggerKind": self.rng.choice([1, 2, 3, 99])}
        message = {
            "jsonrpc": "2.0",
            "id": msg_id,
            "method": self.rng.choice(METHODS),
            "params": params,
        }
        return frame(encode(message)), msg_id

    def notification(self) -> bytes:
        r = self.rng
        uri = r.choice(URIS)
        if r.random() < 0.5:
            doc = {
                "uri": uri,
                "languageId": r.choice(["python", "typescript", "rust", "?"]),
                "version": r.randint(-3, 10**6),
                "text": self.text(),
            }
            return frame(
                encode(
                    {
                        "jsonrpc": "2.0",
                        "method": "textDocument/didOpen",
                        "params": {"textDocument": doc},
                    }
                )
            )
        change = {"text": self.text()}
        if r.random() < 0.7:
            change["range"] = {"start": self.position(), "end": self.position()}
        params = {
            "textDocument": {"uri": uri, "version": r.randint(0, 10**6)},
            "contentChanges": [change],
        }
        return frame(
            encode({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": params})
        )

    def junk(self) -> bytes:
        r = self.rng
        data, _ = self.request()
        head, _, body = data.partition(b"\r\n\r\n")
        pick = r.randrange(10)
        if pick == 0:
            return data[: r.randrange(len(data))]
        if pick == 1:
            return (
                b"Content-Length: %d\r\n\r\n" % (len(body) + r.choice([-20, -1, 1, 50, 10**5]))
                + body
            )
        if pick == 2:
            return (
                r.choice(
                    [
                        b"Hello\r\n",
                        b"Content-Length: abc\r\n\r\n",
                        b"Content-Length: 999999999999\r\n\r\n",
                        b"Content-Type: x\r\n\r\n{}",
                        b"\r\n\r\n",
                    ]
                )
                + data
            )
        if pick == 3:
            return bytes(r.randrange(256) for _ in range(r.randint(1, 2000)))
        if pick == 4:
            return frame(body[:10] + b"\xff\xfe\xc3" + body[10:])
        if pick == 5:
            depth = r.choice([500, 5000, 200_000])
            return frame(
                b'{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":'
                + b"[" * depth
                + b"]" * depth
                + b"}"
            )
        if pick == 6:
            return frame(encode(r.choice([[], [1, 2], 42, "s", None, {"jsonrpc": "2.0"}])))
        if pick == 7:
            return frame(
                encode(
                    {
                        "jsonrpc": r.choice(["1.0", None, 2]),
                        "id": self.new_id(),
                        "method": "textDocument/hover",
                    }
                )
            )
        if pick == 8:
            return frame(
                encode({"jsonrpc": "2.0", "id": r.choice([1.5, True, None, {}, []]), "method": "x"})
            )
        return frame(
            encode(
                {
                    "jsonrpc": "2.0",
                    "method": "$/cancelRequest",
                    "params": {"id": r.randint(0, self.next_id)},
                }
            )
        )


def run(args: argparse.Namespace) -> dict[str, object]:
    argv = shlex.split(args.server)
    rng = random.Random(args.seed)
    fuzz = Fuzzer(rng)
    started = time.monotonic()
    deadline = started + args.wall_limit
    stats = {
        "messages sent": 0,
        "requests sent": 0,
        "requests answered": 0,
        "pings answered": 0,
        "pings sent": 0,
        "crashes": 0,
        "hangs": 0,
        "corrupt output frames": 0,
    }
    expected: set[object] = set()

    def collect(server: LspProcess, until_id: object | None, timeout: float) -> bool:
        end = min(time.monotonic() + timeout, deadline)
        while True:
            try:
                message = server.messages.get(
                    timeout=max(0.0, min(0.2, end - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= end or not alive(server):
                    return False
                continue
            if not isinstance(message, dict) or "method" in message:
                continue
            got = message.get("id")
            if got in expected:
                expected.discard(got)
                stats["requests answered"] += 1
            if got == until_id:
                return True

    def start() -> LspProcess:
        server = LspProcess(argv).start()
        init_id = "init"
        send(
            server,
            frame(
                encode(
                    {
                        "jsonrpc": "2.0",
                        "id": init_id,
                        "method": "initialize",
                        "params": {"processId": None, "rootUri": None, "capabilities": {}},
                    }
                )
            )
        )
        collect(server, init_id, 120)
        send(server, frame(encode({"jsonrpc": "2.0", "method": "initialized", "params": {}})))
        return server

    server = start()
    current = [server]

    def watchdog() -> None:  # a write blocked on a stuck child must not block us forever
        time.sleep(args.wall_limit + args.timeout + 10)
        current[0].proc.kill()

    threading.Thread(target=watchdog, daemon=True).start()
    for n in range(args.messages):
        if time.monotonic() > deadline:
            break
        pick = rng.random()
        if pick < 0.4:
            data, msg_id = fuzz.request()
            expected.add(msg_id)
            stats["requests sent"] += 1
        elif pick < 0.7:
            data = fuzz.notification()
        else:
            data = fuzz.junk()
        ok = send(server, data)
        stats["messages sent"] += 1
        if (n + 1) % args.ping_every == 0 or not ok:
            ping = f"ping-{n}"
            stats["pings sent"] += 1
            send(
                server,
                frame(
                    encode(
                        {
                            "jsonrpc": "2.0",
                            "id": ping,
                            "method": "workspace/symbol",
                            "params": {"query": ""},
                        }
                    )
                )
            )
            if collect(server, ping, args.timeout):
                stats["pings answered"] += 1
            elif alive(server):
                stats["hangs"] += 1
                print(f"hang: ping after message {n + 1} unanswered in {args.timeout} s",
                      file=sys.stderr)
            if args.progress:
                print(f"{n + 1} sent, {time.monotonic() - started:.0f} s", file=sys.stderr)
            if not alive(server):
                stats["crashes"] += 1
                stats["corrupt output frames"] += len(server.stdout_errors)
                expected.clear()
                server = current[0] = start()
    collect(server, None, 2.0)
    send(server, frame(encode({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"})))
    collect(server, "bye", args.timeout)
    send(server, frame(encode({"jsonrpc": "2.0", "method": "exit"})))
    try:
        code: object = server.proc.wait(5)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        code = "did not exit"
    stats["corrupt output frames"] += len(server.stdout_errors)
    stats["exit code"] = code
    stats["wall time (s)"] = round(time.monotonic() - started, 1)
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server", default=f"{sys.executable} -m slm_lsp", help="server command line"
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ping-every", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a ping may take")
    parser.add_argument(
        "--wall-limit", type=float, default=1800.0, help="seconds for the whole run"
    )
    parser.add_argument("--progress", action="store_true", help="report each ping on stderr")
    args = parser.parse_args()
    stats = run(args)
    for key, value in stats.items():
        print(f"{key:>24}: {value}")
    return 0 if stats["crashes"] == 0 and stats["hangs"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
