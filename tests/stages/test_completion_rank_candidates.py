"""An Invoked request's candidates: empty ones and duplicates dropped, the greedy answer first
when it survived the filters, the others by the mean log-probability of their kept tokens."""

from __future__ import annotations

from slm_lsp.completion.filters import kept_logprob, rank_candidates
from slm_lsp.engine.base import Generation


def gen(pieces: list[str], logprobs: list[float]) -> Generation:
    return Generation(text="".join(pieces), stop_reason="stop", tokens=len(pieces),
                      logprobs=logprobs, pieces=pieces)


def test_kept_logprob_counts_only_the_tokens_of_the_kept_text():
    g = gen([" return", " x", "\n", "print", "(1)"], [-0.1, -0.3, -2.0, -5.0, -5.0])
    assert kept_logprob(g, "return x") == (-0.1 - 0.3) / 2
    assert kept_logprob(g, "") == float("-inf")


def test_greedy_first_then_by_logprob_without_empties_or_duplicates():
    greedy = gen([" a"], [-3.0])
    sure = gen([" b"], [-0.1])
    unsure = gen([" c"], [-2.0])
    same = gen([" b", " "], [-0.5, -0.5])
    ranked = rank_candidates([("a", greedy), ("c", unsure), ("", sure), ("b", sure),
                              ("b  ", same)])
    assert ranked == ["a", "b", "c"]
    # The greedy answer filtered away: the best of the others leads.
    assert rank_candidates([("", greedy), ("c", unsure), ("b", sure)]) == ["b", "c"]
    assert rank_candidates([("", greedy)]) == []
