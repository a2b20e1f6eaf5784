"""A first answer at a new place comes from a short window when the full prompt would take too
long; the full window is then evaluated in the background, and the next request there uses it
and evaluates only what changed. Real model (the embedded SmolLM2), real tree-sitter."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from slm_lsp.completion.service import ModelCompleter
from slm_lsp.completion.snapshot import Snapshot
from slm_lsp.completion.trigger import decide
from slm_lsp.documents import Document
from slm_lsp.engine.base import Cancel
from slm_lsp.models.registry import choose_model
from slm_lsp.settings import resolve

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

SOURCE = (Path(__file__).resolve().parents[2] / "slm_lsp" / "engine" / "local.py").read_text(
    encoding="utf-8")


@pytest.fixture(scope="module")
def service():
    from slm_lsp.engine.local import LocalEngine

    choice = choose_model("")
    engine = LocalEngine(str(choice.path), choice.format, n_ctx=2048)
    engine.load()
    settings, problems = resolve({"completion": {"firstAnswerMs": 1000, "maxTokens": 4},
                                  "context": {"prefixTokens": 384}})
    assert not problems
    yield ModelCompleter(engine, choice.format, settings)
    engine.close()


def _snap(text: str, offset: int) -> Snapshot:
    doc = Document(uri="file:///w/local.py", text=text, version=1, language_id="python")
    return Snapshot.of(doc, offset, decide(doc, offset, invoked=True), path="local.py")


def test_a_slow_prompt_gets_a_short_window_first_then_the_full_one(service) -> None:
    engine = service.engine
    # Where a model evaluates 100 prompt tokens a second (a 1.3B model on a busy laptop), a
    # second of prompt is about 100 tokens: the 384-token window does not fit.
    engine.prompt_rate = 100.0
    offset = SOURCE.index("    def _eval(") + len("    def _e")
    first = service.complete(_snap(SOURCE, offset), Cancel(), automatic=True)
    assert first is not None and first.window == "short"
    assert first.generation.prompt_tokens <= 100
    assert first.generation.evaluated_tokens <= 100

    service.warm(_snap(SOURCE, offset), Cancel())  # what the service does in idle time
    engine.prompt_rate = 100.0
    typed = SOURCE[:offset] + "v" + SOURCE[offset:]
    nxt = service.complete(_snap(typed, offset + 1), Cancel(), automatic=True)
    assert nxt is not None and nxt.window == "full"
    assert nxt.generation.prompt_tokens > 2 * first.generation.prompt_tokens
    assert nxt.generation.evaluated_tokens <= 8


def test_a_prompt_that_fits_in_time_is_evaluated_whole(service) -> None:
    service.engine.prompt_rate = 100_000.0
    offset = SOURCE.index("    def _reuse(") + len("    def _r")
    result = service.complete(_snap(SOURCE, offset), Cancel(), automatic=True)
    assert result is not None and result.window == "full"
    assert result.generation.prompt_tokens > 150


def test_typing_on_before_the_full_window_is_ready_stays_on_the_short_one(service) -> None:
    # The background evaluation of the full window was pre-empted part way by the next key:
    # the short window is cached, the full one is not yet; the answer comes from the short
    # one at the cost of the key typed.
    engine = service.engine
    engine.prompt_rate = 200.0
    offset = SOURCE.index("    def _drop_tail(") + len("    def _d")
    first = service.complete(_snap(SOURCE, offset), Cancel(), automatic=True)
    assert first is not None and first.window == "short"
    from slm_lsp.completion.prompt import build_prompt
    from slm_lsp.engine.base import GenerationRequest

    full = build_prompt(_snap(SOURCE, offset), service.fmt, engine, service.settings,
                        service.line_tokens, service.anchors)
    # Stopped after its first batch or two, as the next key would stop it.
    part = engine.generate(GenerationRequest(
        prompt=full.text, parts=full.parts, max_tokens=0, eval_batch=32,
        deadline=time.monotonic() + 0.02), Cancel())
    assert part.stop_reason == "time"
    engine.prompt_rate = 200.0
    typed = SOURCE[:offset] + "r" + SOURCE[offset:]
    nxt = service.complete(_snap(typed, offset + 1), Cancel(), automatic=True)
    assert nxt is not None and nxt.window == "short"
    # The full window (about 500 tokens) is not evaluated at this key; the short one is at
    # most 128 (a short window under 32 tokens is not worth keeping, and is evaluated again).
    gen = nxt.generation
    assert gen.prompt_tokens <= 128 and gen.evaluated_tokens <= gen.prompt_tokens


def test_a_request_the_user_asked_for_waits_longer_for_the_full_window(service) -> None:
    # At 200 prompt tokens a second the full window (about 500 tokens) does not fit in the
    # keystroke's second: as you type, the first answer comes from a short window. Asked for,
    # it fits in the longer allowance, and the answer comes from the full window.
    engine = service.engine
    offset = SOURCE.index("    def close(") + len("    def c")
    assert service.answer_ms(automatic=False) > service.answer_ms(automatic=True)
    engine.prompt_rate = 200.0
    typed = service.complete(_snap(SOURCE, offset), Cancel(), automatic=True)
    assert typed is not None and typed.window == "short"
    offset = SOURCE.index("    def load(") + len("    def l")
    engine.prompt_rate = 200.0
    asked = service.complete(_snap(SOURCE, offset), Cancel())
    assert asked is not None and asked.window == "full"
    assert asked.generation.prompt_tokens > 300
