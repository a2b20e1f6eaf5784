"""Soak: one server, many thousands of automatic completion requests, watched for leaks.

    python benchmarks/soak.py [--requests 10000] [--max-minutes 30] [--interval-ms 40]

Typing replays loop over ``corpus_typing/`` (open, type a few lines, close: whole document
cycles). Most cycles type at ``--interval-ms`` per key, cancelling the previous unanswered
request as an editor does; every ``--fast-every``-th cycle types the next key as soon as the
answer came, so every request of that cycle is answered. To keep 10,000
requests within about 20-30 minutes on two cores, completions are short: ``--max-tokens`` (8)
for most cycles and ``--large-max-tokens`` (48) every ``--large-every``-th cycle, switched with
``workspace/didChangeConfiguration``, and the prefix window is ``--prefix-tokens`` (512). The
run stops at ``--requests`` or ``--max-minutes``, whichever comes first.

Every ``--window`` requests it prints the server's RSS, threads and open fds, and the p50/p95
keystroke-to-answer latency of that window; at the end, RSS growth and p95 from the first to the
last window, errors, and whether the server still answers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.lspclient import LspProcess, server_command  # noqa: E402
from benchmarks.replay import (  # noqa: E402
    LANGUAGES,
    REQUEST_CANCELLED,
    Record,
    corpus_files,
    fmt_ms,
    percentile,
    proc_status,
    replay,
)


def cycle_plan(n_files: int, cycle: int, text_len: int, chars: int) -> int:
    """Deterministic start offsets spread over a file: cycle ``k`` starts at the k-th of 7
    evenly spaced points (a little past the file head, so there is a prefix)."""
    usable = max(1, text_len - chars)
    return (usable * ((cycle // max(n_files, 1)) % 7 + 1)) // 8


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


class Window:
    """Figures of one window of requests."""

    def __init__(self, index: int):
        self.index = index
        self.records: list[Record] = []

    def add(self, recs: list[Record]) -> None:
        self.records.extend(recs)

    def latencies(self) -> list[float]:
        return [r.latency_ms for r in self.records if r.answered]

    def cancelled(self) -> int:
        return sum(r.error == REQUEST_CANCELLED for r in self.records)

    def errors(self) -> int:
        return sum(r.error not in (None, REQUEST_CANCELLED) for r in self.records)


async def alive(server: LspProcess, timeout: float = 120.0) -> str:
    """Whether the server still answers an Invoked completion on a fresh document."""
    if server.proc.poll() is not None:
        return f"no: exited with {server.proc.returncode}"
    uri = "file:///soak/final.py"
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1,
        "text": "def add(a, b):\n    \n"}})
    try:
        reply = await server.request_async("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": 1, "character": 4},
            "context": {"triggerKind": 1}}, timeout)
    except (asyncio.TimeoutError, ConnectionError) as exc:
        return f"no: {type(exc).__name__}"
    if reply.error:
        return f"no: error {reply.error.get('code')}"
    items = (reply.result or {}).get("items", []) if isinstance(reply.result, dict) else []
    return f"yes ({len(items)} item{'s' if len(items) != 1 else ''})"


async def run(args: argparse.Namespace) -> int:
    files = corpus_files(args.file)
    texts = [(p, p.read_text(encoding="utf-8")) for p in files]
    settings = {"nCtx": args.n_ctx, "logLevel": "info",
                "context": {"prefixTokens": args.prefix_tokens},
                "completion": {"maxTokens": args.max_tokens}}
    if args.model:
        settings["model"] = args.model
    if args.threads:
        settings["nThreads"] = args.threads
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    server = LspProcess(server_command(), stderr_path=log_dir / "soak.log")
    server.start()
    ready = await server.initialize_async(settings)
    print(f"server pid {server.pid}, model ready in {ready:.1f} s; budget {args.requests} "
          f"requests or {args.max_minutes} min; maxTokens {args.max_tokens} "
          f"({args.large_max_tokens} every {args.large_every}th cycle), "
          f"{args.interval_ms:.0f} ms/key (every {args.fast_every}th cycle: next key when "
          "answered)", flush=True)
    print(f"{'requests':>9} {'RSS MB':>7} {'threads':>7} {'fds':>4} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'answered':>8} {'-32800':>6} {'errors':>6} {'min':>5}", flush=True)
    t0 = time.perf_counter()
    deadline = t0 + args.max_minutes * 60
    windows: list[tuple[Window, dict]] = []
    current = Window(0)
    total = cycle = 0
    large = False
    try:
        while total < args.requests and time.perf_counter() < deadline:
            want_large = args.large_every > 0 and cycle % args.large_every == args.large_every - 1
            if want_large != large:
                large = want_large
                tokens = args.large_max_tokens if large else args.max_tokens
                server.notify("workspace/didChangeConfiguration", {"settings": {"slmLsp": {
                    **settings, "completion": {"maxTokens": tokens}}}})
            path, text = texts[cycle % len(texts)]
            fast = args.fast_every > 0 and cycle % args.fast_every == args.fast_every - 1
            start = line_start(text, cycle_plan(len(texts), cycle, len(text), args.chars))
            chars = min(args.chars, args.requests - total)
            res = await replay(server, f"file:///soak/{cycle}/{path.name}",
                               LANGUAGES.get(path.suffix, "plaintext"), text, start, chars,
                               interval_s=0.0 if fast else args.interval_ms / 1000, warm=False,
                               answer_timeout_s=args.answer_timeout_s)
            cycle += 1
            for rec in res.records:
                current.records.append(rec)
                total += 1
                if len(current.records) >= args.window:
                    windows.append((current, proc_status(server.pid)))
                    _print_window(windows[-1], total, t0)
                    current = Window(len(windows))
            if server.proc.poll() is not None:
                break
        if current.records and windows and len(current.records) < args.window // 2:
            windows[-1][0].add(current.records)  # a short tail joins the last window
            windows[-1] = (windows[-1][0], proc_status(server.pid))
            print(f"{'':>9} (the last {len(current.records)} requests joined that window)")
        elif current.records:
            windows.append((current, proc_status(server.pid)))
            _print_window(windows[-1], total, t0)
        answering = await alive(server)
    finally:
        code = await server.stop_async()
    _print_summary(windows, total, cycle, answering, code, time.perf_counter() - t0)
    return 0 if answering.startswith("yes") else 1


def _print_window(entry: tuple[Window, dict], total: int, t0: float) -> None:
    win, st = entry
    lat = win.latencies()
    print(f"{total:>9} {st.get('VmRSS', float('nan')):>7.0f} {st.get('Threads', 0):>7.0f} "
          f"{st.get('fds', 0):>4.0f} {fmt_ms(percentile(lat, 50)):>7} "
          f"{fmt_ms(percentile(lat, 95)):>7} {len(lat):>8} {win.cancelled():>6} {win.errors():>6} "
          f"{(time.perf_counter() - t0) / 60:>5.1f}", flush=True)


def _print_summary(windows: list[tuple[Window, dict]], total: int, cycles: int,
                   answering: str, code: int | None, seconds: float) -> None:
    print(f"\n{total} requests in {cycles} open/type/close cycles, {seconds / 60:.1f} min")
    if windows:
        (first, s0), (last, s1) = windows[0], windows[-1]
        timed = [w for w, _ in windows if w.latencies()] or [first]
        first, last = timed[0], timed[-1]  # p95 over the first and last windows with answers
        r0, r1 = s0.get("VmRSS", float("nan")), s1.get("VmRSS", float("nan"))
        print(f"RSS first -> last window: {r0:.0f} -> {r1:.0f} MB "
              f"({100 * (r1 - r0) / r0:+.1f}%)" if r0 == r0 and r0 else "RSS: n/a")
        print(f"threads {s0.get('Threads', 0):.0f} -> {s1.get('Threads', 0):.0f}, "
              f"fds {s0.get('fds', 0):.0f} -> {s1.get('fds', 0):.0f}")
        print(f"p95 first -> last window: {fmt_ms(percentile(first.latencies(), 95))} -> "
              f"{fmt_ms(percentile(last.latencies(), 95))} ms")
    recs = [r for w, _ in windows for r in w.records]
    errors = sum(w.errors() for w, _ in windows)
    unanswered = sum(r.reply_at is None for r in recs)
    print(f"errors {errors}, cancelled (-32800) "
          f"{sum(r.error == REQUEST_CANCELLED for r in recs)}, never answered {unanswered}")
    print(f"still alive and answering: {answering}; exit code after shutdown: {code}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=10_000)
    p.add_argument("--max-minutes", type=float, default=30.0, help="stop here in any case")
    p.add_argument("--window", type=int, default=1000, help="requests per printed window")
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--chars", type=int, default=120, help="characters typed per cycle")
    p.add_argument("--interval-ms", type=float, default=40.0,
                   help="ms between keys; 0 types the next key when the answer came")
    p.add_argument("--fast-every", type=int, default=2,
                   help="every n-th cycle types the next key when the answer came (0: never)")
    p.add_argument("--max-tokens", type=int, default=8)
    p.add_argument("--large-max-tokens", type=int, default=48)
    p.add_argument("--large-every", type=int, default=10)
    p.add_argument("--prefix-tokens", type=int, default=512)
    p.add_argument("--n-ctx", type=int, default=2048)
    p.add_argument("--model", default="")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--answer-timeout-s", type=float, default=60.0)
    p.add_argument("--log-dir", default=str(Path(tempfile.gettempdir()) / "slm-lsp-bench"))
    return asyncio.run(run(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
