"""Models of the real size without the weights: random-weight GGUFs with the exact shapes of the
named models, around their real tokenizers, quantized to Q4_K_M by llama.cpp's own quantizer.

    python benchmarks/realsize.py [deepseek-coder-1.3b starcoder2-3b qwen2.5-coder-1.5b]
                                  [--cache DIR] [--threads N] [--keep-f16]

Their text is noise; their prompt and decode speed, memory and file size are the real models'.
Each is written in F16 with the ``gguf`` package (one tensor at a time, so RAM holds only the
largest tensor), quantized with ``llama_cpp.llama_model_quantize``, and cached in
``~/.cache/slm-lsp-bench`` (``$SLM_LSP_BENCH_CACHE``); the F16 file is deleted after. The file
names keep the model's name, so the server picks its FIM format as for the real file.

The tokenizers are llama.cpp's vocab-only GGUFs (see ``tests/support/vocab.py``). The sdist's
Qwen2 vocabulary lacks the FIM markers: that model serves for timing only.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.tiny_gguf import Shape, write_model  # noqa: E402
from tests.support.vocab import vocab_path  # noqa: E402

# Part of the file names: bump it when what is written changes.
VERSION = 1
LLAMA_FTYPE_MOSTLY_Q4_K_M = 15

# The published configs (config.json of each model on the Hugging Face hub).
SHAPES: dict[str, tuple[str, Shape, int]] = {
    # name: (vocabulary, shape, size of the published Q4_K_M file in bytes)
    "deepseek-coder-1.3b": ("deepseek-coder", Shape(
        arch="llama", n_layer=24, n_embd=2048, n_head=16, n_head_kv=16, n_ff=5504,
        n_ctx=16384, norm_eps=1e-6, rope_base=100000.0, rope_linear_factor=4.0,
        weight_type="f16"), 873_000_000),
    "starcoder2-3b": ("starcoder", Shape(
        arch="starcoder2", n_layer=30, n_embd=3072, n_head=24, n_head_kv=2, n_ff=12288,
        n_ctx=16384, norm="layer", gated_ffn=False, qkv_bias=True, linear_bias=True,
        tied_output=True, norm_eps=1e-5, rope_base=999999.4420358813,
        weight_type="f16"), 1_890_000_000),
    "qwen2.5-coder-1.5b": ("qwen2", Shape(
        arch="qwen2", n_layer=28, n_embd=1536, n_head=12, n_head_kv=2, n_ff=8960,
        n_ctx=32768, qkv_bias=True, tied_output=True, norm_eps=1e-6, rope_base=1000000.0,
        weight_type="f16"), 986_000_000),
}
# Fine-tunes that keep a base model's shape and vocabulary: their random-weight model is the
# base's (the same file: random weights of one shape are the same noise whatever the name).
# Sweep Next-Edit 1.5B is a Qwen2.5-Coder fine-tune of the 1.5B size (model card, blog post
# blog.sweep.dev/posts/oss-next-edit; architecture qwen2). Its config.json was not reachable
# offline: the shape is taken as Qwen2.5-Coder-1.5B's, with Qwen's vocabulary. (Its Q8_0 file,
# 1,537,269,856 bytes, is about 1.45B weights at 8.5 bits, a little under the 1.54B of
# Qwen2.5-Coder-1.5B; the timing here is Q4_K_M's, lighter than that Q8_0 file to decode.)
ALIASES = {"sweep-next-edit-1.5b": "qwen2.5-coder-1.5b"}
# The file names the server's format detection expects of each family.
FILE_NAMES = {
    "deepseek-coder-1.3b": "deepseek-coder-1.3b-base",
    "starcoder2-3b": "starcoder2-3b",
    "qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b",
}


def cache_dir() -> Path:
    env = os.environ.get("SLM_LSP_BENCH_CACHE", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "slm-lsp-bench"


def shape_of(name: str) -> str:
    """The key of :data:`SHAPES` whose shape the model ``name`` has."""
    return ALIASES.get(name, name)


def model_path(name: str, directory: Path | None = None) -> Path:
    name = shape_of(name)
    return (directory or cache_dir()) / f"{FILE_NAMES[name]}-random-v{VERSION}.Q4_K_M.gguf"


def quantize(src: Path, dst: Path, threads: int) -> None:
    """Q4_K_M with llama.cpp's own quantizer (its mix: Q6_K for some V/down rows and the
    output, a fallback type for rows that are not a multiple of 256, as for the real files)."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = LLAMA_FTYPE_MOSTLY_Q4_K_M
    params.nthread = threads
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(),
                                        ctypes.byref(params))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize failed ({rc}) for {src}")


def build(name: str, directory: Path | None = None, *, threads: int = 0,
          keep_f16: bool = False, log=print) -> Path:
    """The cached Q4_K_M model ``name`` (a key of :data:`SHAPES` or :data:`ALIASES`), built
    when missing."""
    name = shape_of(name)
    out = model_path(name, directory)
    if out.is_file():
        return out
    vocab, shape, _ = SHAPES[name]
    out.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(out) + ".lock"):
        if out.is_file():
            return out
        f16 = out.with_name(out.name.replace(".Q4_K_M.", ".F16."))
        if not f16.is_file():
            t0 = time.perf_counter()
            part = f16.with_name(f"{f16.name}.{os.getpid()}.part")
            write_model(vocab_path(vocab), part, shape, seed=0, name=f"{name}-random")
            os.replace(part, f16)
            log(f"{name}: F16 {f16.stat().st_size / 1e9:.2f} GB written in "
                f"{time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        part = out.with_name(f"{out.name}.{os.getpid()}.part")
        quantize(f16, part, threads or os.cpu_count() or 2)
        os.replace(part, out)
        log(f"{name}: Q4_K_M {out.stat().st_size / 1e6:.0f} MB quantized in "
            f"{time.perf_counter() - t0:.0f} s")
        if not keep_f16:
            f16.unlink()
    return out


def resolve_model(model: str) -> str:
    """``realsize:NAME`` -> the cached model's path (built if missing); anything else as is.
    An alias (``realsize:sweep-next-edit-1.5b``) is its base model's file: the caller that
    needs the alias's prompt format takes it from the name it was given."""
    if model.startswith("realsize:"):
        return str(build(model.split(":", 1)[1]))
    return model


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", default=list(SHAPES),
                   help=", ".join([*SHAPES, *ALIASES]))
    p.add_argument("--cache", default="", help="directory (default ~/.cache/slm-lsp-bench)")
    p.add_argument("--threads", type=int, default=0, help="quantizer threads")
    p.add_argument("--keep-f16", action="store_true", help="keep the F16 files")
    args = p.parse_args(argv)
    directory = Path(args.cache).expanduser() if args.cache else None
    print(f"{'model':22}{'Q4_K_M MB':>11}{'published MB':>14}{'ratio':>8}  path")
    for name in args.names:
        path = build(name, directory, threads=args.threads, keep_f16=args.keep_f16)
        size = path.stat().st_size
        published = SHAPES[shape_of(name)][2]
        print(f"{name:22}{size / 1e6:>11.0f}{published / 1e6:>14.0f}"
              f"{size / published:>8.3f}  {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
