"""Helpers for the remote-backend tests: settings, requests, a timed cancel."""

from __future__ import annotations

import threading
import time

from slm_lsp.engine.base import GenerationRequest
from slm_lsp.settings import BackendSettings

OLLAMA_MODEL = "qwen2.5-coder:1.5b-base"


def backend(kind: str, url: str, **kw) -> BackendSettings:
    kw.setdefault("timeout_ms", 3000)
    return BackendSettings(type=kind, url=url, **kw)


def fim_request(**kw) -> GenerationRequest:
    kw.setdefault("prompt", "<|fim_prefix|>def add(a, b):\n<|fim_suffix|>\n<|fim_middle|>")
    kw.setdefault("prefix", "def add(a, b):\n")
    kw.setdefault("suffix", "\n")
    kw.setdefault("max_tokens", 32)
    return GenerationRequest(**kw)


def cancel_once_text_came(event: threading.Event, seconds: float = 0.1):
    """A ``should_stop`` that sets ``event`` ``seconds`` after the first text arrived (however
    slow the machine is to get there), and the list that gets the moment it was set."""
    when: list[float] = []
    started: list[bool] = []

    def should_stop(text: str) -> bool:
        if text and not started:
            started.append(True)
            timer = threading.Timer(seconds, lambda: (when.append(time.monotonic()),
                                                      event.set()))
            timer.daemon = True
            timer.start()
        return False

    return should_stop, when


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
