"""What a move costs: typing in place, the first completion at a new place, and a return to a
place left a few stops ago, in one run, beside the same server without the kept places.

    python benchmarks/moves.py [--model ID|PATH|realsize:NAME] [--threads N] [--rounds 3]
                               [--chars 3] [--pause-ms 500] [--max-tokens 16]
                               [--configs on,full,off]

Two files are open: a large one (``semver.js``) with places in several functions, and a second
one (``text_document.py``). At each place a line's code after its indentation is cut out, as if
the user were about to write it. The editor then moves between places in groups of three
(two functions of the large file and one of the other file), ``--rounds`` times around each
group: at each stop it types the line's next character and sends an Invoked inline completion,
waits for the answer, and types ``--chars`` more characters, each followed by an Invoked request
answered before the next key; ``--pause-ms`` passes after each answer (the user reads, types).
The first request of a stop is a *new place* (first visit) or a *return* (the place was left
two stops ago); the others are *in place*.

Printed per configuration: p50 of each kind, the ratios to in-place p50, in-place answers over
the raw decode floor of as many tokens (llama-cpp-python in this process, after a prompt of the
median prompt size), and the server's peak RSS beside the model size and the cache budget.

Configurations: ``on`` (the defaults: kept places, a first answer from a short window),
``full`` (kept places, always the full window: ``completion.firstAnswerMs`` 0) and ``off``
(``kvCacheMb`` 0 too: only the live cache). Both run with the
completion cache and speculation off, so that every answer is the model's. ``realsize:NAME``
builds or reuses a random-weight model of a real shape (``benchmarks/realsize.py``).

CPU: the server process's user + system seconds (all threads, from ``/proc``) while each
request was in flight, p50 and mean per kind beside the latency, and over the whole run (model
load excluded) beside the wall time, with what was spent between requests (the background
evaluation of full windows). ``--json OUT`` writes the figures for ``plot_sizes.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.latency import Floor, write_json  # noqa: E402
from benchmarks.lspclient import LspProcess, server_command  # noqa: E402
from benchmarks.realsize import resolve_model  # noqa: E402
from benchmarks.replay import (  # noqa: E402
    CORPUS,
    LANGUAGES,
    cpu_figures,
    fmt_ms,
    fmt_s,
    load_average,
    percentile,
    proc_status,
    server_stats,
)

FILES = (CORPUS / "javascript" / "semver" / "semver.js",
         CORPUS / "python" / "pygls" / "text_document.py")
# Where the places are, as fractions of each file's lines; groups of three places are visited
# in turn: two in the large file and one in the other.
GROUPS = (((0, 0.35), (0, 0.70), (1, 0.45)),
          ((0, 0.52), (1, 0.80), (0, 0.90)))

CONFIGS = {
    "on": {},
    "full": {"completion": {"firstAnswerMs": 0}},
    "off": {"kvCacheMb": 0, "completion": {"firstAnswerMs": 0}},
}


@dataclass
class Place:
    file: int
    line: int
    indent: int
    code: str  # the line's code after the indentation, cut out and typed back
    typed: int = 0


@dataclass
class Sample:
    kind: str  # "new", "return", "in-place"
    latency_ms: float
    id: int
    place: int
    cpu_s: float = float("nan")  # the server's CPU seconds while the request was in flight


@dataclass
class Result:
    samples: list[Sample] = field(default_factory=list)
    records: dict = field(default_factory=dict)
    rss_mb: float = float("nan")
    cpu_load_s: float = float("nan")  # the server's CPU seconds until its model was ready
    cpu_run_s: float = float("nan")  # from then to the last answer (and its pause)
    wall_run_s: float = float("nan")


def pick_place(lines: list[str], frac: float, min_line: int = 40) -> int:
    """The first line at or after ``frac`` of the file that is indented code long enough to
    type into (inside a function)."""
    start = max(min_line, int(len(lines) * frac))
    for i in range(start, len(lines)):
        text = lines[i]
        code = text.strip()
        if text[:1] in (" ", "\t") and len(code) >= 16 and not code.startswith(("#", "//", "*")):
            return i
    raise ValueError(f"no place to type after line {start}")


def plan() -> tuple[list[str], list[Place], list[list[int]]]:
    """The opened texts (each place's code cut out), the places, the groups of place ids."""
    texts = [p.read_text(encoding="utf-8") for p in FILES]
    lines = [t.split("\n") for t in texts]
    places: list[Place] = []
    groups: list[list[int]] = []
    for group in GROUPS:
        ids = []
        for fi, frac in group:
            line = pick_place(lines[fi], frac)
            text = lines[fi][line]
            indent = len(text) - len(text.lstrip())
            places.append(Place(fi, line, indent, text[indent:]))
            lines[fi][line] = text[:indent]
            ids.append(len(places) - 1)
        groups.append(ids)
    return ["\n".join(ls) for ls in lines], places, groups


def uri_of(config: str, fi: int) -> str:
    return f"file:///bench/moves/{config}/{FILES[fi].name}"


async def type_and_ask(server: LspProcess, config: str, place: Place, version: dict
                       ) -> tuple[int, float, float]:
    """Type the place's next character, then ask (Invoked) and wait: (request id, ms, the
    server's CPU seconds meanwhile)."""
    ch = place.code[place.typed]
    col = place.indent + place.typed
    uri = uri_of(config, place.file)
    version[uri] += 1
    server.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": version[uri]},
        "contentChanges": [{"range": {"start": {"line": place.line, "character": col},
                                      "end": {"line": place.line, "character": col}},
                            "text": ch}]})
    place.typed += 1
    msg_id, fut = server.send_async("textDocument/inlineCompletion", {
        "textDocument": {"uri": uri}, "position": {"line": place.line, "character": col + 1},
        "context": {"triggerKind": 1}})
    t0 = time.perf_counter()
    reply = await asyncio.wait_for(fut, 300)
    if reply.error:
        raise RuntimeError(f"completion failed: {reply.error}")
    return msg_id, (reply.at - t0) * 1000, reply.cpu_s


async def run_config(config: str, args, texts: list[str], log_dir: Path) -> Result:
    _, places, groups = plan()
    server = LspProcess(server_command(), stderr_path=log_dir / f"moves-{config}.log")
    settings = {"model": args.model, "nCtx": args.n_ctx, "logLevel": "info",
                "completion": {"maxTokens": args.max_tokens, "cache": False,
                               "speculative": False}}
    if args.threads:
        settings["nThreads"] = args.threads
    over = CONFIGS[config]
    settings.update({k: v for k, v in over.items() if k != "completion"})
    settings["completion"].update(over.get("completion", {}))
    server.start()
    result = Result()
    try:
        ready = await server.initialize_async(settings)
        result.cpu_load_s, t_ready = server.cpu(), time.perf_counter()
        print(f"[{config}] server pid {server.pid}, model ready in {ready:.1f} s "
              f"({result.cpu_load_s:.1f} CPU s)", flush=True)
        version = {}
        for fi, path in enumerate(FILES):
            uri = uri_of(config, fi)
            version[uri] = 1
            server.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": LANGUAGES[path.suffix], "version": 1,
                "text": texts[fi]}})
        seen: set[int] = set()
        for group in groups:
            for _ in range(args.rounds):
                for pid in group:
                    place = places[pid]
                    kind = "return" if pid in seen else "new"
                    seen.add(pid)
                    msg_id, ms, cpu = await type_and_ask(server, config, place, version)
                    result.samples.append(Sample(kind, ms, msg_id, pid, cpu))
                    for _ in range(args.chars):
                        await asyncio.sleep(args.pause_ms / 1000)
                        msg_id, ms, cpu = await type_and_ask(server, config, place, version)
                        result.samples.append(Sample("in-place", ms, msg_id, pid, cpu))
                    await asyncio.sleep(args.pause_ms / 1000)
                    print(f"[{config}] place {pid} {kind}: "
                          + " ".join(f"{s.latency_ms:.0f}" for s in result.samples[
                              -(args.chars + 1):]) + " ms", flush=True)
        result.cpu_run_s = server.cpu() - result.cpu_load_s
        result.wall_run_s = time.perf_counter() - t_ready
        stats = await server_stats(server) or {}
        result.records = {e.get("id"): e for e in stats.get("recent", [])}
        result.rss_mb = proc_status(server.pid).get("VmHWM", float("nan"))
        with open(log_dir / f"moves-{config}.jsonl", "w", encoding="utf-8") as fh:
            for s in result.samples:  # each answer beside its server record
                fh.write(json.dumps({"kind": s.kind, "place": s.place,
                                     "ms": round(s.latency_ms, 1), "cpuS": s.cpu_s,
                                     **result.records.get(s.id, {})}) + "\n")
    finally:
        await server.stop_async()
    return result


def summarize(res: Result, ms_tok: float) -> dict:
    by = {k: [s for s in res.samples if s.kind == k] for k in ("in-place", "new", "return")}
    p50 = {k: percentile([s.latency_ms for s in v], 50) for k, v in by.items()}
    evaluated = {k: percentile([res.records.get(s.id, {}).get("evaluatedTokens", float("nan"))
                                for s in v], 50) for k, v in by.items()}
    short = {k: sum((res.records.get(s.id) or {}).get("window") == "short" for s in v)
             for k, v in by.items()}
    # In-place answers that decoded tokens, over the raw decode of as many tokens: all the
    # tokens decoded (the candidates of an Invoked request too), and the greedy answer's only.
    ratios, tokens, greedy = [], [], []
    for s in by["in-place"]:
        rec = res.records.get(s.id) or {}
        if rec.get("tokens", 0) > 0:
            n = rec["tokens"] + rec.get("altTokens", 0)
            ratios.append(s.latency_ms / (n * ms_tok))
            greedy.append(s.latency_ms / (rec["tokens"] * ms_tok))
            tokens.append(n)
    cpu = {k: cpu_figures([s.cpu_s for s in v], res.cpu_run_s, 0) for k, v in by.items()}
    every = cpu_figures([s.cpu_s for s in res.samples], res.cpu_run_s, 0)
    kinds = {k: {"n": len(v), "p50_ms": p50[k], "cpu_p50_s": cpu[k]["cpu_p50_s"],
                 "cpu_mean_s": cpu[k]["cpu_mean_s"]} for k, v in by.items()}
    kinds["all"] = {"n": len(res.samples),
                    "p50_ms": percentile([s.latency_ms for s in res.samples], 50),
                    "cpu_p50_s": every["cpu_p50_s"], "cpu_mean_s": every["cpu_mean_s"]}
    return {"p50": p50, "n": {k: len(v) for k, v in by.items()}, "evaluated": evaluated,
            "short": short, "cpu": cpu, "kinds": kinds,
            "cpu_requests_s": every["cpu_requests_s"], "cpu_between_s": every["cpu_between_s"],
            "cpu_run_s": res.cpu_run_s, "wall_run_s": res.wall_run_s,
            "cpu_load_s": res.cpu_load_s,
            "floor_ratio": percentile(ratios, 50), "tokens": percentile(tokens, 50),
            "greedy_ratio": percentile(greedy, 50),
            "prompt": percentile([r.get("promptTokens", 0) for r in res.records.values()], 50),
            "rss": res.rss_mb}


def _x(a: float, b: float) -> str:
    return "n/a" if not (a == a and b == b) or b <= 0 else f"{a / b:.2f}x"


async def main_async(args) -> int:
    args.model = resolve_model(args.model) if args.model else ""
    texts, places, _ = plan()
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    load_before = load_average()
    results = {}
    for config in configs:  # one server at a time: they would compete for the cores
        results[config] = await run_config(config, args, texts, log_dir)
    floor = Floor(args.model, args.threads, args.n_ctx)
    size_mb = os.path.getsize(floor.path) / 1e6
    prompt = int(percentile([summarize(r, 1.0)["prompt"] for r in results.values()], 50))
    ms_tok = floor.ms_per_token(prompt)
    model = floor.describe(ms_tok)
    floor.close()
    print(f"\nmodel {floor.choice.id} ({size_mb:.0f} MB, {floor.path}), threads "
          f"{floor.threads}; floor {ms_tok:.1f} ms/token after {prompt} tokens; "
          f"places: {len(places)}, {args.rounds} rounds per group, {args.chars} chars in place")
    load_after = load_average()
    sums = {c: summarize(r, ms_tok) for c, r in results.items()}
    rows = [
        ("in-place p50 ms (n)", lambda s: f"{fmt_ms(s['p50']['in-place'])} "
                                         f"({s['n']['in-place']})"),
        ("return p50 ms (n)", lambda s: f"{fmt_ms(s['p50']['return'])} ({s['n']['return']})"),
        ("new place p50 ms (n)", lambda s: f"{fmt_ms(s['p50']['new'])} ({s['n']['new']})"),
        ("return / in-place", lambda s: _x(s["p50"]["return"], s["p50"]["in-place"])),
        ("new place / in-place", lambda s: _x(s["p50"]["new"], s["p50"]["in-place"])),
        ("evaluated tokens p50 in-place/return/new", lambda s: "/".join(
            fmt_ms(s["evaluated"][k]) for k in ("in-place", "return", "new"))),
        ("short-window answers in-place/return/new", lambda s: "/".join(
            str(s["short"][k]) for k in ("in-place", "return", "new"))),
        ("in-place / decode floor p50 (tokens)", lambda s: f"{s['floor_ratio']:.2f}x "
                                                           f"({fmt_ms(s['tokens'])})"),
        ("  the same, greedy answer's tokens only", lambda s: f"{s['greedy_ratio']:.2f}x"),
        ("prompt tokens p50", lambda s: fmt_ms(s["prompt"])),
        ("peak RSS MB", lambda s: fmt_ms(s["rss"])),
        ("server CPU s p50 in-place/return/new", lambda s: "/".join(
            fmt_s(s["cpu"][k]["cpu_p50_s"], 2) for k in ("in-place", "return", "new"))),
        ("  mean in-place/return/new", lambda s: "/".join(
            fmt_s(s["cpu"][k]["cpu_mean_s"], 2) for k in ("in-place", "return", "new"))),
        ("server CPU s / wall s, whole run", lambda s: f"{fmt_s(s['cpu_run_s'], 1)} / "
                                                       f"{s['wall_run_s']:.0f}"),
        ("  in requests / between them", lambda s: f"{fmt_s(s['cpu_requests_s'], 1)} / "
                                                   f"{fmt_s(s['cpu_between_s'], 1)}"),
        ("model load, CPU s (not in the above)", lambda s: fmt_s(s["cpu_load_s"], 1)),
    ]
    print(f"{'':42}" + "".join(f"{c:>16}" for c in sums))
    for label, get in rows:
        print(f"{label:42}" + "".join(f"{get(s):>16}" for s in sums.values()))
    print(f"RSS bound (model + kvCacheMb + 250 MB): {size_mb + args.kv_cache_mb + 250:.0f} MB")
    print(f"load average before / after: {' '.join(f'{x:.2f}' for x in load_before)} / "
          f"{' '.join(f'{x:.2f}' for x in load_after)} (1, 5, 15 min; {os.cpu_count()} CPUs)")
    if args.json:
        write_json(args.json, "moves", model, vars(args), (load_before, load_after), sums)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="", help="model id, GGUF path or realsize:NAME")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--rounds", type=int, default=3, help="visits of each group's places")
    p.add_argument("--chars", type=int, default=3, help="keys typed in place after arriving")
    p.add_argument("--pause-ms", type=float, default=500,
                   help="after each answer, before the next key (the user reads, types)")
    p.add_argument("--max-tokens", type=int, default=16)
    p.add_argument("--n-ctx", type=int, default=2048)
    p.add_argument("--kv-cache-mb", type=int, default=1024,
                   help="the server's default budget, for the RSS bound printed")
    p.add_argument("--configs", default="on,full,off")
    p.add_argument("--log-dir", default=str(Path(tempfile.gettempdir()) / "slm-lsp-bench"))
    p.add_argument("--json", default="", metavar="OUT",
                   help="write the figures here (for benchmarks/plot_sizes.py)")
    args = p.parse_args(argv)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
