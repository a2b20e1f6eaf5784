"""Candidates from the in-process engine: the next most likely first tokens, each continued
greedily from the same prompt's KV cache (real model: the embedded SmolLM2, real llama.cpp)."""

from __future__ import annotations

import math

import pytest

from slm_lsp.engine.base import Cancel, GenerationRequest
from slm_lsp.models.registry import choose_model

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

PROMPT = "def fibonacci(n):\n    if n < 2:\n        return n\n    "


@pytest.fixture(scope="module")
def engine():
    from slm_lsp.engine.local import LocalEngine

    choice = choose_model("")
    made = LocalEngine(str(choice.path), choice.format, n_ctx=1024)
    made.load()
    yield made
    made.close()


def test_alternatives_start_with_other_tokens_and_are_less_likely(engine) -> None:
    plain = engine.generate(GenerationRequest(prompt=PROMPT, max_tokens=8), Cancel())
    assert not plain.alternatives  # not asked for: one greedy answer
    gen = engine.generate(GenerationRequest(prompt=PROMPT, max_tokens=8, alternatives=3,
                                            decode_budget_s=600),
                          Cancel())
    assert gen.text == plain.text
    assert len(gen.alternatives) == 3
    firsts = [gen.pieces[0]] + [alt.pieces[0] for alt in gen.alternatives]
    assert len(set(firsts)) == 4, firsts
    first_lps = [gen.logprobs[0]] + [alt.logprobs[0] for alt in gen.alternatives]
    assert first_lps == sorted(first_lps, reverse=True)
    assert all(lp <= 0 and math.isfinite(lp) for lp in first_lps)
    for alt in gen.alternatives:
        assert alt.text.startswith(alt.pieces[0]) and alt.tokens >= 1


def test_the_cache_after_candidates_still_gives_the_greedy_answer(engine) -> None:
    engine.generate(GenerationRequest(prompt=PROMPT + "x = 1\n", max_tokens=6,
                                      alternatives=2), Cancel())
    again = engine.generate(GenerationRequest(prompt=PROMPT, max_tokens=8), Cancel())
    from slm_lsp.engine.local import LocalEngine

    choice = choose_model("")
    fresh = LocalEngine(str(choice.path), choice.format, n_ctx=1024)
    fresh.load()
    try:
        assert again.text == fresh.generate(GenerationRequest(prompt=PROMPT, max_tokens=8),
                                            Cancel()).text
    finally:
        fresh.close()


def test_without_the_greedy_answer_only_the_candidates_are_decoded(engine) -> None:
    # After the filters drop the greedy answer, its candidates are decoded alone: the same
    # candidates as beside it, and no greedy token decoded again.
    ask = GenerationRequest(prompt=PROMPT, max_tokens=8, alternatives=3, decode_budget_s=600)
    beside = engine.generate(ask, Cancel())
    alone = engine.generate(GenerationRequest(prompt=PROMPT, max_tokens=8, alternatives=3,
                                              decode_budget_s=600, greedy=False), Cancel())
    assert alone.text == "" and alone.tokens == 0
    assert [a.text for a in alone.alternatives] == [a.text for a in beside.alternatives]
    assert len(alone.alternatives) == 3
