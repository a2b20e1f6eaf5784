"""Model headers are checked before llama.cpp sees them; the context is sized to the model and
the memory. Corrupt models are real copies of the embedded SmolLM2 with one header value changed."""

from __future__ import annotations

import pytest
from support.corrupt_gguf import patched, patched_copy

from slm_lsp.models.validate import ModelCannotLoad, check_model, plan_context

CORRUPT = {
    "block_count=0": ({"llama__block_count": 0}, "block_count = 0"),
    "more layers than tensors": ({"llama__block_count": 31}, "file has 30 layers"),
    "context 0": ({"llama__context_length": 0}, "context_length = 0"),
    "width 0": ({"llama__embedding_length": 0}, "embedding_length = 0"),
    "width not the tensors'": ({"llama__embedding_length": 512}, "512"),
    "kv heads not dividing": ({"llama__attention__head_count_kv": 4}, "multiple of its 4"),
    "heads 0": ({"llama__attention__head_count": 0}, "head_count = 0"),
    "kv heads 0": ({"llama__attention__head_count_kv": 0}, "head_count_kv = 0"),
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, embedded_model):
    """One copy of the real model, patched and restored by each case."""
    return patched_copy(embedded_model, tmp_path_factory.mktemp("gguf") / "bad.gguf")


@pytest.mark.parametrize("case", list(CORRUPT))
def test_a_corrupt_header_cannot_load(case, scratch):
    values, expected = CORRUPT[case]
    check_model(scratch)  # the copy is good...
    with patched(scratch, **values), pytest.raises(ModelCannotLoad, match="cannot load") as info:
        check_model(scratch)  # ...until one value is changed
    assert expected in str(info.value)


def test_the_real_model_passes_and_is_sized(embedded_model):
    hyper = check_model(embedded_model)
    assert (hyper.n_layer, hyper.n_embd, hyper.n_ctx_train) == (30, 576, 8192)
    # 30 layers x 3 KV heads x (64 + 64) x 2 bytes per token
    assert hyper.kv_bytes_per_token() == 30 * 3 * 128 * 2


def test_nctx_is_capped_by_the_trained_context_and_by_memory(embedded_model):
    hyper = check_model(embedded_model)
    plan = plan_context(hyper, 524288, available=64 << 30)
    assert plan.n_ctx == 8192 and "trained for; using 8192" in plan.warnings[0]
    plan = plan_context(hyper, 8192, available=300 << 20, model_bytes=100 << 20)
    assert plan.n_ctx * hyper.kv_bytes_per_token() <= 100 << 20
    assert plan.n_ctx % 256 == 0 and f"using {plan.n_ctx}" in plan.warnings[0]
    assert plan_context(hyper, 2048, available=64 << 30).warnings == ()
    with pytest.raises(ModelCannotLoad, match="KV cache"):
        plan_context(hyper, 2048, available=1 << 20)


def test_a_model_llama_cpp_aborts_on_is_refused_by_the_trial_load(tmp_path, embedded_model,
                                                                  scratch, monkeypatch):
    """The trial load in a child process meets llama.cpp's abort on a zero-layer model (the
    header checks are skipped here to reach it); the parent gets a message, and a good model
    is remembered so that it is tried only once."""
    from slm_lsp.engine import probe

    monkeypatch.setenv("SLM_LSP_MODELS_DIR", str(tmp_path / "models"))
    with patched(scratch, llama__block_count=0), pytest.raises(
            ModelCannotLoad, match=r"cannot load bad.gguf: llama.cpp (aborted|failed)"):
        probe.ensure_loadable(scratch)
    assert not probe.known_loadable(scratch)
    probe.ensure_loadable(embedded_model)
    assert probe.known_loadable(embedded_model)
