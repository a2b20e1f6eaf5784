"""completion.confidenceThreshold: what gating as-you-type completions does to exact match and
to how often nothing is shown, across thresholds, on each model; and which of an Invoked
request's candidates to offer first.

    python benchmarks/confidence.py [--split dev] [--tasks 36] [--model smollm2-135m,gemma3-270m]
        [--thresholds 0,0.2,0.3,0.4,0.5,0.6]

Each task (see ``tasks.py``) is completed once as an automatic request through the server's own
stages in this process (trigger, prompt, engine, filters; no LSP), with token
log-probabilities; every threshold is then applied to that same generation, so the figures
differ only by the gate. A task the trigger declines (inside a word) counts as empty.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_models, quality, tasks  # noqa: E402
from slm_lsp.engine.base import Cancel  # noqa: E402


def run(model: str, task_list: list[tasks.Task], thresholds: list[float], threads: int,
        progress) -> tuple[dict[float, list[dict]], dict[str, list[dict]]]:
    """Per threshold, the automatic completion's scores; per ranking of an Invoked request's
    candidates ("logprob": by mean log-probability, "greedy": the greedy one first), the first
    item's scores. One generation per task (the greedy answer plus its alternatives)."""
    from slm_lsp.completion.filters import (
        clean,
        complete_lines,
        gate_confidence,
        kept_logprob,
        rank_candidates,
    )
    from slm_lsp.completion.prompt import build_prompt
    from slm_lsp.completion.service import ModelCompleter
    from slm_lsp.completion.snapshot import Snapshot
    from slm_lsp.completion.trigger import Mode, decide
    from slm_lsp.documents import Document
    from slm_lsp.engine.local import LocalEngine
    from slm_lsp.models.registry import choose_model
    from slm_lsp.settings import Settings

    choice = choose_model(bench_models.resolve(model))
    settings = Settings()
    settings.completion.confidence_threshold = 1.0  # ask for log-probabilities
    settings.completion.time_budget_ms = 60_000  # the figures are about the gate, not speed
    engine = LocalEngine(str(choice.path), choice.format, n_threads=threads)
    engine.load()
    service = ModelCompleter(engine, choice.format, settings)
    gated: dict[float, list[dict]] = {t: [] for t in thresholds}
    ranked: dict[str, list[dict]] = {"logprob": [], "greedy": []}

    def finish(gen, snap) -> str:
        return clean(complete_lines(gen), snap, choice.format, settings, service.markers)

    try:
        for i, task in enumerate(task_list):
            doc = Document(uri=f"file:///bench/{task.path}", text=task.holed,
                           language_id=task.language)
            auto = Snapshot.of(doc, task.offset, decide(doc, task.offset, invoked=False),
                               path=task.path)
            asked = Snapshot.of(doc, task.offset, decide(doc, task.offset, invoked=True),
                                path=task.path, candidates=True)
            prompt = build_prompt(asked, choice.format, engine, settings, service.line_tokens)
            gen = engine.generate(service.request(asked, prompt), Cancel())
            greedy = finish(gen, asked)
            all_ = [(greedy, gen)] + [(finish(alt, asked), alt) for alt in gen.alternatives]
            by_logprob = sorted((c for c in all_ if c[0].strip()),
                                key=lambda c: -kept_logprob(c[1], c[0]))
            order = rank_candidates(all_)  # the server's: greedy first
            first = {"logprob": by_logprob[0][0] if by_logprob else "",
                     "greedy": order[0] if order else ""}
            for name, text in first.items():
                ranked[name].append({**quality.score(task, text), "latency_ms": 0.0})
            if auto.trigger.mode is not asked.trigger.mode:
                auto_gen = None
                if auto.trigger.mode is not Mode.NONE:
                    prompt = build_prompt(auto, choice.format, engine, settings,
                                          service.line_tokens)
                    auto_gen = engine.generate(service.request(auto, prompt, automatic=True),
                                               Cancel())
            else:
                auto_gen = gen
            for t in thresholds:
                text = ""
                if auto_gen is not None:
                    raw = gate_confidence(auto_gen, complete_lines(auto_gen), t)
                    text = clean(raw, auto, choice.format, settings, service.markers)
                gated[t].append({**quality.score(task, text), "latency_ms": 0.0})
            progress(f"{model} {i + 1}/{len(task_list)} {task.id}")
    finally:
        engine.close()
    return gated, ranked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=f"smollm2-135m,{bench_models.GEMMA_ID}")
    ap.add_argument("--split", default="dev", choices=[*tasks.SEEN_SPLITS, "all"],
                    help="dev (default), test or all (both); never the locked split, "
                    "which is not tuned on")
    ap.add_argument("--tasks", type=int, default=36)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--thresholds", default="0,0.2,0.3,0.4,0.5,0.6")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    thresholds = [float(x) for x in args.thresholds.split(",")]
    per_cell = max(1, args.tasks // (len(tasks.KINDS) * len(tasks.LANGUAGES)))
    task_list = tasks.build_tasks(per_cell, split=args.split, seed=args.seed)

    def progress(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    print(f"confidence gate of automatic completions: {len(task_list)} tasks, split "
          f"{args.split}, seed {args.seed}")
    print(f"{'model':<14}{'threshold':>10}{'exact@1':>9}{'edit-sim':>9}{'empty':>7}"
          f"{'precision':>10}")
    for model in [m for m in args.model.split(",") if m]:
        from slm_lsp.engine.native import physical_cores

        results, ranked = run(model, task_list, thresholds, args.threads or physical_cores(),
                              progress)
        for name, rows in ranked.items():
            s = quality.summarize(rows)
            print(f"{model:<14}{'invoked, first item ranked by ' + name:<40}{s['exact']:>9.1%}"
                  f"{s['edit_sim']:>9.3f}{s['empty']:>7.0%}")
        for t in thresholds:
            s = quality.summarize(results[t])
            shown = 1 - s["empty"]
            # Of the completions shown, the share that is right: what a user accepts.
            precision = s["exact"] / shown if shown else float("nan")
            print(f"{model:<14}{t:>10.2f}{s['exact']:>9.1%}{s['edit_sim']:>9.3f}"
                  f"{s['empty']:>7.0%}{precision:>10.1%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
