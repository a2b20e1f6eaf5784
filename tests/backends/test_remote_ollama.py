"""The Ollama engine against the Ollama protocol double (real sockets, NDJSON)."""

from __future__ import annotations

import time

import pytest

from slm_lsp.engine.base import Cancel
from slm_lsp.engine.factory import make_remote_engine
from slm_lsp.engine.ollama import OllamaEngine
from slm_lsp.engine.remote import CHARS_PER_TOKEN
from slm_lsp.errors import EngineError

from .backend_helpers import OLLAMA_MODEL, backend, cancel_once_text_came, fim_request


@pytest.fixture
def engine(ollama_double, qwen):
    eng = make_remote_engine(backend("ollama", ollama_double.url, model=OLLAMA_MODEL), qwen)
    yield eng
    eng.close()


def test_load_reads_the_model(engine):
    assert isinstance(engine, OllamaEngine)
    engine.load()
    assert engine.info.name == OLLAMA_MODEL
    assert engine.info.n_ctx == 8192  # the model's num_ctx, under its trained 32768


def test_unknown_model_says_how_to_get_it(ollama_double, qwen):
    eng = make_remote_engine(backend("ollama", ollama_double.url, model="nope:1b"), qwen)
    with pytest.raises(EngineError, match=r"has no model 'nope:1b'; run `ollama pull nope:1b`"):
        eng.load()


def test_model_is_required(ollama_double, qwen):
    eng = make_remote_engine(backend("ollama", ollama_double.url), qwen)
    with pytest.raises(EngineError, match="backend.model must name the Ollama model"):
        eng.load()


def test_raw_generate_wire_format(engine, ollama_double):
    gen = engine.generate(fim_request(stop=("\n\n",), max_tokens=20), Cancel())
    assert gen.text == "    return a + b\n"
    assert gen.stop_reason == "stop"
    assert gen.logprobs == [-0.5] * 6
    assert (gen.prompt_tokens, gen.prompt_ms, gen.decode_ms) == (17, 5.0, 20.0)
    _headers, body = ollama_double.last("/api/generate")
    assert body["raw"] is True and body["stream"] is True
    assert body["model"] == OLLAMA_MODEL
    # Raw mode ignores "suffix", so the FIM layout travels inside the rendered prompt.
    assert body["prompt"] == fim_request().prompt and "suffix" not in body
    assert body["options"]["num_predict"] == 20
    assert body["options"]["temperature"] == 0.0
    assert body["options"]["stop"][0] == "\n\n" and "<|fim_prefix|>" in body["options"]["stop"]


def test_token_cap_is_length(engine):
    gen = engine.generate(fim_request(max_tokens=3), Cancel())
    assert gen.stop_reason == "length" and gen.text == "    return a"


def test_cancel_mid_stream(engine, ollama_double):
    ollama_double.endless, ollama_double.delay = True, 0.05
    cancel = Cancel()
    should_stop, fired = cancel_once_text_came(cancel)
    gen = engine.generate(fim_request(max_tokens=10_000, should_stop=should_stop), cancel)
    assert gen.stop_reason == "cancelled" and gen.text
    assert time.monotonic() - fired[0] < 1.0  # generous: the stream is endless
    ollama_double.endless, ollama_double.delay = False, 0.001
    assert engine.generate(fim_request(), Cancel()).text == "".join(
        ollama_double.tokens)


def test_error_line_and_garbage(engine, ollama_double):
    ollama_double.models.clear()
    with pytest.raises(EngineError, match="HTTP 404: model .* not found, try pulling it first"):
        engine.generate(fim_request(), Cancel())
    ollama_double.models.add(OLLAMA_MODEL)
    ollama_double.mode = "garbage"
    with pytest.raises(EngineError, match="not JSON"):
        engine.generate(fim_request(), Cancel())


def test_token_counts_are_estimated(engine, ollama_double):
    text = "x" * 35
    assert engine.count_tokens(text) == round(35 / CHARS_PER_TOKEN)
    with pytest.raises(EngineError, match="no tokenizer endpoint"):
        engine.tokenize(text)
    assert all("token" not in p for p in ollama_double.paths())
