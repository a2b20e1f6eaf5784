"""Latency and CPU by model size, from the figures of ``moves.py`` or ``latency.py`` runs.

    python benchmarks/plot_sizes.py RUN.json [RUN.json ...] [--config on]
                                    [--kinds in-place,new,return,answered]
                                    [--out benchmarks/sizes.png]

Each JSON is one run at one model size (``moves.py --json OUT`` or ``latency.py --json OUT``).
The PNG has two panels, one above the other, one column per model size (in order of
parameters): the latency p50 of each kind of request, and the server's CPU seconds per request
(p50, solid, with its value; mean, dotted). Needs matplotlib (``pip install matplotlib``);
nothing else in the project does.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from pathlib import Path

# (part of the file name or id, the name plotted)
NAMES = (
    ("smollm2-135m", "SmolLM2 135M"),
    ("gemma-3-270m", "Gemma 3 270M"),
    ("gemma3-270m", "Gemma 3 270M"),
    ("deepseek-coder-1.3b", "DeepSeek-Coder 1.3B"),
    ("qwen2.5-coder-1.5b", "Qwen2.5-Coder 1.5B"),
    ("starcoder2-3b", "StarCoder2 3B"),
)
KIND_NAMES = {"in-place": "typing in place", "new": "new place", "return": "return",
              "answered": "as-you-type (latency.py)", "all": "all requests"}


def model_label(model: dict) -> str:
    """The model's name, with its size in parameters; "shape" for realsize.py's random
    weights."""
    where = f"{model.get('id', '')} {Path(str(model.get('path', ''))).name}".lower()
    name = next((n for key, n in NAMES if key in where), str(model.get("id", "?")))
    if "-random-" in where:
        name += " shape"
    return name


def series(runs: list[dict], config: str, kinds: list[str]) -> dict[str, list[tuple]]:
    """Per kind of request: (parameters, latency p50 ms, CPU s p50, CPU s mean) of each run,
    by size; kinds a run does not have, or has no request of, are left out."""
    out: dict[str, list[tuple]] = {}
    for run in sorted(runs, key=lambda r: r["model"]["params"]):
        figures = run["configs"].get(config)
        if figures is None:
            continue
        for kind in kinds:
            k = figures.get("kinds", {}).get(kind)
            if not k or not k.get("n"):
                continue
            out.setdefault(kind, []).append(
                (run["model"]["params"], k["p50_ms"], k["cpu_p50_s"], k["cpu_mean_s"]))
    return out


def load_range(runs: list[dict]) -> tuple[float, float]:
    """The lowest and highest 1-minute load average seen before and after the runs."""
    values = [x for r in runs for when in ("before", "after")
              for x in r.get("load_average", {}).get(when, [])[:1] if x == x]
    return (min(values), max(values)) if values else (math.nan, math.nan)


def plot(runs: list[dict], config: str, kinds: list[str], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:,.10g}")
    data = series(runs, config, kinds)
    if not data:
        raise SystemExit(f"no figures for config {config!r} and kinds {kinds}")
    # One column per size, in order (1.3B and 1.5B would overlap on a log axis).
    sizes = sorted({(r["model"]["params"], model_label(r["model"]), r["model"]["size_mb"])
                    for r in runs})
    column = {params: i for i, (params, _, _) in enumerate(sizes)}
    fig, (ax_ms, ax_cpu) = plt.subplots(2, 1, figsize=(10, 8.5), sharex=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (kind, points) in enumerate(data.items()):
        colour = colours[i % len(colours)]
        xs = [column[p[0]] for p in points]
        label = KIND_NAMES.get(kind, kind)
        ax_ms.plot(xs, [p[1] for p in points], "o-", color=colour, label=f"{label}, p50")
        ax_cpu.plot(xs, [p[2] for p in points], "o-", color=colour, label=f"{label}, p50")
        ax_cpu.plot(xs, [p[3] for p in points], "s:", color=colour, mfc="none", alpha=0.6,
                    label=f"{label}, mean")
        for x, (_, ms, cpu, _) in zip(xs, points, strict=True):
            # Labels left of the point for the first kind, right and above for the second,
            # right and below for the others, so that values at one size do not overlap.
            dx, ha = (-8, "right") if i == 0 else (8, "left")
            dy = -4 if i == 0 else 5 if i == 1 else -13
            ax_ms.annotate(f"{ms:,.0f}", (x, ms), textcoords="offset points", xytext=(dx, dy),
                           fontsize=8, color=colour, ha=ha)
            ax_cpu.annotate(f"{cpu:.2f}", (x, cpu), textcoords="offset points",
                            xytext=(dx, dy), fontsize=8, color=colour, ha=ha)
    positive = {ax_ms: all(p[1] > 0 for v in data.values() for p in v),
                ax_cpu: all(min(p[2], p[3]) > 0 for v in data.values() for p in v)}
    for ax, title, unit in ((ax_ms, "Latency p50 (client's wall clock)", "ms"),
                            (ax_cpu, "Server CPU per request (user + system, all threads)",
                             "CPU seconds")):
        # A log scale where every value is above 0 (a cached answer's CPU can be 0 ticks).
        ax.set_yscale("log" if positive[ax] else "linear")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.set_xticks(range(len(sizes)))
        ax.set_xticklabels([f"{textwrap.fill(name, 14)}\n{p / 1e6:,.0f}M params, {mb:,.0f} MB"
                            for p, name, mb in sizes], fontsize=8)
        ax.set_xlim(-0.6, len(sizes) - 0.4)
        ax.margins(y=0.1)  # room for the values above the highest points
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.25)
        ax.legend(fontsize=8)
    benches = sorted({r["benchmark"] for r in runs})
    threads = sorted({r["model"].get("threads") for r in runs})
    lo, hi = load_range(runs)
    fig.suptitle(f"{' + '.join(f'{b}.py' for b in benches)}, config '{config}', "
                 f"{'/'.join(str(t) for t in threads)} threads; load average {lo:.1f}-{hi:.1f} "
                 f"on {runs[0].get('load_average', {}).get('cpus', '?')} shared cores: "
                 "absolute values are this machine's", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="figures of moves.py/latency.py --json")
    p.add_argument("--config", default="on", help="which configuration of each run")
    p.add_argument("--kinds", default="in-place,new,return,answered",
                   help="kinds of request to plot (moves.py: in-place, new, return, all; "
                   "latency.py: answered)")
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("sizes.png"))
    args = p.parse_args(argv)
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in args.runs]
    plot(runs, args.config, [k for k in args.kinds.split(",") if k], args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
