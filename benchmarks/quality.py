"""Completion quality: slm-lsp against simpler clients on the same model, on real code.

    python benchmarks/quality.py [--tasks N] [--kinds line,midline,block]
        [--langs python,javascript] [--model ID|PATH] [--seed S] [--split locked|dev|test|all]
        [--automatic] [--json out.json]
    python benchmarks/quality.py --report invoked.json,automatic.json

Fill-in tasks are cut from the corpus (see ``tasks.py``); slm-lsp is driven over stdio as an
editor drives it (``lspclient.py``), with Invoked requests (the user asks; ``--automatic``: as
the user types); the baselines run the same GGUF in this process
(``baselines.py``). Prints one table per task kind and one overall.

CPU: slm-lsp's is the server process's user + system seconds (all threads, from ``/proc``)
while each request was in flight, and over the whole run (model load excluded); a baseline's
is ``time.process_time()`` of this process around its prompt building and generation. Per
accepted character: the total over the characters a user would keep of the answers (the
longest common prefix of answer and expected text, normalised as they are scored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import baselines, bench_models, tasks  # noqa: E402
from benchmarks.lspclient import LspProcess, ModelLoadError, complete  # noqa: E402
from benchmarks.replay import load_average, matching_prefix  # noqa: E402
from benchmarks.tasks import Task  # noqa: E402

SYSTEMS = ("slm-lsp", *baselines.BASELINES)
SERVER_MAX_TOKENS = 64  # completion.maxTokens, the server's default; baselines get the same
SERVER_LINE_MAX_TOKENS = 48  # the server's cap for one-line completions

_LEAK = re.compile(r"<\|[^|\s]{1,40}\|>|<fim[_-]\w+>|<｜[^｜]{1,40}｜>|<(?:PRE|SUF|MID|EOT)>"
                   r"|<file_sep>|<repo_name>|<filename>|</s>")


# -- scoring --------------------------------------------------------------------------------
def norm(line: str) -> str:
    """A line with its whitespace runs collapsed and its ends stripped."""
    return " ".join(line.split())


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def block_text(text: str) -> str:
    """A block for comparison: lines right-stripped, blank lines at both ends dropped."""
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / the longer length (1.0 for two empty strings)."""
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def _significant(line: str) -> bool:
    s = line.strip()
    return len(s) >= 3 and bool(re.search(r"\w", s))


def duplicates_suffix(task: Task, answer: str) -> bool:
    """The answer repeats what follows the cursor: the rest of the line, or the next lines."""
    if not answer.strip():
        return False
    suffix_lines = task.suffix.split("\n")
    rest = suffix_lines[0].strip()
    expected = task.expected
    if rest and len(rest) >= 2 and answer.rstrip().endswith(rest) and not (
            expected.rstrip().endswith(rest)):
        return True
    following = [ln.strip() for ln in suffix_lines[1:] if ln.strip()][:5]
    if not following:
        return False
    nxt = following[0]
    if not _significant(nxt):
        return False
    answer_lines = [ln.strip() for ln in answer.split("\n")]
    expected_lines = {ln.strip() for ln in expected.split("\n")}
    return nxt in answer_lines and nxt not in expected_lines


def accepted_chars(task: Task, answer: str) -> int:
    """What a user keeps of an answer: the length of the longest common prefix of the answer
    and the expected text, both normalised as they are scored (the first line with its
    whitespace collapsed; a block with its lines right-stripped and blank ends dropped)."""
    if task.kind == "block":
        return matching_prefix(block_text(answer), block_text(task.expected))
    return matching_prefix(norm(first_line(answer)), norm(first_line(task.expected)))


def score(task: Task, answer: str) -> dict:
    """Every per-task figure for one answer."""
    block = task.kind == "block"
    got, want = first_line(answer), first_line(task.expected)
    if block:
        sim = similarity(block_text(answer), block_text(task.expected))
    else:
        sim = similarity(norm(got), norm(want))
    filled = task.prefix + answer + task.suffix
    original_parses = tasks.parses(task.source, task.language)
    empty = not answer.strip()
    return {
        "exact": norm(got) == norm(want) and not empty,
        "edit_sim": sim,
        "empty": empty,
        "dup_suffix": duplicates_suffix(task, answer),
        # Counted only where the file with the expected text parses and there is an answer.
        "syntax_checked": original_parses and not empty,
        "syntax_break": original_parses and not empty and not tasks.parses(
            filled, task.language),
        "leak": bool(_LEAK.search(answer)),
        "accepted": accepted_chars(task, answer),
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarize(rows: list[dict], total_cpu_s: float | None = None) -> dict:
    """Aggregate figures for a list of per-task results of one system. CPU per accepted
    character divides ``total_cpu_s`` (slm-lsp: the server's whole run) or else the sum of
    the rows' CPU seconds by the accepted characters."""
    n = len(rows)
    if not n:
        return {}
    checked = [r for r in rows if r["syntax_checked"]]
    lat = [r["latency_ms"] for r in rows]
    cpu = [c for r in rows if (c := r.get("cpu_s", float("nan"))) == c]
    total = sum(cpu) if total_cpu_s is None else total_cpu_s
    accepted = sum(r.get("accepted", 0) for r in rows)
    return {
        "n": n,
        "exact": sum(r["exact"] for r in rows) / n,
        "edit_sim": statistics.fmean(r["edit_sim"] for r in rows),
        "empty": sum(r["empty"] for r in rows) / n,
        "dup_suffix": sum(r["dup_suffix"] for r in rows) / n,
        "syntax_break": (sum(r["syntax_break"] for r in checked) / len(checked)
                         if checked else float("nan")),
        "syntax_n": len(checked),
        "leak": sum(r["leak"] for r in rows) / n,
        "p50_ms": percentile(lat, 0.5),
        "p95_ms": percentile(lat, 0.95),
        "cpu_p50_s": percentile(cpu, 0.5),
        "cpu_mean_s": statistics.fmean(cpu) if cpu else float("nan"),
        "cpu_total_s": total if cpu else float("nan"),
        "accepted_chars": accepted,
        "cpu_per_char_s": total / accepted if cpu and accepted else float("nan"),
    }


# -- running --------------------------------------------------------------------------------
def max_tokens_for(task: Task) -> int:
    return SERVER_MAX_TOKENS if task.kind == "block" else SERVER_LINE_MAX_TOKENS


async def run_server(task_list: list[Task], model: str, threads: int, extra: dict,
                     log_path: Path | None, progress, invoked: bool = True
                     ) -> tuple[list[dict], dict]:
    """Each task's answer, and the server's run: CPU seconds to load the model, CPU seconds
    and wall seconds from then to the last answer."""
    model = bench_models.resolve(model) if model else model
    settings: dict = {**extra, "model": model} if model else dict(extra)
    if threads:
        settings["nThreads"] = threads
    client = LspProcess(stderr_path=log_path)
    t0 = time.perf_counter()
    client.start()
    out = []
    run = {"load_average_before": load_average()}
    try:
        await client.initialize_async(settings)
        run["cpu_load_s"], t_ready = client.cpu(), time.perf_counter()
        progress(f"slm-lsp: model loaded in {t_ready - t0:.1f}s")
        for i, task in enumerate(task_list):
            uri = f"file:///bench/{task.path}"
            ans = await complete(client, uri, task.language, task.holed, task.line,
                                 task.column_utf16, invoked=invoked)
            out.append({"answer": ans.text, "latency_ms": ans.latency_ms, "error": ans.error,
                        "items": ans.items, "cpu_s": ans.cpu_s,
                        "window": await _last_window(client)})
            progress(f"slm-lsp {i + 1}/{len(task_list)} {task.id} {ans.latency_ms:.0f}ms "
                     f"{ans.cpu_s:.2f} CPU s")
        run["cpu_run_s"] = client.cpu() - run["cpu_load_s"]
        run["wall_run_s"] = time.perf_counter() - t_ready
        run["load_average_after"] = load_average()
    finally:
        await client.stop_async()
    return out, run


async def _last_window(client) -> str:
    """The window of the server's last model answer ("full", or "short": a first answer at a
    place whose prompt would take longer than ``completion.firstAnswerMs`` to evaluate on
    this machine now), from its ``slmLsp/stats`` records; "" when it does not say."""
    try:
        reply = await client.request_async("slmLsp/stats", {"since": 0}, timeout=30)
    except (asyncio.TimeoutError, ConnectionError):
        return ""
    stats = reply.result if isinstance(reply.result, dict) else {}
    for rec in reversed(stats.get("recent") or []):
        if isinstance(rec, dict) and rec.get("window"):
            return rec["window"]
    return ""


def run_baselines(task_list: list[Task], model: str, threads: int, progress,
                  names: tuple[str, ...] = baselines.BASELINES) -> dict[str, list[dict]]:
    from slm_lsp.models.registry import choose_model

    choice = choose_model(bench_models.resolve(model))
    runner = baselines.Runner(str(choice.path), choice.format, n_threads=threads)
    out: dict[str, list[dict]] = {name: [] for name in names}
    try:
        for i, task in enumerate(task_list):
            line_task = task.kind != "block"
            for name in names:
                # Its CPU as the server's is counted: all of this process's threads
                # (llama.cpp's too) from the prompt's construction to the rendered answer.
                cpu0 = time.process_time()
                req = baselines.build(name, task.prefix, task.suffix, choice.format,
                                      runner.count_tokens, line_task=line_task)
                text, ms = runner.generate(req, max_tokens_for(task))
                if name == "llama.vim":
                    text = baselines.llama_vim_render(text, task.prefix, task.suffix,
                                                      req.trim_indent)
                out[name].append({"answer": text, "latency_ms": ms, "error": "",
                                  "cpu_s": time.process_time() - cpu0})
            progress(f"baselines {i + 1}/{len(task_list)} {task.id}")
    finally:
        runner.close()
    return out


def earlier_baselines(path: Path, model: str, task_list: list[Task],
                      names: tuple[str, ...] = baselines.BASELINES) -> dict[str, list[dict]]:
    """The baselines' rows of an earlier run's JSON, checked to be for the same tasks."""
    earlier = json.loads(path.read_text())["models"][model]["tasks"]
    if [(t["id"], t["offset"], t["expected"]) for t in earlier] != [
            (t.id, t.offset, t.expected) for t in task_list]:
        raise SystemExit(f"{path} holds other tasks than this run's")
    keep = ("answer", "latency_ms", "error", "cpu_s")
    return {name: [{k: t["results"][name][k] for k in keep if k in t["results"][name]}
                   for t in earlier]
            for name in names if name in earlier[0]["results"]}


# -- report ---------------------------------------------------------------------------------
_COLUMNS = (
    ("exact", "exact@1", "{:.0%}"), ("edit_sim", "edit-sim", "{:.3f}"),
    ("empty", "empty", "{:.0%}"), ("dup_suffix", "dup-sfx", "{:.0%}"),
    ("syntax_break", "syn-brk", "{:.0%}"), ("leak", "leak", "{:.0%}"),
    ("p50_ms", "p50 ms", "{:.0f}"), ("p95_ms", "p95 ms", "{:.0f}"),
    ("cpu_p50_s", "CPU s p50", "{:.3f}"), ("cpu_mean_s", "CPU s mean", "{:.3f}"),
    ("accepted_chars", "kept chr", "{:d}"), ("cpu_per_char_s", "CPU s/chr", "{:.4f}"),
)


def _num(x: float, fmt: str) -> str:
    return "n/a" if x != x else format(x, fmt)


def _ratio(a: float, b: float) -> str:
    if b == 0:
        return "inf" if a > 0 else "n/a"
    return f"{a / b:.2f}"


def table(title: str, summaries: dict[str, dict]) -> str:
    first = next(iter(summaries.values()))
    lines = [f"== {title} (n={first.get('n', 0)})",
             f"{'system':<10}" + "".join(f"{label:>11}" for _, label, _ in _COLUMNS)]
    for name, s in summaries.items():
        cells = []
        for key, _, fmt in _COLUMNS:
            value = s.get(key, float("nan"))
            cells.append(f"{fmt.format(value) if value == value else 'n/a':>11}")
        lines.append(f"{name:<10}" + "".join(cells))
    base = {k: v for k, v in summaries.items() if k != "slm-lsp"}
    ours = summaries.get("slm-lsp")
    if ours and base:
        best_exact = max(base.items(), key=lambda kv: kv[1]["exact"])
        best_sim = max(base.items(), key=lambda kv: kv[1]["edit_sim"])
        lines.append(
            f"slm-lsp / best baseline: exact {_ratio(ours['exact'], best_exact[1]['exact'])}"
            f" (vs {best_exact[0]}), edit-sim "
            f"{_ratio(ours['edit_sim'], best_sim[1]['edit_sim'])} (vs {best_sim[0]})")
    return "\n".join(lines)


def report(task_list: list[Task], results: dict[str, list[dict]],
           server_cpu_s: float | None = None) -> str:
    parts = []
    kinds = [k for k in tasks.KINDS if any(t.kind == k for t in task_list)]
    for kind in [*kinds, None]:
        idx = [i for i, t in enumerate(task_list) if kind is None or t.kind == kind]
        summaries = {name: summarize([results[name][i] for i in idx],
                                     server_cpu_s if kind is None and name == "slm-lsp"
                                     else None) for name in results}
        parts.append(table(kind or "overall", summaries))
    parts.append("exact@1: first line equal after whitespace normalisation. edit-sim: "
                 "1 - Levenshtein/max length, on the first line (line, midline) or the whole "
                 "block (block). syn-brk: of the answered tasks whose original file parses, "
                 "the share whose file with the answer does not. Latency: slm-lsp per request "
                 "from the client; baselines generation time in process. CPU s: slm-lsp the "
                 "server process's while the request was in flight; baselines this process's "
                 "(time.process_time) for the prompt and the generation. CPU s/chr: CPU over "
                 "the kept characters (kept chr: the common prefix of answer and expected "
                 "text, summed; n/a when none was kept); "
                 "slm-lsp's overall figure divides the server's whole run (work between "
                 "requests included), per kind only its requests.")
    return "\n\n".join(parts)


def _se(rows: list[dict], key: str) -> float:
    """The standard error of one system's mean of ``key`` over its rows."""
    values = [float(r[key]) for r in rows]
    return statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else float("nan")


def _paired_se(ours: list[dict], base: list[dict], key: str) -> float:
    """The standard error of the task-by-task difference of ``key`` (ours minus base)."""
    diffs = [float(a[key]) - float(b[key]) for a, b in zip(ours, base, strict=True)]
    return statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else float("nan")


def targets(task_list: list[Task], results: dict[str, list[dict]]) -> list[str]:
    """The quality targets against the naive completer on the same model, checked, each with
    its standard errors: exact@1 >= 1.3x and edit-sim >= 1.1x naive's, block edit-sim >=
    naive's, mid-line syntax breaks <= half naive's, empty answers <= naive's, p50 <= naive's,
    duplicated suffixes <= 1%, no leaked special token. A ratio met within its noise says
    little: the paired difference's standard error says how much."""
    if "naive" not in results:
        return []
    ours_rows, naive_rows = results["slm-lsp"], results["naive"]

    def pick(kind: str | None, rows: list[dict]) -> list[dict]:
        return [r for t, r in zip(task_list, rows, strict=True) if kind in (None, t.kind)]

    ours, naive = summarize(ours_rows), summarize(naive_rows)

    def measured(key: str, kind: str | None = None, fmt: str = ".3f") -> str:
        a, b = pick(kind, ours_rows), pick(kind, naive_rows)
        ma = statistics.fmean(float(r[key]) for r in a)
        mb = statistics.fmean(float(r[key]) for r in b)
        return (f"{ma:{fmt}} ± {_se(a, key):{fmt}} vs {mb:{fmt}} ± {_se(b, key):{fmt}}; "
                f"paired difference {ma - mb:+{fmt}} ± {_paired_se(a, b, key):{fmt}}")

    block_a, block_b = pick("block", ours_rows), pick("block", naive_rows)
    mid_a = summarize(pick("midline", ours_rows)) if pick("midline", ours_rows) else {}
    mid_b = summarize(pick("midline", naive_rows)) if pick("midline", naive_rows) else {}
    checks = [
        ("exact@1 >= 1.3x naive's", ours["exact"] >= 1.3 * naive["exact"],
         measured("exact", fmt=".1%")),
        ("edit-sim >= 1.1x naive's", ours["edit_sim"] >= 1.1 * naive["edit_sim"],
         measured("edit_sim")),
    ]
    if block_a:
        checks.append(("block edit-sim >= naive's",
                       summarize(block_a)["edit_sim"] >= summarize(block_b)["edit_sim"],
                       measured("edit_sim", "block")))
    if mid_a:
        checks.append(("mid-line syn-brk <= half naive's",
                       mid_a["syntax_break"] <= mid_b["syntax_break"] / 2,
                       f"{mid_a['syntax_break']:.1%} of {mid_a['syntax_n']} vs "
                       f"{mid_b['syntax_break']:.1%} of {mid_b['syntax_n']}"))
    checks += [
        ("empty <= naive's", ours["empty"] <= naive["empty"], measured("empty", fmt=".1%")),
        ("p50 <= naive's", ours["p50_ms"] <= naive["p50_ms"],
         f"{ours['p50_ms']:.0f} ms vs {naive['p50_ms']:.0f} ms (slm-lsp from the client, "
         "naive in process)"),
        ("dup-sfx <= 1%", ours["dup_suffix"] <= 0.01, f"{ours['dup_suffix']:.1%}"),
        ("no leaked special token", ours["leak"] == 0, f"{ours['leak']:.1%}"),
    ]
    return [f"  [{'met' if ok else 'NOT met'}] {name}: {detail}" for name, ok, detail in checks]


def paired(ours: list[dict], base: list[dict], key: str = "edit_sim") -> str:
    """Task by task, ours minus a baseline's: the mean difference, its standard error, and how
    many tasks went each way (a small sample's ratio alone does not say whether it is noise)."""
    diffs = [a[key] - b[key] for a, b in zip(ours, base, strict=True)]
    if len(diffs) < 2:
        return ""
    se = statistics.stdev(diffs) / len(diffs) ** 0.5
    better, worse = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
    return (f"task by task {statistics.fmean(diffs):+.3f} ± {se:.3f} (standard error, "
            f"n={len(diffs)}; better on {better}, worse on {worse})")


def side_by_side(per_model: dict[str, tuple[list[Task], dict[str, list[dict]], dict]]) -> str:
    """Every model's overall and block figures in one table, and the targets checked."""
    width = max([14, *(len(m) + 2 for m in per_model)])
    lines = ["== side by side (overall; block edit-sim)",
             f"{'model':<{width}}{'system':<10}{'exact@1':>9}{'edit-sim':>9}{'blk-sim':>9}"
             f"{'empty':>7}{'dup-sfx':>8}{'syn-brk':>8}{'leak':>6}{'p50 ms':>8}"
             f"{'CPU s p50':>10}{'kept chr':>9}{'CPU s/chr':>10}"]
    checks = []
    for model, (task_list, results, run) in per_model.items():
        blocks = [i for i, t in enumerate(task_list) if t.kind == "block"]
        overall = {name: summarize(rows, run.get("cpu_run_s") if name == "slm-lsp" else None)
                   for name, rows in results.items()}
        block = {name: summarize([rows[i] for i in blocks]) for name, rows in results.items()}
        for name, s in overall.items():
            b = block[name].get("edit_sim", float("nan"))
            lines.append(f"{model:<{width}}{name:<10}{s['exact']:>9.1%}{s['edit_sim']:>9.3f}"
                         f"{b:>9.3f}{s['empty']:>7.0%}{s['dup_suffix']:>8.1%}"
                         f"{s['syntax_break']:>8.1%}{s['leak']:>6.0%}{s['p50_ms']:>8.0f}"
                         f"{s['cpu_p50_s']:>10.3f}{s['accepted_chars']:>9}"
                         f"{_num(s['cpu_per_char_s'], '.4f'):>10}")
        if run:
            checks.append(server_cpu_line(model, run, results["slm-lsp"]))
        items = [r.get("items", 0) for r in results["slm-lsp"]]
        several = sum(n > 1 for n in items) / len(items) if items else 0.0
        short = sum(r.get("window") == "short" for r in results["slm-lsp"])
        checks += [f"{model}: slm-lsp offered more than one item on {several:.0%} of the tasks",
                   f"{model}: slm-lsp answered from a first answer's short window on {short} "
                   f"of {len(items)} tasks (completion.firstAnswerMs; 0 on a machine that "
                   "evaluates the full prompt in time)",
                   *targets(task_list, results)]
        comparisons = []
        base = [name for name in results if name != "slm-lsp"]
        if base:
            best = max(base, key=lambda name: overall[name]["edit_sim"])
            comparisons.append((f"edit-sim against {best}'s", results["slm-lsp"], results[best]))
        for label, ours, theirs in comparisons:
            text = paired(ours, theirs)
            if text:  # one task has no standard error
                checks.append(f"  {label}, {text}")
    return "\n".join(lines + ([""] + checks if checks else []))


def server_cpu_line(model: str, run: dict, rows: list[dict]) -> str:
    """The server's CPU over the run beside the wall time, split into requests and between
    them, and the machine's load."""
    in_requests = sum(c for r in rows if (c := r.get("cpu_s", float("nan"))) == c)
    before = run.get("load_average_before") or (float("nan"),)
    after = run.get("load_average_after") or (float("nan"),)
    return (f"{model}: slm-lsp server CPU {run['cpu_run_s']:.1f} s over {run['wall_run_s']:.0f}"
            f" s of wall time ({in_requests:.1f} s in requests, "
            f"{run['cpu_run_s'] - in_requests:.1f} s between them; model load "
            f"{run['cpu_load_s']:.1f} s more); load average {before[0]:.2f} -> {after[0]:.2f}")


def saved_runs(paths: list[Path]) -> dict[str, tuple[list[Task], dict[str, list[dict]], dict]]:
    """Earlier runs' --json files as ``side_by_side`` takes them, each model labelled with its
    trigger when the files hold more than one."""
    per_model = {}
    loaded = [(p, json.loads(p.read_text())) for p in paths]
    several = len({d["trigger"] for _, d in loaded}) > 1
    for path, data in loaded:
        for model, m in data["models"].items():
            task_list = [Task(id=t["id"], kind=t["kind"], language=t["language"], path=t["path"],
                              source=(tasks.CORPUS / t["path"]).read_text(encoding="utf-8"),
                              offset=t["offset"], expected=t["expected"]) for t in m["tasks"]]
            names = list(m["tasks"][0]["results"]) if m["tasks"] else []
            results = {name: [t["results"][name] for t in m["tasks"]] for name in names}
            label = f"{model} {data['trigger']}" if several else model
            if label in per_model:
                raise SystemExit(f"{path}: {label} is in two of the files")
            per_model[label] = (task_list, results, m["server_run"])
    return per_model


def print_saved(paths: list[Path]) -> int:
    """Reprint earlier runs from their --json files, without running anything."""
    per_model = saved_runs(paths)
    for label, (task_list, results, run) in per_model.items():
        print(f"slm-lsp quality benchmark (from {', '.join(map(str, paths))}): {label}, "
              f"{len(task_list)} tasks\n")
        print(report(task_list, results, run["cpu_run_s"]) + "\n"
              + server_cpu_line(label, run, results["slm-lsp"]) + "\n")
    print(side_by_side(per_model))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=120, help="total tasks, split evenly over "
                    "(language, kind) cells (default 120: 40 per kind, enough for the block "
                    "target's comparison to stand out of the noise)")
    ap.add_argument("--kinds", default=",".join(tasks.KINDS))
    ap.add_argument("--langs", default=",".join(tasks.LANGUAGES))
    ap.add_argument("--model", default=f"smollm2-135m,{bench_models.GEMMA_ID}",
                    help="models.toml ids or GGUF paths, comma-separated, each run in turn "
                    f"(default: the embedded smollm2-135m and {bench_models.GEMMA_ID})")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0,
                    help="llama.cpp threads for the server and the baselines (default: the "
                    "server's own choice, one per physical core)")
    ap.add_argument("--split", default="locked", choices=[*tasks.SPLITS, "all"],
                    help="corpus split: locked (the default, frozen by corpus/locked.sha256: "
                    "the only figures to quote; never tune on it), dev (for tuning), test (the "
                    "first held-out split, seen) or all (dev and test)")
    ap.add_argument("--settings", type=json.loads, default={},
                    help="extra initializationOptions for the server, as JSON (the same for "
                    "every task), e.g. '{\"completion\": {\"timeBudgetMs\": 10000}}'")
    ap.add_argument("--json", type=Path, help="write every per-task result here")
    ap.add_argument("--server-log", type=Path, help="write the server's stderr here")
    ap.add_argument("--no-baselines", action="store_true", help="run slm-lsp only")
    ap.add_argument("--baselines", default=",".join(baselines.BASELINES),
                    help="the baselines to run beside slm-lsp (default: all of "
                         f"{', '.join(baselines.BASELINES)})")
    ap.add_argument("--baselines-from", type=Path, help="take the baselines' answers from an "
                    "earlier run's --json (same tasks and models; they do not depend on "
                    "slm-lsp, and greedy decoding gives the same text) instead of running them")
    ap.add_argument("--automatic", action="store_true", help="ask as an editor does while "
                    "the user types (triggerKind Automatic: one answer, within "
                    "completion.firstAnswerMs at a new place) instead of as the user asks")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    ap.add_argument("--report", help="reprint earlier runs from their --json files, "
                    "comma-separated, without running anything (an Invoked and an Automatic "
                    "run's files: both triggers side by side)")
    args = ap.parse_args(argv)
    chosen = tuple(b for b in args.baselines.split(",") if b)
    if unknown := set(chosen) - set(baselines.BASELINES):
        ap.error(f"unknown baselines: {', '.join(sorted(unknown))}")
    if args.report:
        return print_saved([Path(p) for p in args.report.split(",") if p])

    if args.split == "locked" and (changes := tasks.locked_changes()):
        print("quality.py: the locked split's files do not match benchmarks/corpus/"
              "locked.sha256, so its figures would not be the locked split's:\n  "
              + "\n  ".join(changes), file=sys.stderr)
        return 2
    try:
        task_list = tasks.tasks_for(args.tasks, args.kinds, args.langs, split=args.split,
                                    seed=args.seed)
    except ValueError as exc:
        ap.error(str(exc))

    def progress(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    models = [m for m in args.model.split(",") if m]
    per_model: dict[str, tuple[list[Task], dict[str, list[dict]], dict]] = {}
    data: dict = {"seed": args.seed, "split": args.split, "settings": args.settings,
                  "trigger": "automatic" if args.automatic else "invoked",
                  "threads": args.threads, "models": {}}
    for model in models:
        progress(f"{len(task_list)} tasks (split {args.split}, seed {args.seed}), "
                 f"model {model}")
        t0 = time.perf_counter()
        try:
            rows, run = asyncio.run(run_server(task_list, model, args.threads, args.settings,
                                               args.server_log, progress, not args.automatic))
            results = {"slm-lsp": rows}
        except ModelLoadError as exc:
            print(f"quality.py: slm-lsp could not load {model}: {exc}", file=sys.stderr)
            return 2
        if args.baselines_from:
            results.update(earlier_baselines(args.baselines_from, model, task_list, chosen))
        elif not args.no_baselines:
            results.update(run_baselines(task_list, model, args.threads, progress, chosen))
        for rows in results.values():
            for task, row in zip(task_list, rows, strict=True):
                row.update(score(task, row["answer"]))
        print(f"slm-lsp quality benchmark: model {model}, {len(task_list)} tasks, split "
              f"{args.split}, seed {args.seed}, {'Automatic' if args.automatic else 'Invoked'} "
              f"requests, {time.perf_counter() - t0:.0f}s\n")
        print(report(task_list, results, run["cpu_run_s"]) + "\n"
              + server_cpu_line(model, run, results["slm-lsp"]) + "\n", flush=True)
        per_model[model] = (task_list, results, run)
        data["models"][model] = {
            "summary": {name: summarize(rows, run["cpu_run_s"] if name == "slm-lsp" else None)
                        for name, rows in results.items()},
            "server_run": run,
            "tasks": [{**t.summary(), "results": {name: results[name][i] for name in results}}
                      for i, t in enumerate(task_list)],
        }
        if args.json:  # after each model: a long run's finished part is kept
            args.json.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    print(side_by_side(per_model))
    if args.json:
        progress(f"per-task results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
