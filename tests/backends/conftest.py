"""Fixtures for the remote-backend tests: protocol doubles on loopback ports, engines on them."""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from backend_doubles import Double, LlamaServerHandler, OllamaHandler  # noqa: E402

from slm_lsp.engine.base import GenerationRequest  # noqa: E402
from slm_lsp.models.registry import load_registry  # noqa: E402
from slm_lsp.settings import BackendSettings  # noqa: E402

OLLAMA_MODEL = "qwen2.5-coder:1.5b-base"


@pytest.fixture
def qwen():
    return load_registry().formats["qwen"]


@pytest.fixture
def plain():
    return load_registry().formats["plain"]


@pytest.fixture
def llama_double():
    with Double(LlamaServerHandler) as double:
        yield double


@pytest.fixture
def ollama_double():
    with Double(OllamaHandler) as double:
        yield double


def backend(kind: str, url: str, **kw) -> BackendSettings:
    kw.setdefault("timeout_ms", 3000)
    return BackendSettings(type=kind, url=url, **kw)


def fim_request(**kw) -> GenerationRequest:
    kw.setdefault("prompt", "<|fim_prefix|>def add(a, b):\n<|fim_suffix|>\n<|fim_middle|>")
    kw.setdefault("prefix", "def add(a, b):\n")
    kw.setdefault("suffix", "\n")
    kw.setdefault("max_tokens", 32)
    return GenerationRequest(**kw)


def cancel_after(event: threading.Event, seconds: float) -> list[float]:
    """Set ``event`` after ``seconds``; the returned list gets the moment it was set."""
    when: list[float] = []

    def fire():
        when.append(time.monotonic())
        event.set()

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return when


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="slm_lsp")  # whatever level another test left
    return caplog
