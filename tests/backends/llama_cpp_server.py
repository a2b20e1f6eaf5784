"""Run llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``, same
arguments) with ggml's extra buffer types off.

On CPUs that report AMX, ggml repacks the weights for its AMX kernels, and in the llama.cpp
build here that path crashes the process (SIGSEGV in ``ggml_backend_amx_mul_mat``) on the
first decode. The server runs inside the engine's own workaround
(``slm_lsp.engine.native.plain_cpu_buffers``: llama.cpp's ``--no-repack``), so the two cannot
drift apart. Everything else is the unmodified server. It first writes the llama.cpp build it
runs on stderr (``BUILD_LINE``), for the tests' report.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's slm_lsp

from slm_lsp.engine.native import plain_cpu_buffers  # noqa: E402

BUILD_LINE = "llama.cpp build: "

if __name__ == "__main__":
    from slm_lsp.engine.native import build_info

    # Read back by real_server.py: the llama.cpp build this server process runs.
    print(f"{BUILD_LINE}{build_info()}", file=sys.stderr, flush=True)
    sys.argv[0] = "llama_cpp.server"
    with plain_cpu_buffers():
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
