"""Prompt lookup decoding: drafts taken from the context, verified in one batch, never change
the greedy output. Real model (the embedded SmolLM2), real llama.cpp.

The identity rests on llama.cpp giving a token evaluated in a batch the logits it gets evaluated
alone. With flash attention (an engine option, on here) it does for this model's weights (Q4_1):
``test_a_batch_gets_the_logits_of_single_tokens`` checks that directly. Without it, the
attention's batched matmul rounds apart (up to 0.8 here) and the greedy text can flip at a near
tie; with Q4_K weights (the named models' files) the weights' kernels round apart too (about 0.1),
which is why drafting stays off by default (see benchmarks/LATENCY.md)."""

from __future__ import annotations

import pytest

from slm_lsp.engine.base import Cancel, GenerationRequest
from slm_lsp.engine.local import Lookup
from slm_lsp.models.registry import choose_model

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

# Code that repeats itself, as code does: the model's continuation copies from the context.
PROMPTS = (
    "def area(shape):\n    if shape.kind == 'square':\n        return shape.side * shape.side\n"
    "    if shape.kind == 'rect':\n        return shape.width * shape.height\n"
    "    if shape.kind == 'circle':\n        return 3.14159 * shape.radius * shape.radius\n\n\n"
    "def perimeter(shape):\n    if shape.kind == 'square':\n",
    "const config = {\n  host: process.env.HOST || 'localhost',\n"
    "  port: process.env.PORT || 8080,\n  user: process.env.USER || 'admin',\n}\n\n"
    "function describe(config) {\n  return `host=${config.host} port=",
    "import os\nimport sys\n\n\nclass Loader:\n    def __init__(self, root):\n"
    "        self.root = root\n        self.cache = {}\n\n    def load(self, name):\n"
    "        path = os.path.join(self.root, name)\n        if path in self.cache:\n"
    "            return self.cache[path]\n",
)


@pytest.fixture(scope="module")
def engine():
    from slm_lsp.engine.local import LocalEngine

    choice = choose_model("")
    made = LocalEngine(str(choice.path), choice.format, n_ctx=2048, kv_reuse=False,
                       flash_attn=True)
    made.load()
    yield made
    made.close()


def test_a_batch_gets_the_logits_of_single_tokens(engine) -> None:
    import numpy as np

    llm = engine._llm
    n_vocab = llm.n_vocab()
    prompt = llm.tokenize(PROMPTS[0].encode(), add_bos=True)
    more = llm.tokenize(b" return shape.side * 4 if shape else None", add_bos=False)[:8]
    llm._ctx.kv_cache_seq_rm(-1, 0, -1)
    llm.n_tokens = 0
    llm.eval(prompt)
    single = []
    for tok in more:
        llm.eval([tok])
        single.append(np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,)).copy())
    llm._ctx.kv_cache_seq_rm(-1, len(prompt), -1)
    llm.n_tokens = len(prompt)
    engine._cached = list(prompt)
    assert engine._eval(more, Cancel(), logits_all=True)
    batch = [engine._logits(i).copy() for i in range(len(more))]
    engine._cached.clear()
    for one, many in zip(single, batch, strict=True):
        assert np.array_equal(one, many)


@pytest.mark.parametrize("prompt", PROMPTS)
def test_drafts_do_not_change_the_greedy_text(engine, prompt: str) -> None:
    plain = engine.generate(GenerationRequest(prompt=prompt, max_tokens=48), Cancel())
    drafted = engine.generate(GenerationRequest(prompt=prompt, max_tokens=48, draft_tokens=8),
                              Cancel())
    assert drafted.text == plain.text
    assert drafted.tokens == plain.tokens and drafted.stop_reason == plain.stop_reason
    assert plain.drafted == 0
    assert drafted.accepted <= drafted.drafted


def test_drafts_are_taken_and_accepted_on_repetitive_code(engine) -> None:
    gens = [engine.generate(GenerationRequest(prompt=p, max_tokens=48, draft_tokens=8),
                            Cancel()) for p in PROMPTS]
    assert sum(g.drafted for g in gens) > 0
    assert sum(g.accepted for g in gens) > 0


def test_the_cache_holds_only_the_answer_after_drafts() -> None:
    from slm_lsp.engine.local import LocalEngine

    choice = choose_model("")
    eng = LocalEngine(str(choice.path), choice.format, n_ctx=2048)
    eng.load()
    try:
        gen = eng.generate(GenerationRequest(prompt=PROMPTS[0], max_tokens=24, draft_tokens=8),
                           Cancel())
        prompt = eng._prompt_tokens(GenerationRequest(prompt=PROMPTS[0]))
        # The prompt, then the evaluated answer tokens (the last one is not evaluated when
        # the answer ends on a stop): no draft token beyond them.
        assert list(eng.cached_tokens[:len(prompt)]) == prompt
        assert len(eng.cached_tokens) - len(prompt) <= gen.tokens
    finally:
        eng.close()


def test_lookup_drafts_what_followed_the_last_ngram() -> None:
    look = Lookup([1, 2, 3, 4, 5, 9, 1, 2])
    assert look.draft(3, 2) == [4, 5]  # (1, 2, 3) occurred before: 4, 5 followed
    look.add(3)
    assert look.draft(7, 4) == []  # (2, 3, 7) and (3, 7) never occurred
    assert Lookup([5, 6, 5]).draft(6, 3) == [5]  # (5, 6) occurred: 5 followed
