"""Where the in-process engine's memory goes, and what llama.cpp's repacked weights buy.

    python benchmarks/buffers.py [--model ID|PATH|realsize:NAME] [--threads N] [--runs 2]
                                 [--n-ctx 2048] [--prompt 256] [--decode 32]

llama.cpp copies Q4_0/Q4_K weights into an "extra" buffer in a layout its CPU kernels read
faster (``CPU_REPACK``); the mapped file's pages of those tensors stay resident too, so the
model costs about its size twice over for those tensors. This loads the model in a child
process with and without the extra buffers (alternating, ``--runs`` times each), evaluates a
prompt of real code and decodes greedily, and prints prompt tokens/s, ms per decoded token and
the child's memory: peak RSS, and at the end the file-backed (mapped model) and anonymous
(repacked weights, KV cache, compute buffers) parts. A third configuration, ``flash``, is the
plain one with llama.cpp's flash attention (which computes each token's attention alone, so a
batch of tokens gets the logits each would get one at a time: see prompt lookup in LATENCY.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.realsize import resolve_model  # noqa: E402
from benchmarks.replay import percentile  # noqa: E402

MODES = ("repack", "plain", "flash")


def _status() -> dict[str, float]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = int(rest.split()[0]) / 1024
    return out


def child(args) -> None:
    import numpy as np

    from slm_lsp.engine.native import new_llama, physical_cores
    from slm_lsp.models.registry import choose_model

    path = str(choose_model(args.model).path)
    threads = args.threads or physical_cores()
    kw = dict(model_path=path, n_ctx=args.n_ctx, n_threads=threads, n_threads_batch=threads,
              n_batch=256, n_ubatch=256, logits_all=False, verbose=False)
    llm = new_llama(repack=args.child == "repack", flash_attn=args.child == "flash", **kw)
    loaded = _status()
    code = (Path(__file__).resolve().parents[1] / "slm_lsp" / "engine" / "local.py").read_bytes()
    prompt = llm.tokenize(code, add_bos=True)[: args.prompt]
    t0 = time.perf_counter()
    for i in range(0, len(prompt), 64):
        llm.eval(prompt[i:i + 64])
    prefill = len(prompt) / (time.perf_counter() - t0)
    n_vocab = llm.n_vocab()
    t0 = time.perf_counter()
    for _ in range(args.decode):
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))
        llm.eval([int(np.argmax(logits))])
    decode = (time.perf_counter() - t0) * 1000 / args.decode
    end = _status()
    print(json.dumps({"prefill": prefill, "decode": decode, "loaded_rss": loaded["VmRSS"],
                      **end}))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--n-ctx", type=int, default=2048)
    p.add_argument("--prompt", type=int, default=256)
    p.add_argument("--decode", type=int, default=32)
    p.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return 0
    args.model = resolve_model(args.model) if args.model else ""
    runs: dict[str, list[dict]] = {m: [] for m in MODES}
    for i in range(args.runs):
        for mode in (MODES if i % 2 == 0 else MODES[::-1]):
            cmd = [sys.executable, __file__, "--child", mode, "--model", args.model,
                   "--threads", str(args.threads), "--n-ctx", str(args.n_ctx),
                   "--prompt", str(args.prompt), "--decode", str(args.decode)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            res = json.loads(out.strip().splitlines()[-1])
            runs[mode].append(res)
            print(f"{mode:7} prefill {res['prefill']:.1f} tok/s, decode {res['decode']:.1f} "
                  f"ms/token, peak RSS {res['VmHWM']:.0f} MB (file {res['RssFile']:.0f}, "
                  f"anonymous {res['RssAnon']:.0f})", flush=True)
    print(f"\n{'':26}" + "".join(f"{m:>12}" for m in MODES))
    for key, label in (("prefill", "prompt tok/s p50"), ("decode", "decode ms/token p50"),
                       ("VmHWM", "peak RSS MB"), ("RssFile", "file-backed MB at end"),
                       ("RssAnon", "anonymous MB at end")):
        vals = [percentile([r[key] for r in runs[m]], 50) for m in MODES]
        print(f"{label:26}" + "".join(f"{v:>12.1f}" for v in vals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
