"""A request's record: what its work cost, also when the work runs twice."""

from __future__ import annotations

from slm_lsp.completion.service import Completion
from slm_lsp.completion.stats import CompletionStats, work_done
from slm_lsp.completion.trigger import Mode
from slm_lsp.engine.base import Cancel, Generation


def _result(text: str, *, prompt: int, evaluated: int, tokens: int, alt_tokens: int = 0,
            dropped: str = "") -> Completion:
    gen = Generation(text, "stop", tokens=tokens, prompt_tokens=prompt,
                     evaluated_tokens=evaluated, prompt_ms=10.0 * evaluated,
                     decode_ms=20.0 * tokens,
                     alternatives=[Generation("x", "stop", tokens=alt_tokens)] if alt_tokens
                     else [])
    return Completion(text, "model", Mode.LINE, gen, dropped=dropped, build_ms=1.0,
                      post_ms=0.5, window="full")


def test_one_run_fills_the_record() -> None:
    rec = CompletionStats().record(id=1)
    work_done(rec, _result("a", prompt=300, evaluated=280, tokens=6), Cancel(), 0.002, 0.0)
    assert (rec["promptTokens"], rec["evaluatedTokens"], rec["tokens"]) == (300, 280, 6)
    assert (rec["promptMs"], rec["decodeMs"], rec["waitMs"], rec["runs"]) == (2800, 120, 2, 1)
    assert "dropped" not in rec


def test_a_second_run_adds_its_cost_to_the_first() -> None:
    # The greedy answer dropped by the filters, then the candidates over the cached prompt:
    # the record is what the request cost in all, not only its last run.
    rec = CompletionStats().record(id=1)
    work_done(rec, _result("", prompt=300, evaluated=280, tokens=6,
                           dropped="empty after filters"), Cancel(), 0.002, 0.0)
    work_done(rec, _result("b", prompt=300, evaluated=1, tokens=6, alt_tokens=18), Cancel(),
              0.001, 0.0)
    assert (rec["promptTokens"], rec["evaluatedTokens"], rec["tokens"]) == (300, 281, 12)
    assert (rec["promptMs"], rec["decodeMs"], rec["altTokens"]) == (2810, 240, 18)
    assert (rec["waitMs"], rec["buildMs"], rec["runs"]) == (3, 2, 2)
    assert "dropped" not in rec  # the second run's answer survived
    # What the first run alone cost stays apart: the greedy answer that the filters dropped.
    assert (rec["firstRunMs"], rec["firstEvaluatedTokens"], rec["firstTokens"]) == (2920, 280, 6)
