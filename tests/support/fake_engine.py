"""A scripted engine for tests where determinism is the point.

The script is a JSON file: ``{"format": "plain" | a FIM format of models.toml, "rules": [{"match":
"text in the prompt", "text": "what to answer", "alternatives": ["the next candidates"],
"delay_s": 0}], "log": "calls.jsonl"}``. The first
rule whose ``match`` occurs in the prompt answers (``should_stop`` and ``stop`` strings are
honoured as the real engine does); no match answers "". Each call is appended to ``log`` (or
to ``SLM_LSP_FAKE_LOG``) so tests can prove that a request did, or did not, run the model. A
``delay_s`` answer waits, checking the cancel event, to exercise cancellation. ``alternatives``
answer a request for candidates (``GenerationRequest.alternatives``), at most as many as asked.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from slm_lsp.engine.base import Engine, Generation, GenerationRequest, ModelInfo
from slm_lsp.formats import PromptFormat
from slm_lsp.models.registry import load_registry


class FakeEngine(Engine):
    """An ``Engine`` that answers from a script."""

    def __init__(self, script: dict, log_path: str | None = None):
        self.script = script
        self.fmt = load_registry().formats[script.get("format", "plain")]
        self.rules = script.get("rules", [])
        self.log_path = log_path or script.get("log") or os.environ.get("SLM_LSP_FAKE_LOG")
        self.info = ModelInfo(name="fake", path="", n_ctx=4096)
        self.prompts: list[str] = []
        self.requests: list[GenerationRequest] = []

    @classmethod
    def from_file(cls, path: str) -> FakeEngine:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def load(self, progress=None) -> None:
        if progress:
            progress(1.0)

    def load_vocab(self) -> None:
        pass

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def tokenize(self, text: str) -> list[int]:
        return [ord(c) % 50000 for c in text]

    def close(self) -> None:
        pass

    def _log(self, entry: dict) -> None:
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    def generate(self, request: GenerationRequest, cancel: threading.Event) -> Generation:
        prompt = "".join(t for t, _ in request.parts) if request.parts else request.prompt
        self.prompts.append(prompt)
        self.requests.append(request)
        self._log({"prompt": prompt[-400:]})
        rule = next((r for r in self.rules if r.get("match", "") in prompt), None)
        if rule is None:
            return Generation(text="", stop_reason="stop")
        end = time.monotonic() + float(rule.get("delay_s", 0))
        while time.monotonic() < end:
            if cancel.wait(0.02):
                self._log({"event": "cancelled"})
                return Generation(text="", stop_reason="cancelled")
        if cancel.is_set():
            return Generation(text="", stop_reason="cancelled")
        text = ""
        for ch in rule.get("text", ""):
            text += ch
            cuts = [i for i in (text.find(s) for s in request.stop if s) if i >= 0]
            if cuts:
                return Generation(text=text[:min(cuts)], stop_reason="stop")
            if request.should_stop is not None and request.should_stop(text):
                return Generation(text=text, stop_reason="stop")
        if not request.greedy:  # known already: only the candidates
            text = ""
        return Generation(text=text, stop_reason="stop", tokens=len(text),
                          decode_ms=float(rule.get("decode_ms", 0)), alternatives=[
            Generation(text=alt, stop_reason="stop", tokens=len(alt))
            for alt in rule.get("alternatives", [])[:request.alternatives]])


def make_fake_engine(script_path: str) -> tuple[FakeEngine, PromptFormat, None]:
    """What ``make_engine`` returns when ``SLM_LSP_FAKE_ENGINE`` names a script."""
    engine = FakeEngine.from_file(script_path)
    return engine, engine.fmt, None
