"""The shared HTTP client: retries, errors, secrets, and the stream-format parsers."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from slm_lsp.engine.base import Cancel
from slm_lsp.engine.factory import make_engine, make_remote_engine, remote_format
from slm_lsp.engine.http import HttpClient
from slm_lsp.engine.remote import first_stop, sse_events
from slm_lsp.errors import EngineError

from .backend_helpers import backend, cancel_once_text_came, fim_request
from .real_server import free_port


@pytest.mark.parametrize("kind", ["llama-server", "openai", "ollama"])
def test_server_down_is_a_quick_clear_error(kind, qwen, all_logs):
    url = f"http://127.0.0.1:{free_port()}"
    eng = make_remote_engine(backend(kind, url, model="m", retries=2), qwen)
    t0 = time.monotonic()
    with pytest.raises(EngineError) as err:
        eng.generate(fim_request(), Cancel())
    elapsed = time.monotonic() - t0
    message = str(err.value)
    assert message.startswith(f"cannot reach the model server at {url}")
    assert "connection refused" in message and "\n" not in message
    assert 0.25 < elapsed < 5.0  # two retries: 0.1 s then 0.2 s of backoff; no long wait
    assert all_logs.text.count("retry") == 2
    with pytest.raises(EngineError, match="cannot reach"):
        eng.load()


def test_cancel_during_backoff_returns_at_once(qwen):
    url = f"http://127.0.0.1:{free_port()}"
    eng = make_remote_engine(backend("llama-server", url, retries=5), qwen)
    cancel = Cancel()
    threading.Timer(0.15, cancel.set).start()
    t0 = time.monotonic()
    gen = eng.generate(fim_request(), cancel)
    assert gen.stop_reason == "cancelled"
    assert time.monotonic() - t0 < 1.5  # the five backoffs alone take 3.1 s


def test_password_in_url_is_hidden(llama_double, qwen):
    port = llama_double.url.rsplit(":", 1)[1]
    eng = make_remote_engine(
        backend("llama-server", f"http://team:hunter2secret@127.0.0.1:{port}"), qwen)
    llama_double.api_key = "other"
    with pytest.raises(EngineError) as err:
        eng.generate(fim_request(), Cancel())
    assert "hunter2secret" not in str(err.value) and "HTTP 401" in str(err.value)
    headers, _body = llama_double.last("/infill")
    assert headers["Authorization"] == "Basic dGVhbTpodW50ZXIyc2VjcmV0"  # team:hunter2secret


def test_bad_urls(monkeypatch):
    with pytest.raises(EngineError, match="must be an http"):
        HttpClient("ftp://example.org/")

    def no_such_host(*args, **kwargs):  # what the resolver answers, without asking DNS
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(EngineError, match="cannot resolve the host"):
        HttpClient("http://no-such-host.invalid:1", retries=0).json("GET", "/health")


def test_defaults_fill_an_empty_url(qwen):
    eng = make_remote_engine(backend("ollama", ""), qwen)
    assert eng.client.url == "http://127.0.0.1:11434"
    with pytest.raises(EngineError, match="not a remote backend"):
        make_remote_engine(backend("local", ""), qwen)


def test_openai_base_url_may_end_in_v1(qwen):
    eng = make_remote_engine(backend("openai", "http://127.0.0.1:8000/v1/"), qwen)
    assert eng.client.base_path == ""


def test_sse_parsing():
    lines = [": keep-alive", "data: {\"a\": 1}", "", "data: x", "data: y", "", "event: ping",
             "error: {\"message\": \"boom\"}", "", "data: [DONE]", ""]
    assert list(sse_events(iter(lines))) == [
        ("data", '{"a": 1}'), ("data", "x\ny"), ("error", '{"message": "boom"}'),
        ("data", "[DONE]")]


def test_first_stop():
    assert first_stop("abc\n\ndef", ("\n\n", "d")) == 3
    assert first_stop("abc", ("x",)) is None
    assert first_stop("aXbX", ("X",), start=2) == 3


@pytest.mark.parametrize(("settings_model", "server_model", "family"), [
    pytest.param("", "qwen2.5-coder:1.5b-base", "qwen", id="ollama-name"),
    pytest.param("", "Qwen/Qwen2.5-Coder-1.5B", "qwen", id="hf-name"),
    pytest.param("", "deepseek-coder-1.3b-base.Q4_K_M.gguf", "deepseek", id="gguf-file"),
    pytest.param("starcoder2-3b", "whatever", "starcoder2", id="known-id-wins"),
    pytest.param("", "llama3.2:1b", "plain", id="unknown"),
])
def test_remote_format(settings_model, server_model, family):
    fmt = remote_format(backend("openai", "", model=server_model), settings_model)
    assert fmt.name == family


def test_the_engine_factory_builds_the_backend_the_settings_name():
    from slm_lsp.settings import resolve

    settings, problems = resolve({"backend": {"type": "ollama", "url": "http://10.0.0.5:11434",
                                              "model": "qwen2.5-coder:1.5b-base"}})
    assert not problems
    eng, fmt, choice = make_engine(settings)
    assert eng.type == "ollama" and eng.fmt.name == "qwen" and fmt.name == "qwen"
    assert eng.client.url == "http://10.0.0.5:11434"
    assert choice is None  # no local model is chosen for a remote backend


def test_token_budgets_do_not_wait_for_a_server_that_is_down(llama_double, qwen):
    eng = make_remote_engine(backend("llama-server", llama_double.url), qwen)
    assert eng.count_tokens("abcdef") == 2  # the server's count
    llama_double.api_key = "now-required"  # the tokenizer starts failing
    t0 = time.monotonic()
    assert eng.count_tokens("x" * 35) == 10  # estimated
    assert eng.count_tokens("y" * 35) == 10  # estimated without asking again
    assert time.monotonic() - t0 < 5.0
    assert llama_double.paths().count("/tokenize") == 2
    assert eng.count_tokens("abcdef") == 2  # still cached
    with pytest.raises(EngineError, match="HTTP 401"):
        eng.tokenize("abc")


def test_a_cancel_set_between_chunks_stops_the_stream(llama_double, qwen):
    # Set from the stream's own thread, between two chunks (as a filter that saw enough would).
    llama_double.endless, llama_double.delay = True, 0.02
    eng = make_remote_engine(backend("llama-server", llama_double.url), qwen)
    cancel = Cancel()
    should_stop, fired = cancel_once_text_came(cancel)
    gen = eng.generate(fim_request(max_tokens=10_000, should_stop=should_stop), cancel)
    assert gen.stop_reason == "cancelled" and gen.text
    assert time.monotonic() - fired[0] < 1.0


def test_remote_engines_lay_out_no_chat_prompts(qwen):
    eng = make_remote_engine(backend("openai", "http://127.0.0.1:1"), qwen)
    assert eng.chat_template() == ""  # so the rewrite action is not offered over a server
    with pytest.raises(EngineError, match="does not lay out chat prompts"):
        eng.chat_parts([{"role": "user", "content": "x"}])
