"""The KV caches of recent places: a move keeps the cache it leaves, a return restores it.

Real model (the embedded SmolLM2), real llama.cpp. Returning to a place evaluates only what
changed there, and predicts what an engine that never left predicts: the restored cache is the
one that was kept. (An engine that evaluated the prompt in other batches may round apart at a
near tie, as after any change of the cache's layout.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slm_lsp.engine.base import Cancel, GenerationRequest
from slm_lsp.engine.places import Places, common_prefix
from slm_lsp.models.registry import choose_model

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

ROOT = Path(__file__).resolve().parents[2]
# Fixed code (the benchmarks' corpus), so that the prompts do not change with the project's own.
FILE_A = (ROOT / "benchmarks" / "corpus_typing" / "python" / "pygls" / "text_document.py"
          ).read_text(encoding="utf-8")
FILE_B = (ROOT / "benchmarks" / "corpus" / "python" / "dev" / "jsonpointer" / "jsonpointer.py"
          ).read_text(encoding="utf-8")


def _engine(**kw):
    from slm_lsp.engine.local import LocalEngine

    choice = choose_model("")
    engine = LocalEngine(str(choice.path), choice.format, n_ctx=2048, **kw)
    engine.load()
    return engine


@pytest.fixture(scope="module")
def engines():
    made = {"places": _engine(kv_cache_mb=256), "stayed": _engine(kv_cache_mb=0)}
    yield made
    for engine in made.values():
        engine.close()


def _req(text: str, max_tokens: int = 1) -> GenerationRequest:
    return GenerationRequest(prompt=text, max_tokens=max_tokens)


def _next_token(engine, text: str) -> tuple[str, int]:
    gen = engine.generate(_req(text), Cancel())
    return gen.text, gen.evaluated_tokens


def _stayed(engine, place: str, then: str) -> str:
    """The next token after ``then`` from an engine that evaluated ``place`` as the kept one
    was, and never moved."""
    engine.generate(_req(place, 4), Cancel())
    return _next_token(engine, then)[0]


def test_a_return_evaluates_only_what_changed_and_predicts_as_if_it_never_left(engines
                                                                                 ) -> None:
    engine, stayed = engines["places"], engines["stayed"]
    a1 = FILE_A[:2400]
    b1 = FILE_B[:2400]
    a2 = FILE_A[2600:5000]  # another function of the same file, far from the first
    engine.generate(_req(a1, 4), Cancel())
    engine.generate(_req(b1, 4), Cancel())  # a move: the first place is kept
    engine.generate(_req(a2, 4), Cancel())
    assert len(engine.places) >= 2

    # Back to the first place, one character typed there.
    back = a1 + "x"
    text, evaluated = _next_token(engine, back)
    assert evaluated <= 8, evaluated  # the place came back: only the new tail was evaluated
    assert engine.places.stats["restored"] >= 1
    assert text == _stayed(stayed, a1, back)

    # And to the second file, where the user had left it.
    text, evaluated = _next_token(engine, b1 + "\n")
    assert evaluated <= 8, evaluated
    assert text == _stayed(stayed, b1, b1 + "\n")


def test_windows_that_share_a_long_head_keep_their_own_places(engines) -> None:
    # Two prompts at one place that share more than half their tokens (a head of recent
    # places, then a short or a full window): going from one to the other keeps the first.
    engine = engines["places"]
    head = FILE_B[:1600]
    short = head + FILE_A[4000:4400]
    full = head + FILE_A[2400:4400]
    engine.generate(_req(short, 4), Cancel())
    engine.generate(_req(full, 0), Cancel())
    text, evaluated = _next_token(engine, short + "x")
    assert evaluated <= 8, evaluated
    text, evaluated = _next_token(engine, full + "y")
    assert evaluated <= 8, evaluated


def test_typing_in_place_keeps_no_copies(engines) -> None:
    engine = engines["places"]
    text = FILE_A[6000:8400]
    engine.generate(_req(text, 4), Cancel())  # a move here (the last place is kept)
    engine.places.clear()
    for ch in "abc":
        text += ch
        engine.generate(_req(text, 4), Cancel())
    assert len(engine.places) == 0


def test_without_budget_a_return_evaluates_the_whole_prompt() -> None:
    engine = _engine(kv_cache_mb=0)
    try:
        engine.generate(_req(FILE_A[:2400], 2), Cancel())
        engine.generate(_req(FILE_B[:2400], 2), Cancel())
        _, evaluated = _next_token(engine, FILE_A[:2400] + "x")
        assert evaluated > 300
        assert len(engine.places) == 0
    finally:
        engine.close()


def test_places_keep_within_budget_least_recently_used_first(engines) -> None:
    engine = engines["places"]
    ctx = engine._llm._ctx.ctx
    engine.generate(_req(FILE_A[:2400], 1), Cancel())
    cached = list(engine.cached_tokens)
    size = len(cached)
    places = Places(budget_bytes=10**9)
    assert places.keep(ctx, 0, cached)
    one = places.nbytes
    assert one > 0
    small = Places(budget_bytes=int(one * 2.5))
    for i in range(4):  # four different places (their token lists differ from the start)
        tokens = [i + 1] + cached[1:]
        assert small.keep(ctx, 0, tokens)
    assert len(small) == 2 and small.nbytes <= small.budget_bytes
    assert small.stats["dropped"] == 2
    best, n = small.best([4] + cached[1:size])
    assert best is not None and n == size
    # An updated copy of the same place supersedes the older one.
    small.keep(ctx, 0, [4] + cached[1:])
    assert len(small) == 2


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2]) == 2
