"""Keystroke-to-answer latency of automatic inline completion, replayed from real files.

    python benchmarks/latency.py [--file F ...] [--chars N] [--model ID|PATH|realsize:NAME]
                                 [--threads N] [--interval-ms 80] [--prefix-tokens 1536]
                                 [--n-ctx 4096] [--configs on,off]

Two servers run side by side on the same replay, files interleaved: ``on`` (the defaults: KV
reuse, completion cache, speculation) and ``off`` (``kvReuse``, ``completion.cache`` and
``completion.speculative`` false). Each file is opened with a span cut out after a full prefix
window and typed back one key every ``--interval-ms`` (0: the next key as soon as the answer
came). The floor is this process decoding with llama-cpp-python directly: ms per token for a
greedy decode after a prompt as long as the replay's median window, times the tokens the server
generated for each answer. Ratios, not absolute figures, are what carry from a busy machine to a
quiet one.

CPU: the server process's user + system seconds (all threads) from ``/proc``, per answered
request (while it was in flight), over each replay and over the whole run (model load
excluded), and per accepted character: the characters of suggestions the user typed through.
``--json OUT`` writes the figures (``benchmarks/plot_sizes.py`` plots runs at several sizes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.lspclient import LspProcess, server_command  # noqa: E402
from benchmarks.replay import (  # noqa: E402
    LANGUAGES,
    REQUEST_CANCELLED,
    ReplayResult,
    corpus_files,
    cpu_figures,
    fmt_ms,
    fmt_s,
    load_average,
    percentile,
    proc_status,
    replay,
    server_stats,
    start_offset,
    typing_document,
)

# The server's own parts of a model answer's overhead, as its stats records name them.
OVERHEAD_PARTS = ("snapshotMs", "buildMs", "postMs", "waitMs")

CONFIGS = {
    "on": {"kvReuse": True, "completion": {"cache": True, "speculative": True}},
    "off": {"kvReuse": False, "completion": {"cache": False, "speculative": False}},
}


def settings_for(config: str, args: argparse.Namespace) -> dict:
    base = {"nCtx": args.n_ctx, "logLevel": "info",
            "context": {"prefixTokens": args.prefix_tokens, "suffixTokens": args.suffix_tokens},
            "completion": {"maxTokens": args.max_tokens,
                           "timeBudgetMs": args.time_budget_ms}}
    if args.model:
        base["model"] = args.model
    if args.threads:
        base["nThreads"] = args.threads
    over = CONFIGS[config]
    return {**base, **{k: v for k, v in over.items() if k != "completion"},
            "completion": {**base["completion"], **over["completion"]}}


# -- the model in this process: vocabulary, prompt size, decode floor -------------------------
class Floor:
    """The model loaded here, for counting tokens and for the raw decode speed."""

    def __init__(self, model: str, threads: int, n_ctx: int):
        from slm_lsp.engine.native import new_llama, physical_cores
        from slm_lsp.models.registry import choose_model

        self.choice = choose_model(model)
        self.path = str(self.choice.path)
        self.threads = threads or physical_cores()
        self.llm = new_llama(model_path=self.path, n_ctx=n_ctx, n_threads=self.threads,
                              n_threads_batch=self.threads, n_batch=256, n_ubatch=256,
                              logits_all=False, verbose=False)

    def count(self, text: str) -> int:
        if not text:
            return 0
        return len(self.llm.tokenize(text.encode("utf-8", "replace"), add_bos=False,
                                     special=False))

    def ms_per_token(self, context: int = 0, n_tokens: int = 32, repeats: int = 5) -> float:
        """Median ms per greedily decoded token (argmax + one eval), after a prompt of
        ``context`` tokens of real code (0: a one-line prompt)."""
        import numpy as np

        llm = self.llm
        prompt = llm.tokenize(b"def parse_version(text):\n    ", add_bos=True)
        if context:
            code = Path(__file__).read_bytes() * (1 + context // 2000)
            prompt = llm.tokenize(code, add_bos=True)[:context]
        llm.reset()
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        llm.eval(prompt)
        n_vocab = llm.n_vocab()
        runs = []
        for _ in range(repeats):
            llm._ctx.kv_cache_seq_rm(-1, len(prompt) - 1, -1)
            llm.n_tokens = len(prompt) - 1
            llm.eval(prompt[-1:])
            t0 = time.perf_counter()
            for _ in range(n_tokens):
                logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))
                llm.eval([int(np.argmax(logits))])
            runs.append((time.perf_counter() - t0) * 1000 / n_tokens)
        return percentile(runs, 50)

    def prompt_size(self, text: str, offset: int, args: argparse.Namespace) -> tuple[int, int]:
        """(prefix, suffix) tokens of the window the server cuts at ``offset``."""
        from slm_lsp.context.window import build_window

        suffix_budget = args.suffix_tokens if self.choice.format.is_fim else 0
        w = build_window(text, offset, self.count, args.prefix_tokens, suffix_budget)
        return w.prefix_tokens, w.suffix_tokens

    def describe(self, ms_per_token: float) -> dict:
        """The model, for a figures file: id, file, size, parameters, threads, floor."""
        return {"id": self.choice.id, "path": self.path,
                "size_mb": os.path.getsize(self.path) / 1e6,
                "params": self.llm._model.n_params(), "threads": self.threads,
                "floor_ms_per_token": ms_per_token}

    def close(self) -> None:
        self.llm.close()


# -- summaries --------------------------------------------------------------------------------
def summarize(runs: list[ReplayResult], stats: list[dict], floor_ms: float,
              count: callable, total_cpu_s: float | None = None) -> dict:
    """The figures of one configuration over its replays. CPU per accepted character divides
    ``total_cpu_s`` (the server's whole run; default: the replays' own CPU) by the keys the
    user typed through a matching suggestion."""
    recs = [r for run in runs for r in run.records]
    answered = [r for r in recs if r.answered]
    lat = [r.latency_ms for r in answered]
    shown = [r for r in answered if r.text]
    by_id = {e.get("id"): e for s in stats for e in s.get("recent", [])}
    model_answers = [(r, e) for r in answered
                     if (e := by_id.get(r.id)) and e.get("source") == "model"]
    model = [e for _, e in model_answers]
    # The answers the model generated tokens for, beside the raw decode of as many tokens.
    # (Without the server's stats, the non-empty answers, their text re-tokenized here.)
    if by_id:
        decoded = [(r, e["tokens"]) for r, e in model_answers if e["tokens"] > 0]
    else:
        decoded = [(r, count(r.text)) for r in shown]
    floors = [n * floor_ms for _, n in decoded]
    decoded_lat = [r.latency_ms for r, _ in decoded]
    ratios = [(r, a / f) for (r, _), a, f in zip(decoded, decoded_lat, floors, strict=True)]
    evaluated = [e["evaluatedTokens"] for e in model]
    overhead = [r.latency_ms - e["promptMs"] - e["decodeMs"] for r, e in model_answers]
    # Where the overhead goes: the server's own parts; the rest of the handler (hand-overs
    # between the event loop and the inference thread); outside the handler (JSON-RPC both
    # ways, and the didChange before the request).
    parts = {k: percentile([e.get(k, math.nan) for e in model], 50) for k in OVERHEAD_PARTS}
    in_handler = [e["handlerMs"] - e["promptMs"] - e["decodeMs"] - sum(
        e.get(k, 0.0) for k in OVERHEAD_PARTS) for e in model if "handlerMs" in e]
    outside = [r.latency_ms - e["handlerMs"] for r, e in model_answers if "handlerMs" in e]
    cached = [e for r in answered if (e := by_id.get(r.id)) and e.get("source") != "model"]
    stop = [r.stop_ms for r in recs if r.stop_ms is not None]
    entries = [e for st in stats for e in st.get("recent", [])]
    freed = [e["stopMs"] for e in entries if e.get("stopMs") is not None]
    replay_cpu = sum(run.cpu_s for run in runs)
    cold_cpu = sum(run.cold_cpu_s for run in runs if run.cold_cpu_s == run.cold_cpu_s)
    cpu = cpu_figures([r.cpu_s for r in answered],
                      replay_cpu if total_cpu_s is None else total_cpu_s,
                      sum(run.through_keys for run in runs))
    return {
        **cpu, "replay_cpu_s": replay_cpu,
        # Cancelled requests, speculation, notifications: all but answers and cold prompts.
        "replay_rest_s": replay_cpu - cpu["cpu_requests_s"] - cold_cpu,
        "cpu_per_key_s": replay_cpu / len(recs) if recs else math.nan,
        "cold_cpu_total_s": cold_cpu,
        "cold_cpu_s": percentile([run.cold_cpu_s for run in runs
                                  if run.cold_cpu_s == run.cold_cpu_s], 50),
        "requests": len(recs), "answered": len(answered), "shown": len(shown),
        "p50": percentile(lat, 50), "p95": percentile(lat, 95),
        "shown_p50": percentile([r.latency_ms for r in shown], 50),
        "fresh_p50": percentile([r.latency_ms for r in shown if not r.through], 50),
        "fresh": sum(not r.through for r in shown),
        "decoded": len(decoded), "decoded_p50": percentile(decoded_lat, 50),
        "decoded_tokens_p50": percentile([n for _, n in decoded], 50),
        "floor_p50": percentile(floors, 50),
        "per_answer_p50": percentile([x for _, x in ratios], 50),
        "shown_decoded": sum(bool(r.text) for r, _ in ratios),
        "shown_per_answer_p50": percentile([x for r, x in ratios if r.text], 50),
        "eval_p50": percentile(evaluated, 50), "eval_p95": percentile(evaluated, 95),
        "prompt_p50": percentile([e["promptTokens"] for e in model], 50),
        "cache_share": len(cached) / len(answered) if by_id and answered else math.nan,
        "through": sum(r.through for r in recs),
        "through_keys": sum(run.through_keys for run in runs),
        "cancels": sum(r.cancel_sent is not None for r in recs),
        "cancelled": sum(r.error == REQUEST_CANCELLED for r in recs),
        "stale": sum(r.stale for r in recs),
        "errors": sum(r.error not in (None, REQUEST_CANCELLED) for r in recs),
        "stop_p50": percentile(stop, 50), "stop_p95": percentile(stop, 95),
        "freed_p50": percentile(freed, 50), "freed_p95": percentile(freed, 95),
        "wait_p50": percentile([e["waitMs"] for e in entries if "waitMs" in e], 50),
        "overhead_p50": percentile(overhead, 50),
        "overhead_parts": parts, "in_handler_p50": percentile(in_handler, 50),
        "outside_p50": percentile(outside, 50),
        "seconds": sum(run.seconds for run in runs),
        "cold_ms": percentile([run.cold_ms for run in runs if run.cold_ms == run.cold_ms], 50),
    }


def _ratio(a: float, b: float) -> str:
    return "n/a" if not (a == a and b == b) or b <= 0 else f"{a / b:.2f}x"


def _times(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}x"


def _share(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.0f}%"


def report(title: str, on: dict, off: dict, rss: dict, has_stats: bool) -> None:
    rows = [
        ("requests / answered / non-empty", lambda s: f"{s['requests']}/{s['answered']}/"
                                                      f"{s['shown']}"),
        ("first request, cold prompt ms", lambda s: fmt_ms(s["cold_ms"])),
        ("keystroke->answer p50 ms", lambda s: fmt_ms(s["p50"])),
        ("keystroke->answer p95 ms", lambda s: fmt_ms(s["p95"])),
        ("non-empty answer p50 ms", lambda s: fmt_ms(s["shown_p50"])),
        ("non-empty, not type-through p50 (n)", lambda s: f"{fmt_ms(s['fresh_p50'])} "
                                                          f"({s['fresh']})"),
        ("answers the model decoded (n)", lambda s: str(s["decoded"])),
        ("  their tokens p50", lambda s: fmt_ms(s["decoded_tokens_p50"])),
        ("  their keystroke->answer p50 ms", lambda s: fmt_ms(s["decoded_p50"])),
        ("  floor: raw decode, p50 ms", lambda s: fmt_ms(s["floor_p50"])),
        ("  p50 / floor p50", lambda s: _ratio(s["decoded_p50"], s["floor_p50"])),
        ("  per answer, answer / floor p50", lambda s: _times(s["per_answer_p50"])),
        ("  the same, non-empty answers (n)", lambda s: f"{_times(s['shown_per_answer_p50'])} "
                                                        f"({s['shown_decoded']})"),
        ("prompt tokens (server) p50", lambda s: fmt_ms(s["prompt_p50"])),
        ("evaluated prompt tokens p50/p95", lambda s: f"{fmt_ms(s['eval_p50'])}/"
                                                      f"{fmt_ms(s['eval_p95'])}"),
        ("answers from cache (server)", lambda s: _share(s["cache_share"])),
        ("type-through answers (client)", lambda s: f"{s['through']} of "
                                                    f"{s['through_keys']} keys"),
        ("server overhead p50 ms", lambda s: fmt_ms(s["overhead_p50"])),
        ("  snapshot/prompt/filters/wait p50", lambda s: "/".join(
            fmt_ms(s["overhead_parts"][k]) for k in OVERHEAD_PARTS)),
        ("  rest of the handler p50 ms", lambda s: fmt_ms(s["in_handler_p50"])),
        ("  outside the handler p50 ms", lambda s: fmt_ms(s["outside_p50"])),
        ("cancels sent / -32800 / late", lambda s: f"{s['cancels']}/{s['cancelled']}/"
                                                   f"{s['stale']}"),
        ("cancel->response p50/p95 ms", lambda s: f"{fmt_ms(s['stop_p50'])}/"
                                                  f"{fmt_ms(s['stop_p95'])}"),
        ("cancel->thread free p50/p95 ms", lambda s: f"{fmt_ms(s['freed_p50'])}/"
                                                     f"{fmt_ms(s['freed_p95'])}"),
        ("wait for the inference thread p50", lambda s: fmt_ms(s["wait_p50"])),
        ("errors", lambda s: str(s["errors"])),
        ("wall s", lambda s: f"{s['seconds']:.1f}"),
        ("server CPU s per answered request p50", lambda s: fmt_s(s["cpu_p50_s"])),
        ("  mean", lambda s: fmt_s(s["cpu_mean_s"])),
        ("  first request, cold prompt", lambda s: fmt_s(s["cold_cpu_s"])),
        ("server CPU s in the replay", lambda s: fmt_s(s["replay_cpu_s"], 1)),
        ("  answered requests/cold prompt/rest", lambda s: f"{fmt_s(s['cpu_requests_s'], 1)}/"
                                                           f"{fmt_s(s['cold_cpu_total_s'], 1)}/"
                                                           f"{fmt_s(s['replay_rest_s'], 1)}"),
        ("  per key typed", lambda s: fmt_s(s["cpu_per_key_s"])),
        ("accepted chars (typed through)", lambda s: str(s["accepted_chars"])),
        ("server CPU s per accepted char", lambda s: fmt_s(s["cpu_per_char_s"])),
    ]
    print(f"\n== {title}")
    print(f"{'':34}{'on (reuse+caches)':>20}{'off' if off is not None else '':>14}")
    for label, get in rows:
        print(f"{label:34}{get(on):>20}{get(off) if off is not None else '':>14}")
    if off is not None:
        print(f"{'p50 off / p50 on':34}{_ratio(off['p50'], on['p50']):>20}")
        print(f"{'same, non-empty, not type-through':34}"
              f"{_ratio(off['fresh_p50'], on['fresh_p50']):>20}")
    if rss:
        print(f"{'peak RSS MB (VmHWM)':34}{rss.get('on', 0):>20.0f}"
              f"{fmt_ms(rss.get('off', math.nan)) if off is not None else '':>14}")
    if "cpu_run" in on:
        def run_cpu(s: dict) -> str:
            return f"{fmt_s(s['cpu_run'], 1)} / {s['wall_run']:.0f}"

        print(f"{'server CPU s / wall s, whole run':34}{run_cpu(on):>20}"
              f"{run_cpu(off) if off is not None else '':>14}")
        print(f"{'model load, CPU s (not in the above)':34}{fmt_s(on['cpu_load'], 1):>20}"
              f"{fmt_s(off['cpu_load'], 1) if off is not None else '':>14}")
    if not has_stats:
        print("  (evaluated tokens, cache share and overhead need the server's slmLsp/stats; "
              "see benchmarks/LATENCY.md)")


async def run(args: argparse.Namespace) -> int:
    configs = [c for c in CONFIGS if c in args.configs.split(",")]
    if "on" not in configs:
        raise SystemExit("--configs must include on")
    files = corpus_files(args.file)
    print("measuring the floor (llama-cpp-python in this process)...", flush=True)
    if args.model:
        from benchmarks.realsize import resolve_model

        args.model = resolve_model(args.model)
    floor = Floor(args.model, args.threads, args.n_ctx)
    short_ms = floor.ms_per_token()
    size_mb = os.path.getsize(floor.path) / 1e6
    plans = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        start = start_offset(text, floor.count, args.prefix_tokens + 32)
        chars = len(typing_document(text, start, args.chars)[1])
        pre, suf = floor.prompt_size(text, start, args)
        plans.append((path, text, start, chars, pre, suf))
    # The floor decodes at the depth the server's answers decode at: after a prompt of the
    # median window (a token costs more after 1,800 tokens of context than after ten).
    depth = int(percentile([pre + suf for *_, pre, suf in plans], 50))
    ms_tok = floor.ms_per_token(depth)
    print(f"model {floor.choice.id} ({size_mb:.0f} MB, {floor.path}), threads {floor.threads}; "
          f"floor {ms_tok:.1f} ms/token after {depth} tokens ({short_ms:.1f} after 10)",
          flush=True)
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = {c: LspProcess(server_command(), stderr_path=log_dir / f"latency-{c}.log")
               for c in configs}
    results: dict[str, list[ReplayResult]] = {c: [] for c in configs}
    stats: dict[str, list[dict]] = {c: [] for c in configs}
    per_file: list[tuple[str, dict, dict]] = []
    rss: dict[str, float] = {}
    # The server's CPU seconds and wall clock when its model was ready and at the end.
    cpu_ready: dict[str, tuple[float, float]] = {}
    cpu_end: dict[str, tuple[float, float]] = {}
    load_before = load_average()
    has_stats = True
    try:
        for c, server in servers.items():
            server.start()
            ready = await server.initialize_async(settings_for(c, args))
            cpu_ready[c] = (server.cpu(), time.perf_counter())
            print(f"server {c}: pid {server.pid}, model ready in {ready:.1f} s "
                  f"({cpu_ready[c][0]:.1f} CPU s)", flush=True)
        for n, (path, text, start, chars, pre, suf) in enumerate(plans):
            line = text.count("\n", 0, start) + 1
            print(f"\n{path.name}: typing {chars} chars from line {line}; prompt window "
                  f"{pre} prefix + {suf} suffix tokens", flush=True)
            order = configs if n % 2 == 0 else configs[::-1]
            file_runs: dict[str, tuple[ReplayResult, dict]] = {}
            for c in order:
                server = servers[c]
                lang = LANGUAGES.get(path.suffix, "plaintext")
                uri = f"file:///bench/{c}/{n}/{path.name}"
                res = await replay(server, uri, lang, text, start, chars,
                                   interval_s=args.interval_ms / 1000,
                                   line_pause_s=args.line_pause_ms / 1000)
                st = await server_stats(server) or {}
                has_stats = has_stats and bool(st)
                results[c].append(res)
                stats[c].append(st)
                file_runs[c] = (res, st)
                await asyncio.sleep(args.settle_s)
            per_file.append((path.name, *(summarize([file_runs[c][0]], [file_runs[c][1]],
                                                    ms_tok, floor.count) if c in file_runs
                                          else None for c in CONFIGS)))
        for c, server in servers.items():
            rss[c] = proc_status(server.pid).get("VmHWM", float("nan"))
            cpu_end[c] = (server.cpu(), time.perf_counter())
    finally:
        for server in servers.values():
            await server.stop_async()
    with open(log_dir / "latency-answers.jsonl", "w", encoding="utf-8") as out:
        for c in configs:  # every answered request beside its server record, for a closer look
            by_id = {e.get("id"): e for st in stats[c] for e in st.get("recent", [])}
            for run in results[c]:
                for r in run.records:
                    if r.answered:
                        out.write(json.dumps({"config": c, "latencyMs": round(r.latency_ms, 2),
                                              "text": r.text, "through": r.through,
                                              "server": by_id.get(r.id)}) + "\n")
    print(f"answers with their server records: {log_dir / 'latency-answers.jsonl'}")
    for name, on, off in per_file:
        report(name, on, off, {}, True)
    load_after = load_average()
    totals = {}
    for c in configs:
        run_cpu = cpu_end[c][0] - cpu_ready[c][0]
        totals[c] = {**summarize(results[c], stats[c], ms_tok, floor.count, run_cpu),
                     "cpu_run": run_cpu, "wall_run": cpu_end[c][1] - cpu_ready[c][1],
                     "cpu_load": cpu_ready[c][0], "rss_mb": rss.get(c, math.nan)}
    report(f"all files (interval {args.interval_ms} ms/key; model {size_mb:.0f} MB; "
           f"floor {ms_tok:.1f} ms/token)", totals["on"], totals.get("off"), rss, has_stats)
    print(f"load average before / after: {' '.join(f'{x:.2f}' for x in load_before)} / "
          f"{' '.join(f'{x:.2f}' for x in load_after)} (1, 5, 15 min; {os.cpu_count()} CPUs)")
    if args.json:
        write_json(args.json, "latency", floor.describe(ms_tok), vars(args),
                   (load_before, load_after),
                   {c: {**t, "kinds": {"answered": {
                       "n": t["answered"], "p50_ms": t["p50"], "cpu_p50_s": t["cpu_p50_s"],
                       "cpu_mean_s": t["cpu_mean_s"]}}} for c, t in totals.items()})
    floor.close()
    return 0


def write_json(path: str, benchmark: str, model: dict, args: dict, load: tuple,
               configs: dict) -> None:
    """The figures of a run, for ``plot_sizes.py``: the model (``Floor.describe``), the
    machine's load, and per configuration its figures and ``kinds`` (per kind of request: n,
    latency p50, CPU seconds p50 and mean)."""
    doc = {"benchmark": benchmark, "model": model,
           "load_average": {"before": list(load[0]), "after": list(load[1]),
                            "cpus": os.cpu_count()},
           "args": args, "configs": configs}
    Path(path).write_text(json.dumps(doc, indent=1, default=str,
                                     allow_nan=True) + "\n", encoding="utf-8")
    print(f"figures: {path}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", action="append", default=[], help="file to replay (repeatable; "
                   "default: every file of benchmarks/corpus_typing)")
    p.add_argument("--chars", type=int, default=200, help="characters typed per file")
    p.add_argument("--configs", default="on,off",
                   help="on,off or on (the real-size models take minutes per prompt off)")
    p.add_argument("--model", default="", help="model id or GGUF path (default: the server's)")
    p.add_argument("--threads", type=int, default=0, help="model threads (0: physical cores)")
    p.add_argument("--interval-ms", type=float, default=80.0,
                   help="ms between keys; 0 types the next key when the answer came")
    p.add_argument("--line-pause-ms", type=float, default=0.0,
                   help="extra pause after each line break (a user reading the suggestion)")
    p.add_argument("--time-budget-ms", type=int, default=2500,
                   help="the server's completion.timeBudgetMs")
    p.add_argument("--prefix-tokens", type=int, default=1536)
    p.add_argument("--suffix-tokens", type=int, default=256)
    p.add_argument("--n-ctx", type=int, default=4096)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--settle-s", type=float, default=0.5,
                   help="pause between runs (speculation of the last answer finishes)")
    p.add_argument("--log-dir", default=str(Path(tempfile.gettempdir()) / "slm-lsp-bench"),
                   help="where the servers' stderr goes")
    p.add_argument("--json", default="", metavar="OUT",
                   help="write the figures here (for benchmarks/plot_sizes.py)")
    args = p.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
