"""An OpenAI-compatible completions server as an engine: vLLM, llama-cpp-python's server
(``python -m llama_cpp.server``), LM Studio, llama.cpp's ``/v1`` routes.

We send our own rendered prompt (FIM markers written as text, parsed as special tokens by
these servers) to ``POST /v1/completions`` with ``stream: true``; the answer is server-sent
events ``data: {"choices": [{"text", "finish_reason", "logprobs"}]}`` ending with
``data: [DONE]``. ``logprobs: 1`` asks for ``logprobs.token_logprobs``; a server that refuses
it (HTTP 400 naming logprobs) is asked again without, once.

Tokens: llama-cpp-python has ``POST /extras/tokenize`` (``{"input"}`` -> ``{"tokens"}``), vLLM
``POST /tokenize`` (``{"model", "prompt"}`` -> ``{"tokens"}``); others get the estimate.
Model facts come from ``GET /v1/models``: the first model's ``id`` is used when
``backend.model`` is empty; the context length from ``max_model_len`` (vLLM) or
``meta.n_ctx_train`` (llama.cpp), else 2048.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from .base import Cancel, ModelInfo
from .http import HttpStatusError, Response
from .remote import DONE, Chunk, RemoteEngine, sse_objects, want_logprobs

log = logging.getLogger(__name__)

_FINISH = {"stop": "stop", "eos": "stop", "length": "length"}


class OpenAIEngine(RemoteEngine):
    """``backend.type = "openai"``."""

    type = "openai"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A base URL given as ".../v1" (as OpenAI clients take it) is the same server.
        if self.client.base_path.endswith("/v1"):
            self.client.base_path = self.client.base_path[:-3]
        self.logprobs = True
        self._tokenize_path: str | None = None
        self._lead: list[int] | None = None  # what /extras/tokenize puts before any text (BOS)
        self._listed: list[dict] = []  # /v1/models, as the health check read it

    def _models(self) -> list[dict]:
        body = self.client.json("GET", "/v1/models")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise self.client.fail(
                f"{self.client.url}/v1/models is not an OpenAI model list; is this an "
                "OpenAI-compatible server?")
        return [m for m in data if isinstance(m, dict)]

    def _health(self, report: Callable[[float], None]) -> None:
        self._listed = self._models()

    def _model_info(self) -> ModelInfo:
        models = self._listed or self._models()
        chosen = next((m for m in models if m.get("id") == self.model), None)
        if chosen is None and models:
            if self.model:
                names = ", ".join(str(m.get("id")) for m in models[:5])
                log.warning("model %r is not listed by %s (it has %s)", self.model,
                            self.client.url, names)
            chosen = models[0]
        chosen = chosen or {}
        if not self.model:
            self.model = str(chosen.get("id") or "")
        meta = chosen.get("meta") or {}
        n_ctx = chosen.get("max_model_len") or meta.get("n_ctx_train") or 2048
        return ModelInfo(name=self.model or "openai", path=self.client.url, n_ctx=int(n_ctx),
                         size_bytes=int(meta.get("size") or 0))

    def _remote_tokenize(self, text: str) -> list[int] | None:
        ids = self._server_tokens(text)
        if ids is None or self._tokenize_path != "/extras/tokenize":
            return ids
        # llama-cpp-python puts the BOS in front: take off what an empty text gets.
        if self._lead is None:
            self._lead = self._server_tokens("") or []
        if self._lead and ids[: len(self._lead)] == self._lead:
            ids = ids[len(self._lead):]
        return ids

    def _server_tokens(self, text: str) -> list[int] | None:
        candidates = [self._tokenize_path] if self._tokenize_path else [
            "/extras/tokenize", "/tokenize"]
        for path in candidates:
            if path == "/extras/tokenize":
                body = {"input": text, "model": self.model or None}
            else:
                body = {"model": self.model, "prompt": text, "add_special_tokens": False}
            try:
                answer = self.client.json("POST", path, body, retries=0)
            except HttpStatusError as exc:
                if exc.status in (404, 405, 501):
                    continue
                raise
            tokens = answer.get("tokens") if isinstance(answer, dict) else None
            if isinstance(tokens, list):
                self._tokenize_path = path
                return [int(t) for t in tokens]
        return None

    def _body(self, request, stops: tuple[str, ...]) -> dict:
        body = {
            "prompt": request.prompt,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": True,
        }
        if self.model:
            body["model"] = self.model
        if stops:
            body["stop"] = list(stops)
        if self.logprobs and want_logprobs(request):
            body["logprobs"] = 1
        return body

    def _start(self, request, stops, cancel: Cancel):
        body = self._body(request, stops)
        try:
            response = self.client.stream("POST", "/v1/completions", body, cancel=cancel,
                                        deadline=request.deadline)
        except HttpStatusError as exc:
            if not (exc.status == 400 and "logprobs" in body and "logprob" in exc.detail.lower()):
                raise
            self.logprobs = False
            body.pop("logprobs")
            response = self.client.stream("POST", "/v1/completions", body, cancel=cancel,
                                        deadline=request.deadline)
        return response, self._chunks

    def _chunks(self, response: Response) -> Iterator[Chunk]:
        for obj in sse_objects(response, self.client):
            if obj is DONE:
                yield Chunk(done=True)
                return
            choices = obj.get("choices") if isinstance(obj, dict) else None
            if not isinstance(choices, list):
                raise self.client.fail(
                    f"the server at {self.client.url} streamed an event without choices; is it "
                    "OpenAI-compatible?")
            if not choices:  # a usage-only event
                continue
            yield _chunk(choices[0], obj.get("usage"))


def _chunk(choice: dict, usage: dict | None) -> Chunk:
    chunk = Chunk(text=str(choice.get("text") or ""))
    lp = choice.get("logprobs") or {}
    values = lp.get("token_logprobs") if isinstance(lp, dict) else None
    if isinstance(values, list):
        chunk.logprobs = [float(v) for v in values if isinstance(v, (int, float))]
        chunk.tokens = len(values)
        chunk.pieces = [str(t) for t in lp.get("tokens") or []]
    finish = choice.get("finish_reason")
    if finish:
        chunk.done = True
        chunk.stop_reason = _FINISH.get(finish, "stop")
    if isinstance(usage, dict) and isinstance(usage.get("prompt_tokens"), int):
        chunk.usage["prompt_tokens"] = usage["prompt_tokens"]
    return chunk
