"""Run llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``, same
arguments) with ggml's extra buffer types off.

On CPUs that report AMX, ggml repacks the weights for its AMX kernels, and in the llama.cpp
build here that path crashes the process (SIGSEGV in ``ggml_backend_amx_mul_mat``) on the
first decode. ``use_extra_bufts = False`` (llama.cpp's ``--no-repack``) keeps the plain CPU
kernels. Everything else is the unmodified server.
"""

from __future__ import annotations

import runpy
import sys

import llama_cpp.llama_cpp as lib

_default_params = lib.llama_model_default_params


def _model_params():
    params = _default_params()
    params.use_extra_bufts = False
    return params


lib.llama_model_default_params = _model_params

if __name__ == "__main__":
    sys.argv[0] = "llama_cpp.server"
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
