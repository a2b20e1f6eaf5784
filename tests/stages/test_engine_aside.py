"""Work that must not evict the live cache (``GenerationRequest.keep_cache=False``: speculation,
code actions) runs aside from it: the place the user is typing in is still cached after it.

Real model (the embedded SmolLM2), real llama.cpp; the kept places are off (``kv_cache_mb=0``),
so only the live cache can hold the user's place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slm_lsp.engine.base import Cancel, GenerationRequest
from slm_lsp.models.registry import choose_model

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

ROOT = Path(__file__).resolve().parents[2]
PLACE = (ROOT / "benchmarks" / "corpus_typing" / "python" / "pygls" / "text_document.py"
         ).read_text(encoding="utf-8")[:2400]
ELSEWHERE = (ROOT / "benchmarks" / "corpus" / "python" / "dev" / "jsonpointer" / "jsonpointer.py"
             ).read_text(encoding="utf-8")[:1600]


def _engine(n_ctx: int):
    from slm_lsp.engine.local import LocalEngine

    choice = choose_model("")
    engine = LocalEngine(str(choice.path), choice.format, n_ctx=n_ctx, kv_cache_mb=0)
    engine.load()
    return engine


@pytest.fixture(scope="module", params=[2048, 1024], ids=["beside", "copied-out-and-back"])
def engine(request):
    # 2048 cells hold the place and the work aside at once; 1024 do not, and the live
    # sequence is copied out and back around the work.
    made = _engine(request.param)
    yield made
    made.close()


def _typing(engine, text: str):
    return engine.generate(GenerationRequest(prompt=text, max_tokens=6), Cancel())


@pytest.mark.parametrize("aside", [
    pytest.param(lambda text: text[:-40] + "\n# accepted\n", id="speculation-at-the-place"),
    pytest.param(lambda text: ELSEWHERE, id="code-action-elsewhere"),
])
def test_work_aside_leaves_the_place_cached(engine, aside) -> None:
    first = _typing(engine, PLACE)
    other = engine.generate(GenerationRequest(prompt=aside(PLACE), max_tokens=8,
                                              keep_cache=False), Cancel())
    assert other.evaluated_tokens > 1  # it did work of its own
    again = _typing(engine, PLACE)
    assert again.evaluated_tokens <= 1, "the work aside evicted the user's place"
    assert again.text == first.text


def test_work_that_keeps_its_cache_replaces_the_place(engine) -> None:
    # The contrast: a request that may keep its cache (the user moved) replaces the live one.
    _typing(engine, PLACE)
    engine.generate(GenerationRequest(prompt=ELSEWHERE, max_tokens=4), Cancel())
    assert _typing(engine, PLACE).evaluated_tokens > 100
