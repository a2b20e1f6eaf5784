"""The llama-server engine against the llama.cpp server protocol double (real sockets, SSE)."""

from __future__ import annotations

import time

import attrs
import pytest

from slm_lsp.engine.base import Cancel, GenerationRequest, Snippet
from slm_lsp.engine.factory import make_remote_engine
from slm_lsp.engine.llama_server import LlamaServerEngine
from slm_lsp.engine.remote import CALIBRATION_SAMPLES
from slm_lsp.errors import EngineError

from .backend_helpers import backend, cancel_after, cancel_once_text_came, fim_request


@pytest.fixture
def engine(llama_double, qwen):
    eng = make_remote_engine(backend("llama-server", llama_double.url), qwen)
    yield eng
    eng.close()


def test_factory_picks_llama_server(engine):
    assert isinstance(engine, LlamaServerEngine)


def test_load_reads_props_with_progress(engine):
    seen = []
    engine.load(seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert engine.info.n_ctx == 4096
    assert engine.info.name == "qwen2.5-coder-1.5b-q8_0.gguf"


def test_load_waits_while_the_model_loads(engine, llama_double):
    llama_double.loading_until = time.monotonic() + 0.6
    t0 = time.monotonic()
    engine.load()
    assert time.monotonic() - t0 >= 0.5
    assert llama_double.paths().count("/health") >= 2


def test_infill_wire_format_and_text(engine, llama_double):
    request = fim_request(snippets=(Snippet("util.py", "def sub(a, b):\n    return a - b\n"),),
                          stop=("\n\n",), temperature=0.0)
    gen = engine.generate(request, Cancel())
    assert gen.text == "    return a + b\n"
    assert gen.stop_reason == "stop"
    assert gen.pieces == ["    ", "return", " a", " +", " b", "\n"]
    assert gen.logprobs == [-0.25] * 6
    assert (gen.prompt_tokens, gen.evaluated_tokens, gen.prompt_ms) == (42, 12, 7.5)
    _headers, body = llama_double.last("/infill")
    assert body["input_prefix"] == "def add(a, b):\n"
    assert body["input_suffix"] == "\n"
    assert body["input_extra"] == [{"filename": "util.py",
                                    "text": "def sub(a, b):\n    return a - b\n"}]
    assert body["stream"] is True and body["cache_prompt"] is True
    assert body["n_predict"] == 32 and body["n_probs"] == 1 and body["temperature"] == 0.0
    assert body["stop"][0] == "\n\n" and "<|file_sep|>" in body["stop"]
    assert "/completion" not in llama_double.paths()


def test_no_fim_falls_back_to_completion_once(engine, llama_double):
    llama_double.fim = False
    first = engine.generate(fim_request(), Cancel())
    second = engine.generate(fim_request(), Cancel())
    assert first.text == second.text == "".join(llama_double.tokens)
    assert llama_double.paths().count("/infill") == 1  # remembered after the 501
    _h, body = llama_double.last("/completion")
    assert body["prompt"] == fim_request().prompt


def test_prompt_only_requests_use_completion(engine, llama_double):
    gen = engine.generate(GenerationRequest(prompt="# explain\n", max_tokens=4), Cancel())
    assert gen.stop_reason == "length" and gen.tokens == 4
    assert llama_double.paths() == ["/completion"]


def test_stop_strings_are_cut_client_side_too(llama_double, plain):
    # The server is not told about "+" here (a format stop); the engine still cuts there.
    eng = make_remote_engine(backend("llama-server", llama_double.url), plain.__class__(
        name="t", stop=(" +",)))
    gen = eng.generate(fim_request(), Cancel())
    assert gen.text == "    return a"
    assert gen.pieces == ["    ", "return", " a"]
    assert gen.stop_reason == "stop"


def test_should_stop_ends_early(engine):
    gen = engine.generate(fim_request(should_stop=lambda text: "return" in text),
                          Cancel())
    assert gen.text == "    return" and gen.stop_reason == "stop"


def test_cancel_mid_stream_is_quick_and_server_keeps_serving(engine, llama_double):
    llama_double.endless, llama_double.delay = True, 0.05
    cancel = Cancel()
    should_stop, fired = cancel_once_text_came(cancel)
    gen = engine.generate(fim_request(max_tokens=10_000, should_stop=should_stop), cancel)
    latency = time.monotonic() - fired[0]
    assert gen.stop_reason == "cancelled"
    assert gen.text  # what came before the cancel is kept
    # Upper bounds in these tests leave room for a busy machine; what they rule out is
    # waiting for the stream (endless here) or for the HTTP timeout (30 s).
    assert latency < 1.0, f"cancel took {latency * 1000:.0f} ms"
    deadline = time.monotonic() + 2
    while llama_double.disconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert llama_double.disconnects == 1  # the server saw the hang-up and stopped
    llama_double.endless, llama_double.delay = False, 0.001
    assert engine.generate(fim_request(), Cancel()).stop_reason == "stop"


def test_cancel_while_waiting_for_the_first_byte(engine, llama_double):
    llama_double.mode = "hang"
    cancel = Cancel()
    fired = cancel_after(cancel, 0.2)
    gen = engine.generate(fim_request(), cancel)
    assert gen.stop_reason == "cancelled" and gen.text == ""
    assert time.monotonic() - fired[0] < 1.0


def test_deadline_ends_with_time(engine, llama_double):
    llama_double.endless, llama_double.delay = True, 0.02
    t0 = time.monotonic()
    gen = engine.generate(fim_request(max_tokens=10_000, deadline=t0 + 1.0), Cancel())
    assert gen.stop_reason == "time"
    assert 0.95 < time.monotonic() - t0 < 5.0
    assert 0 < llama_double.last("/infill")[1]["t_max_predict_ms"] <= 1000


def test_already_cancelled_sends_nothing(engine, llama_double):
    cancel = Cancel()
    cancel.set()
    assert engine.generate(fim_request(), cancel).stop_reason == "cancelled"
    assert llama_double.requests == []


def test_no_answer_within_timeout_is_an_engine_error(llama_double, qwen):
    llama_double.mode = "hang"
    eng = make_remote_engine(backend("llama-server", llama_double.url, timeout_ms=300), qwen)
    t0 = time.monotonic()
    with pytest.raises(EngineError, match=r"sent no answer within 300 ms") as err:
        eng.generate(fim_request(), Cancel())
    assert time.monotonic() - t0 < 5.0
    assert llama_double.url.split("//")[1] in str(err.value)


def test_garbage_is_an_engine_error(engine, llama_double):
    llama_double.mode = "garbage"
    with pytest.raises(EngineError, match="not JSON"):
        engine.generate(fim_request(), Cancel())


def test_server_dying_mid_stream_is_an_engine_error(engine, llama_double):
    llama_double.mode, llama_double.delay = "drop_after", 0.01
    t0 = time.monotonic()
    with pytest.raises(EngineError, match="dropped the connection mid-answer"):
        engine.generate(fim_request(), Cancel())
    assert time.monotonic() - t0 < 5.0


def test_tokenize_uses_the_server(engine, llama_double):
    assert engine.tokenize("abcdef") == [1000 + ord("a"), 1000 + ord("d")]
    assert llama_double.last("/tokenize")[1] == {
        "content": "abcdef", "add_special": False, "parse_special": True}
    assert engine.count_tokens("abcdefg") == 3
    assert engine.count_tokens("abcdefg") == 3
    assert llama_double.paths().count("/tokenize") == 2  # counts are cached


def test_keep_alive_connection_is_reused(engine, llama_double):
    for _ in range(3):
        engine.generate(fim_request(), Cancel())
    assert len(llama_double.peers) == 3
    assert len(set(llama_double.peers)) == 1  # one connection served all three


def test_decode_budget_counts_from_the_first_token(engine, llama_double):
    llama_double.endless, llama_double.delay = True, 0.02
    t0 = time.monotonic()
    gen = engine.generate(fim_request(max_tokens=10_000, decode_budget_s=0.25),
                          Cancel())
    assert gen.stop_reason == "time"
    assert 0.2 < time.monotonic() - t0 < 3.0
    assert 0 < gen.tokens <= 13  # at most 0.25 s / 20 ms per token


def test_logprobs_are_asked_only_when_wanted(engine, llama_double):
    @attrs.frozen
    class NoLogprobs(GenerationRequest):
        logprobs: bool = False

    gen = engine.generate(NoLogprobs(prompt="x", prefix="x", max_tokens=4), Cancel())
    assert "n_probs" not in llama_double.last("/infill")[1]
    assert gen.logprobs == [] and len(gen.pieces) == 4


def test_not_http_on_the_port_is_an_engine_error(engine, llama_double):
    llama_double.mode = "not_http"  # an SSH banner, then the connection closes
    t0 = time.monotonic()
    with pytest.raises(EngineError) as err:
        engine.generate(fim_request(), Cancel())
    # Without a whole status line HTTP cannot tell a banner from a hang-up: either way the
    # message names the server and says what went wrong, in one line.
    assert str(err.value).startswith(f"cannot reach the model server at {llama_double.url}: "
                                     "the server closed the connection without answering")
    assert time.monotonic() - t0 < 5.0


def test_an_answer_that_is_not_http_is_an_engine_error(engine, llama_double):
    llama_double.mode = "not_http_lines"
    with pytest.raises(EngineError, match=r"request to http://127\.0\.0\.1:\d+ failed: "
                                          r"the answer is not HTTP"):
        engine.generate(fim_request(), Cancel())


def test_count_tokens_calibrates_then_stops_asking(engine, llama_double):
    lines = [f"    value_{i} = compute(value_{i - 1}, {i})\n" for i in range(1, 41)]
    counts = [engine.count_tokens(line) for line in lines]
    asked = llama_double.paths().count("/tokenize")
    assert asked == CALIBRATION_SAMPLES  # then the ratio takes over: no call per line
    # The double's tokenizer makes a token of every 3 characters; the estimate learned that.
    sample = lines[:CALIBRATION_SAMPLES]
    ratio = sum(map(len, sample)) / sum(len(line[::3]) for line in sample)
    assert engine.chars_per_token == pytest.approx(ratio)
    for line, count in zip(lines, counts, strict=True):
        assert abs(count - len(line[::3])) <= 1
    assert engine.count_tokens(lines[0]) == counts[0]
    assert llama_double.paths().count("/tokenize") == asked
