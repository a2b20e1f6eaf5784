"""Protocol doubles: small loopback HTTP servers that speak the wire formats of llama.cpp's
server (``llama-server``) and Ollama, for the backends whose real binaries are not installed
here. They generate scripted text instead of running a model, but every byte goes over a real
socket, in the documented formats:

- llama-server (llama.cpp ``tools/server/README.md``): ``GET /health`` (503 while "loading"),
  ``GET /props``, ``POST /tokenize``, ``POST /infill`` (501 "Infill is not supported by this
  model" when the model has no FIM tokens) and ``POST /completion``, streamed as server-sent
  events ``data: {"content", "stop", ...}`` over chunked transfer encoding, the last event with
  ``stop: true``, ``stop_type``, ``timings``; ``completion_probabilities`` when ``n_probs > 0``;
  errors as ``{"error": {"code", "message", "type"}}``.
- Ollama (``docs/api.md``): ``GET /api/version``, ``POST /api/show`` (404 for an unknown model),
  ``POST /api/generate`` streamed as newline-delimited JSON (``application/x-ndjson``), the last
  line with ``done: true``, ``done_reason`` and nanosecond durations; ``raw`` with ``template``
  or ``system`` is refused with 400; in raw mode the prompt is used as is and ``suffix`` is
  ignored, as Ollama does.

Both honour ``stop`` and the token cap, and notice a client that hangs up (``disconnects``).
Modes for failure tests: ``hang`` (never answer), ``garbage`` (not JSON), ``drop_after``
(close the socket mid-stream, as a crashed server does), ``not_http`` and ``not_http_lines``
(llama-server double only: another protocol on the port).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CODE = ["    ", "return", " a", " +", " b", "\n", "\n", "def", " sub", "(a", ",", " b", "):"]


class Double(ThreadingHTTPServer):
    """A scripted server; ``tokens`` are emitted one per event, ``delay`` seconds apart."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        super().__init__(("127.0.0.1", 0), handler)
        self.tokens: list[str] = list(CODE)
        self.delay = 0.002
        self.endless = False  # repeat the tokens until the client hangs up
        self.fim = True
        self.api_key = ""
        self.mode = ""  # "", "hang", "garbage", "drop_after"
        self.drop_after = 3
        self.loading_until = 0.0
        self.models = {"qwen2.5-coder:1.5b-base"}
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.peers: list[int] = []  # the client's port, per request: one per connection
        self.disconnects = 0
        self.finished = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def last(self, path: str) -> tuple[dict[str, str], Any]:
        for _method, p, headers, body in reversed(self.requests):
            if p == path:
                return headers, body
        raise AssertionError(f"no request to {path}; got {[r[1] for r in self.requests]}")

    def paths(self) -> list[str]:
        return [p for _m, p, _h, _b in self.requests]

    def __enter__(self) -> Double:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Double

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    # -- plumbing ---------------------------------------------------------------------------

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        self.server.requests.append((self.command, self.path, dict(self.headers), body))
        self.server.peers.append(self.client_address[1])
        return body

    def _json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        key = self.server.api_key
        if key and self.headers.get("Authorization") != f"Bearer {key}":
            self._json(401, {"error": {"code": 401, "message": "Invalid API Key",
                                       "type": "authentication_error"}})
            return False
        return True

    def _chunk(self, data: bytes) -> bool:
        """One HTTP chunk; False when the client has gone."""
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError):
            self.server.disconnects += 1
            self.close_connection = True
            return False

    def _stream(self, content_type: str, events: Any) -> None:
        srv = self.server
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i, data in enumerate(events):
            if srv.mode == "drop_after" and i == srv.drop_after:
                self.connection.shutdown(2)  # as if the process died mid-answer
                self.close_connection = True
                return
            if not self._chunk(data):
                return
            if srv.stopping.wait(srv.delay):
                return
        if self._chunk(b""):
            srv.finished += 1

    def _generate(self, n_predict: int, stops: list[str]):
        """(piece, done, reason) triples of the scripted generation."""
        srv, text, i = self.server, "", 0
        while n_predict < 0 or i < n_predict:
            if i >= len(srv.tokens) and not srv.endless:
                yield "", True, "eos"
                return
            piece = srv.tokens[i % len(srv.tokens)]
            i += 1
            text += piece
            hits = [text.find(s) for s in stops if s and s in text]
            if hits:
                cut = min(hits)
                yield piece[: len(piece) - (len(text) - cut)], True, "word"
                return
            yield piece, False, ""
        yield "", True, "limit"

    def _hang(self) -> bool:
        if self.server.mode == "hang":
            self.server.stopping.wait(60)
            return True
        return False


class LlamaServerHandler(_Handler):
    """llama.cpp's server."""

    def do_GET(self) -> None:
        self._body()
        if self.path == "/health":
            if time.monotonic() < self.server.loading_until:
                self._json(503, {"error": {"code": 503, "message": "Loading model",
                                           "type": "unavailable_error"}})
            else:
                self._json(200, {"status": "ok"})
        elif self.path == "/props":
            self._json(200, {
                "default_generation_settings": {"n_ctx": 4096, "params": {"n_predict": -1}},
                "total_slots": 1,
                "model_path": "/models/qwen2.5-coder-1.5b-q8_0.gguf",
                "chat_template": "",
                "build_info": "b4000-double",
            })
        else:
            self._json(404, {"error": {"code": 404, "message": "File Not Found",
                                       "type": "not_found_error"}})

    def do_POST(self) -> None:
        body = self._body() or {}
        if self.server.mode.startswith("not_http"):  # some other service on that port
            self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n")
            if self.server.mode == "not_http_lines":  # a few lines more before it hangs up
                self.wfile.write(b"Invalid SSH identification string.\r\n\r\n")
            self.close_connection = True
            return
        if not self._authorized():
            return
        if self.path == "/tokenize":
            text = body.get("content", "")
            self._json(200, {"tokens": [1000 + ord(c) for c in text[::3]]})
        elif self.path == "/infill" and not self.server.fim:
            self._json(501, {"error": {
                "code": 501, "type": "not_supported_error",
                "message": "Infill is not supported by this model: prefix token is missing. "}})
        elif self.path in ("/infill", "/completion"):
            if self.path == "/completion" and "prompt" not in body:
                self._json(400, {"error": {"code": 400, "message": '"prompt" must be provided',
                                           "type": "invalid_request_error"}})
                return
            if self._hang():
                return
            self._stream("text/event-stream", self._events(body))
        else:
            self._json(404, {"error": {"code": 404, "message": "File Not Found",
                                       "type": "not_found_error"}})

    def _events(self, body: dict):
        if self.server.mode == "garbage":
            yield b"data: <html>502 Bad Gateway</html>\n\n"
            return
        n_probs = int(body.get("n_probs", 0))
        decoded = 0
        for piece, done, reason in self._generate(int(body.get("n_predict", -1)),
                                                  body.get("stop", [])):
            event: dict[str, Any] = {"index": 0, "content": piece, "tokens": [], "stop": False,
                                     "id_slot": 0, "tokens_predicted": decoded,
                                     "tokens_evaluated": 42}
            if piece and n_probs:
                event["completion_probabilities"] = [{
                    "id": 1000 + decoded, "token": piece, "logprob": -0.25,
                    "bytes": list(piece.encode()), "top_logprobs": []}]
            decoded += bool(piece)
            if done:
                event.update(stop=True, stop_type=reason, stopping_word="",
                             tokens_cached=30, timings={
                                 "prompt_n": 12, "prompt_ms": 7.5,
                                 "predicted_n": decoded, "predicted_ms": 20.0})
            yield b"data: " + json.dumps(event).encode() + b"\n\n"


class OllamaHandler(_Handler):
    """Ollama."""

    def do_GET(self) -> None:
        self._body()
        if self.path == "/api/version":
            self._json(200, {"version": "0.5.7"})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self._body() or {}
        if not self._authorized():
            return
        model = body.get("model", "")
        if self.path == "/api/show":
            if model not in self.server.models:
                self._json(404, {"error": f"model '{model}' not found"})
                return
            self._json(200, {
                "parameters": 'num_ctx                        8192\nstop "<|endoftext|>"',
                "template": "{{ .Prompt }}",
                "details": {"family": "qwen2", "parameter_size": "1.5B"},
                "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768},
            })
        elif self.path == "/api/generate":
            if not model:
                self._json(400, {"error": "model is required"})
            elif model not in self.server.models:
                self._json(404, {"error": f"model '{model}' not found, try pulling it first"})
            elif body.get("raw") and (body.get("template") or body.get("system")):
                self._json(400, {"error": "raw mode does not support template, system, or "
                                          "context"})
            elif not self._hang():
                self._stream("application/x-ndjson", self._lines(body))
        else:
            self._json(404, {"error": "not found"})

    def _lines(self, body: dict):
        if self.server.mode == "garbage":
            yield b"<html>502 Bad Gateway</html>\n"
            return
        options = body.get("options") or {}
        count = 0
        for piece, done, reason in self._generate(int(options.get("num_predict", -1)),
                                                  options.get("stop") or []):
            line: dict[str, Any] = {"model": body["model"], "created_at": "2025-01-01T00:00:00Z",
                                    "response": piece, "done": False}
            if piece and body.get("logprobs"):
                line["logprobs"] = [{"token": piece, "logprob": -0.5,
                                     "bytes": list(piece.encode())}]
            count += bool(piece)
            if done:
                line.update(done=True, done_reason="length" if reason == "limit" else "stop",
                            total_duration=30_000_000, load_duration=1_000_000,
                            prompt_eval_count=17, prompt_eval_duration=5_000_000,
                            eval_count=count, eval_duration=20_000_000)
            yield json.dumps(line).encode() + b"\n"
