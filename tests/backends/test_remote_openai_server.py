"""The OpenAI-compatible engine against a real server process: llama-cpp-python's own server
(``python -m llama_cpp.server``) running the embedded SmolLM2-135M on a loopback port, one for
the session (``real_server`` in conftest.py) and one of its own for the test that kills it.

Without the server (its packages missing, or it does not start) these tests fail in CI and skip
elsewhere, with the reason (``real_server.start_real_server``)."""

from __future__ import annotations

import importlib.metadata
import time

import pytest

from slm_lsp.engine.base import Cancel, GenerationRequest
from slm_lsp.engine.factory import make_remote_engine
from slm_lsp.engine.openai import OpenAIEngine
from slm_lsp.errors import EngineError

from .backend_helpers import backend, cancel_after
from .real_server import SERVER_KEY as KEY
from .real_server import start_real_server

pytestmark = pytest.mark.slow

KEY_ENV = "SLM_LSP_TEST_SERVER_KEY"
# A prompt the small model keeps continuing: good for mid-stream cancellation.
COUNTING = "Count from 1 to 200: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"


@pytest.fixture
def server(real_server):
    return real_server


@pytest.fixture
def engine(server, plain, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    eng = make_remote_engine(backend("openai", server.url, api_key_env=KEY_ENV,
                                     timeout_ms=30_000), plain)
    eng.load()
    yield eng
    eng.close()


def test_the_server_says_its_version_and_llama_cpp_build(server):
    # The report's "real inference server" section shows these (conftest.py).
    assert server.version == importlib.metadata.version("llama-cpp-python")
    # What the libraries of this build say of themselves (libllama's and ggml's versions).
    assert "libllama " in server.build or "ggml " in server.build, server.output()[-2000:]


def test_completion_returns_text(engine):
    assert isinstance(engine, OpenAIEngine)
    assert engine.model  # taken from /v1/models
    gen = engine.generate(GenerationRequest(prompt="def add(a, b):\n    return", max_tokens=12),
                          Cancel())
    assert gen.text.strip()
    assert gen.stop_reason in ("stop", "length")
    assert 1 <= gen.tokens <= 12
    assert len(gen.logprobs) == gen.tokens and all(lp <= 0 for lp in gen.logprobs)
    assert "".join(gen.pieces) == gen.text and len(gen.pieces) == len(gen.logprobs)


def test_tokens_stream_in_as_they_are_generated(engine):
    seen: list[tuple[float, str]] = []

    def watch(text: str) -> bool:
        seen.append((time.monotonic(), text))
        return False

    t0 = time.monotonic()
    gen = engine.generate(GenerationRequest(prompt=COUNTING, max_tokens=24, should_stop=watch),
                          Cancel())
    end = time.monotonic()
    assert gen.tokens == 24 and gen.stop_reason == "length"
    assert len(seen) >= 12  # one call per streamed piece, not one at the end
    assert all(b[1].startswith(a[1]) for a, b in zip(seen, seen[1:], strict=False))
    assert seen[0][0] - t0 < (end - t0) * 0.8  # the first piece came well before the last


def test_cancel_mid_stream_returns_fast_and_server_keeps_serving(engine):
    cancel = Cancel()
    pieces: list[str] = []

    def after_a_few(text: str) -> bool:
        pieces.append(text)
        if len(pieces) == 5:
            cancel_after(cancel, 0.0)
        return False

    gen = engine.generate(GenerationRequest(prompt=COUNTING, max_tokens=400,
                                            should_stop=after_a_few), cancel)
    assert gen.stop_reason == "cancelled"
    assert 5 <= gen.tokens < 400
    # Latency from the cancel to the return, measured on a fresh stream with a timer.
    cancel = Cancel()
    fired = cancel_after(cancel, 0.5)
    gen = engine.generate(GenerationRequest(prompt=COUNTING, max_tokens=400), cancel)
    latency = time.monotonic() - fired[0]
    assert gen.stop_reason == "cancelled"
    # Generous for a busy machine; 400 tokens of the real model take far longer.
    assert latency < 1.0, f"cancel took {latency * 1000:.0f} ms"
    after = engine.generate(GenerationRequest(prompt="def add(a, b):", max_tokens=8),
                            Cancel())
    assert after.text and after.stop_reason in ("stop", "length")


def test_stop_strings_cut_the_text(engine):
    free = engine.generate(GenerationRequest(prompt=COUNTING, max_tokens=16), Cancel())
    assert " 12," in free.text  # the model counts on
    gen = engine.generate(GenerationRequest(prompt=COUNTING, max_tokens=16, stop=(" 12,",)),
                          Cancel())
    assert gen.stop_reason == "stop"
    assert gen.text == free.text[: free.text.index(" 12,")]
    assert " 12," not in gen.text


def test_deadline_ends_with_time(engine):
    t0 = time.monotonic()
    gen = engine.generate(GenerationRequest(prompt=COUNTING, max_tokens=400, deadline=t0 + 0.5),
                          Cancel())
    assert gen.stop_reason == "time"
    assert time.monotonic() - t0 < 3.0


def test_tokenize_matches_the_model(engine, server):
    llama_cpp = pytest.importorskip("llama_cpp")
    vocab = llama_cpp.Llama(str(server.model), vocab_only=True, verbose=False)
    text = "def add(a, b):\n    return a + b\n"
    expected = vocab.tokenize(text.encode(), add_bos=False, special=True)
    assert engine.tokenize(text) == expected
    assert engine.count_tokens(text) == len(expected)  # a calibration sample: exact
    for i in range(40):  # then the learned ratio, close to the real counts
        line = f"    total_{i} = sum(values[{i}:]) * {i}\n"
        real = len(vocab.tokenize(line.encode(), add_bos=False, special=True))
        assert abs(engine.count_tokens(line) - real) <= max(2, real // 4)


def test_wrong_key_is_refused_without_showing_it(server, plain, monkeypatch, all_logs):
    wrong = "sk-wrong-0d9e8f7a6b"
    monkeypatch.setenv(KEY_ENV, wrong)
    eng = make_remote_engine(backend("openai", server.url, api_key_env=KEY_ENV), plain)
    with pytest.raises(EngineError) as err:
        eng.load()
    assert "refused the API key (HTTP 401)" in str(err.value)
    assert server.url.split("//")[1] in str(err.value)
    for text in (str(err.value), all_logs.text):
        assert wrong not in text and KEY not in text


def test_key_pasted_into_api_key_env_is_never_shown(server, plain, all_logs):
    # A user puts the key itself where the variable's name belongs.
    eng = make_remote_engine(backend("openai", server.url, api_key_env=KEY), plain)
    with pytest.raises(EngineError, match="apiKeyEnv must name an environment variable") as err:
        eng.load()
    with pytest.raises(EngineError) as err2:
        eng.generate(GenerationRequest(prompt="x", max_tokens=2), Cancel())
    for text in (str(err.value), str(err2.value), all_logs.text):
        assert KEY not in text


def test_no_key_asks_for_one(server, plain):
    eng = make_remote_engine(backend("openai", server.url), plain)
    with pytest.raises(EngineError, match=r"asks for an API key \(HTTP 401\).*apiKeyEnv"):
        eng.generate(GenerationRequest(prompt="x", max_tokens=2), Cancel())


def test_server_killed_mid_request_then_restarted(plain, monkeypatch, all_logs):
    monkeypatch.setenv(KEY_ENV, KEY)
    srv = start_real_server(api_key=KEY)
    try:
        eng = make_remote_engine(backend("openai", srv.url, api_key_env=KEY_ENV,
                                         timeout_ms=30_000), plain)
        eng.load()
        killed: list[float] = []

        def kill_after_a_few(text: str) -> bool:
            if len(text) > 8 and not killed:
                srv.kill()
                killed.append(time.monotonic())
            return False

        with pytest.raises(EngineError) as err:
            eng.generate(GenerationRequest(prompt=COUNTING, max_tokens=400,
                                           should_stop=kill_after_a_few), Cancel())
        assert killed and time.monotonic() - killed[0] < 5.0
        message = str(err.value)
        assert srv.url.split("//")[1] in message and "\n" not in message
        assert "dropped the connection" in message or "cannot reach" in message

        # Down: a clear error, quickly (retries with backoff, then give up).
        t0 = time.monotonic()
        with pytest.raises(EngineError, match="cannot reach the model server at .*refused"):
            eng.generate(GenerationRequest(prompt="x", max_tokens=2), Cancel())
        assert time.monotonic() - t0 < 5.0

        # Back on the same port: the same engine works again.
        srv.start()
        gen = eng.generate(GenerationRequest(prompt="def add(a, b):", max_tokens=8),
                           Cancel())
        assert gen.text and gen.stop_reason in ("stop", "length")
        assert KEY not in all_logs.text
    finally:
        srv.stop()


def test_info_after_load(engine):
    assert engine.info.name == engine.model
    assert engine.info.n_ctx == 2048  # llama-cpp-python does not say: the fallback
    assert engine.info.path == engine.client.url
