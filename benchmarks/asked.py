"""What an asked-for completion costs: the first Invoked request at a place, and the editor's
cycle there, beside one greedy answer of the same length on the same model, in one run.

    python benchmarks/asked.py [--model ID|PATH|realsize:NAME] [--tasks 30] [--split locked]
                               [--threads N] [--json OUT]

The tasks are the quality benchmark's (``tasks.py``: holes cut with tree-sitter in real code,
line, mid-line and block). For each, the server over stdio opens the holed file and receives:

- the *first ask*: an Invoked inline completion (the user asked, and waits for it);
- the *cycle*: a second Invoked request at the same place, as VS Code sends for its next-item
  key and the Neovim plugin for its cycle key (the candidates are decoded then).

The *greedy answer* beside them is the floor of one greedy answer of the same length: the same
GGUF, loaded in this process with llama-cpp-python (no server, no context, no filters), evaluates
as many prompt tokens as the server evaluated for the first ask (after as many tokens as it had
cached), then decodes as many tokens as the server decoded, one at a time. It runs right after
each task's requests, so both see the machine in the same state. Speculation is off in the
server for this run (it would use the cores while the floor runs); everything else is default.

Printed: p50 and p95 of each, the ratios first ask / greedy and cycle / greedy (of the p50s and
the median of the per-task ratios), items per cycle, and the share of first asks that decoded
candidates (when the filters dropped the greedy answer, the first ask decodes them at once).
``realsize:NAME`` uses a random-weight model of a real shape (``benchmarks/realsize.py``): its
text is noise, its speed is the real model's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_models, tasks  # noqa: E402
from benchmarks.latency import Floor  # noqa: E402
from benchmarks.lspclient import LspProcess, inline_params, inline_text  # noqa: E402
from benchmarks.realsize import resolve_model  # noqa: E402
from benchmarks.replay import fmt_ms, load_average, percentile, server_stats  # noqa: E402


def greedy_ms(floor: Floor, code: list[int], cached: int, evaluated: int, decoded: int) -> float:
    """Milliseconds to evaluate ``evaluated`` prompt tokens after ``cached`` ones, then greedily
    decode ``decoded`` tokens, one per evaluation (the floor of one greedy answer)."""
    import numpy as np

    llm = floor.llm
    n_ctx = llm.n_ctx()
    cached = max(0, min(cached, n_ctx - evaluated - decoded - 2))
    prompt = (code * (1 + (cached + evaluated) // max(1, len(code))))[:cached + evaluated]
    llm.reset()
    llm._ctx.kv_cache_seq_rm(-1, 0, -1)
    if cached:
        llm.eval(prompt[:cached])
    n_vocab = llm.n_vocab()
    t0 = time.perf_counter()
    llm.eval(prompt[cached:] or prompt[-1:])
    for _ in range(decoded):
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))
        llm.eval([int(np.argmax(logits))])
    return (time.perf_counter() - t0) * 1000


async def ask(server: LspProcess, uri: str, line: int, character: int) -> dict:
    """One Invoked inline completion: the client's wall time, the items, the server's CPU."""
    t0 = time.perf_counter()
    reply = await server.request_async("textDocument/inlineCompletion",
                                       inline_params(uri, line, character, True), timeout=600)
    text, items = inline_text(reply.result)
    return {"ms": (reply.at - t0) * 1000, "items": items, "text": text, "cpu_s": reply.cpu_s,
            "error": reply.error.get("message") if reply.error else ""}


def model_record(stats: dict | None) -> dict:
    """The newest record of a model answer in an ``slmLsp/stats`` reply ({} when none)."""
    for rec in reversed((stats or {}).get("recent") or []):
        if isinstance(rec, dict) and rec.get("source") == "model":
            return rec
    return {}


async def run(args: argparse.Namespace) -> dict:
    model = resolve_model(bench_models.resolve(args.model))
    task_list = tasks.tasks_for(args.tasks, ",".join(tasks.KINDS), ",".join(tasks.LANGUAGES),
                                split=args.split, seed=args.seed)
    floor = Floor(model, args.threads, args.n_ctx)
    code = floor.llm.tokenize("\n".join(t.holed for t in task_list).encode(), add_bos=False)
    settings: dict = {"model": model, "nCtx": args.n_ctx,
                      "completion": {"speculative": False}}
    if args.threads:
        settings["nThreads"] = args.threads
    server = LspProcess()
    server.start()
    rows = []
    load_before = load_average()
    try:
        await server.initialize_async(settings)
        for i, task in enumerate(task_list):
            uri = f"file:///bench/{task.path}"
            server.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": task.language, "version": 1, "text": task.holed}})
            seq = ((await server_stats(server)) or {}).get("seq", 0)
            first = await ask(server, uri, task.line, task.column_utf16)
            rec = model_record(await server_stats(server, seq))
            seq = ((await server_stats(server)) or {}).get("seq", seq)
            cycle = await ask(server, uri, task.line, task.column_utf16)
            cycle_rec = model_record(await server_stats(server, seq))
            server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            # A first ask whose greedy answer the filters dropped ran twice (the candidates
            # after it): the greedy answer is its first run's.
            evaluated = int(rec.get("firstEvaluatedTokens", rec.get("evaluatedTokens")) or 0)
            cached = int(rec.get("promptTokens") or 0) - evaluated
            decoded = int(rec.get("firstTokens", rec.get("tokens")) or 0)
            floor_ms = greedy_ms(floor, code, cached, evaluated, decoded)
            rows.append({"task": task.id, "first_ms": first["ms"], "cycle_ms": cycle["ms"],
                         "greedy_ms": floor_ms, "first_items": first["items"],
                         "cycle_items": cycle["items"], "first_cpu_s": first["cpu_s"],
                         "cycle_cpu_s": cycle["cpu_s"], "prompt_tokens": cached + evaluated,
                         "evaluated": evaluated, "decoded": decoded,
                         "first_alt_tokens": int(rec.get("altTokens") or 0),
                         "first_runs": int(rec.get("runs") or 1),
                         "first_run_ms": float(rec.get("firstRunMs") or 0.0),
                         "cycle_alt_tokens": int(cycle_rec.get("altTokens") or 0),
                         "window": rec.get("window", ""),
                         "errors": [e for e in (first["error"], cycle["error"]) if e]})
            if not args.quiet:
                print(f"{i + 1}/{len(task_list)} {task.id}: first {first['ms']:.0f} ms, cycle "
                      f"{cycle['ms']:.0f} ms ({cycle['items']} items), greedy "
                      f"{floor_ms:.0f} ms ({evaluated} + {decoded} tokens)",
                      file=sys.stderr, flush=True)
    finally:
        await server.stop_async()
    return {"model": args.model, "path": model, "split": args.split, "rows": rows,
            "threads": floor.threads, "load_average": [load_before, load_average()]}


def report(result: dict) -> str:
    rows = [r for r in result["rows"] if not r["errors"]]
    if not rows:
        return "no answers"

    def col(key: str) -> list[float]:
        return [r[key] for r in rows]

    first, cycle, greedy = col("first_ms"), col("cycle_ms"), col("greedy_ms")
    g50 = percentile(greedy, 50)
    lines = [f"model {result['model']}, {len(rows)} tasks (split {result['split']}), "
             f"{result['threads']} threads, load average {result['load_average'][0][0]:.2f} -> "
             f"{result['load_average'][1][0]:.2f}", "",
             "| request | p50 ms | p95 ms | p50 / greedy p50 | median of per-task ratios |",
             "|---|---|---|---|---|"]
    for name, values in (("first ask", first), ("cycle", cycle), ("greedy answer", greedy)):
        per_task = statistics.median(v / g for v, g in zip(values, greedy, strict=True) if g > 0)
        lines.append(f"| {name} | {fmt_ms(percentile(values, 50))} | "
                     f"{fmt_ms(percentile(values, 95))} | "
                     f"{percentile(values, 50) / g50:.2f} | {per_task:.2f} |")
    alt_first = sum(1 for r in rows if r["first_alt_tokens"])
    kept = [r for r in rows if r.get("first_runs", 1) == 1]
    if kept and len(kept) < len(rows):
        # The first asks whose greedy answer the filters kept: one run, one answer.
        k50, kg50 = (percentile([r[key] for r in kept], 50) for key in ("first_ms", "greedy_ms"))
        lines.append(f"| first ask, greedy answer kept ({len(kept)}) | {fmt_ms(k50)} | "
                     f"{fmt_ms(percentile([r['first_ms'] for r in kept], 95))} | "
                     f"{k50 / kg50:.2f} (against its tasks' greedy p50, {fmt_ms(kg50)}) | "
                     f"{statistics.median(r['first_ms'] / r['greedy_ms'] for r in kept):.2f} |")
    run_ms = [r["first_run_ms"] for r in rows if r.get("first_run_ms")]
    if run_ms:
        lines.append(f"| first ask's greedy run, in the server (prompt + decoding) | "
                     f"{fmt_ms(percentile(run_ms, 50))} | {fmt_ms(percentile(run_ms, 95))} | "
                     f"{percentile(run_ms, 50) / g50:.2f} | |")
    lines += ["",
              f"items per cycle: mean {statistics.mean(col('cycle_items')):.2f} "
              f"(first ask: {statistics.mean(col('first_items')):.2f}); first asks that "
              f"decoded candidates (greedy answer dropped by the filters): {alt_first}/"
              f"{len(rows)}; short windows: "
              f"{sum(1 for r in rows if r['window'] == 'short')}/{len(rows)}",
              f"tokens p50: prompt {percentile(col('prompt_tokens'), 50):.0f}, evaluated "
              f"{percentile(col('evaluated'), 50):.0f}, decoded "
              f"{percentile(col('decoded'), 50):.0f}; server CPU p50: first ask "
              f"{percentile(col('first_cpu_s'), 50):.2f} s, cycle "
              f"{percentile(col('cycle_cpu_s'), 50):.2f} s"]
    failed = len(result["rows"]) - len(rows)
    if failed:
        lines.append(f"{failed} tasks left out: a request failed")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="smollm2-135m",
                    help="models.toml id, GGUF path or realsize:NAME")
    ap.add_argument("--tasks", type=int, default=30)
    ap.add_argument("--split", default="locked", choices=tasks.SPLITS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    result = asyncio.run(run(args))
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
