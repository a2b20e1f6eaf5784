"""A cancel stops the in-process engine in the middle of a batch, and loses nothing else.

Real model (the embedded SmolLM2), real llama.cpp: a prompt evaluated as one large batch is
cancelled part way; the KV cache then holds only what came before that batch, the next request
predicts what an engine that was never interrupted predicts, and llama.cpp's complaint about
the aborted batch does not reach the user's log.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from slm_lsp.engine.base import Cancel, GenerationRequest
from slm_lsp.models.registry import choose_model

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

SOURCE = Path(__file__).resolve().parents[2] / "slm_lsp" / "engine" / "local.py"


@pytest.fixture(scope="module")
def engines():
    from slm_lsp.engine.local import LocalEngine

    choice = choose_model("")
    made = [LocalEngine(str(choice.path), choice.format, n_ctx=2048, n_batch=1024)
            for _ in range(2)]
    for engine in made:
        engine.load()
    yield made
    for engine in made:
        engine.close()


def _request(text: str, batch: int) -> GenerationRequest:
    return GenerationRequest(prompt=text, max_tokens=12, eval_batch=batch)


def test_cancel_stops_a_large_batch_part_way_and_the_cache_stays_valid(engines, caplog) -> None:
    engine, fresh = engines
    head = SOURCE.read_text(encoding="utf-8")[:2600]
    first = _request(head[:300], 0)
    engine.generate(first, Cancel())
    kept = len(engine.cached_tokens)
    long = _request(head, 1024)  # the rest of the prompt is one batch of hundreds of tokens
    n_prompt = engine.count_tokens(head)
    assert n_prompt - kept > 400

    cancel = Cancel()
    started = threading.Event()
    cancel_later = threading.Timer(0.4, cancel.set)
    result: dict = {}

    def run() -> None:
        started.set()
        result["gen"] = engine.generate(long, cancel)

    caplog.set_level(logging.INFO, logger="slm_lsp.llama")
    worker = threading.Thread(target=run)
    worker.start()
    started.wait()
    cancel_later.start()
    worker.join(timeout=120)
    assert not worker.is_alive()
    gen = result["gen"]
    assert gen.stop_reason == "cancelled" and gen.tokens == 0
    # The batch in flight was dropped whole: the cache ends where the previous request's
    # common prefix did, not after the batch.
    assert len(engine.cached_tokens) <= kept < n_prompt
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]

    # The interrupted engine predicts what one that never was predicts, given the same history
    # (the cache's cells are laid out by it, and the sums over them round by that layout).
    probe = GenerationRequest(prompt=head, max_tokens=1)
    again = engine.generate(probe, Cancel())
    fresh.generate(first, Cancel())
    reference = fresh.generate(probe, Cancel())
    assert again.stop_reason == reference.stop_reason != "cancelled"
    assert again.pieces == reference.pieces and again.tokens == 1
    assert abs(again.logprobs[0] - reference.logprobs[0]) < 0.05


def test_a_cancel_raised_after_its_request_ended_does_not_stop_the_next(engines) -> None:
    engine, _ = engines
    old = Cancel()
    engine.generate(_request("def add(a, b):\n    return", 0), old)
    old.set()  # the editor cancels a request that has already been answered
    gen = engine.generate(_request("class Point:\n    def __init__(self, x, y):\n", 0),
                          Cancel())
    assert gen.stop_reason != "cancelled" and gen.tokens > 0


def test_watchers_of_a_cancel_run_once_when_raised_and_at_once_when_late() -> None:
    calls: list[str] = []
    cancel = Cancel()
    stop = cancel.watch(lambda: calls.append("a"))
    cancel.set()
    cancel.set()
    stop()
    cancel.watch(lambda: calls.append("late"))
    assert calls == ["a", "late"]
    assert cancel.set_at is not None
