"""llama.cpp's HTTP server (``llama-server``) as an engine.

Wire format (llama.cpp ``tools/server/README.md``):

- ``POST /infill`` takes ``input_prefix``, ``input_suffix``, ``input_extra``
  (``[{"filename", "text"}]``) and every ``/completion`` option; the server lays out the FIM
  prompt with its model's own tokens (repo-level when the model has them). A model without FIM
  tokens gets HTTP 501 ("Infill is not supported by this model"): we then send our rendered
  prompt to ``POST /completion`` and remember that for the life of the engine.
- With ``stream: true`` the answer is server-sent events: ``data: {"content": "...",
  "stop": false, ...}``; the last event has ``"stop": true``, ``stop_type`` (``eos``,
  ``word``, ``limit``), ``timings`` and ``tokens_evaluated``/``tokens_cached``. An error mid-
  stream comes as an ``error:`` event. ``n_probs: 1`` adds ``completion_probabilities``.
- ``GET /health`` is 200 when ready and 503 while the model loads; ``GET /props`` gives
  ``model_path`` and ``default_generation_settings.n_ctx``; ``POST /tokenize`` takes
  ``content`` and returns ``{"tokens": [...]}``.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterator

from .base import Cancel, GenerationRequest, ModelInfo
from .http import HttpStatusError, Response
from .remote import Chunk, RemoteEngine, sse_objects, want_logprobs

log = logging.getLogger(__name__)

_STOP_TYPES = {"eos": "stop", "word": "stop", "limit": "length"}


class LlamaServerEngine(RemoteEngine):
    """``backend.type = "llama-server"``."""

    type = "llama-server"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.infill: bool | None = None  # None until the first /infill answer says

    def _health(self, report: Callable[[float], None]) -> None:
        # 503 means "loading model": wait for it, within the timeout.
        until = time.monotonic() + (self.client.timeout_s or 120.0)
        while True:
            try:
                self.client.json("GET", "/health")
                return
            except HttpStatusError as exc:
                if exc.status != 503 or time.monotonic() >= until:
                    raise
            report(0.3)
            time.sleep(0.25)

    def _model_info(self) -> ModelInfo:
        props = self.client.json("GET", "/props")
        if not isinstance(props, dict):
            raise self.client.fail(f"the server at {self.client.url}/props is not llama-server")
        settings = props.get("default_generation_settings") or {}
        n_ctx = settings.get("n_ctx") or props.get("n_ctx") or 2048
        path = str(props.get("model_path") or "")
        name = self.model or os.path.basename(path) or "llama-server"
        return ModelInfo(name=name, path=path or self.client.url, n_ctx=int(n_ctx))

    def _remote_tokenize(self, text: str) -> list[int] | None:
        try:
            body = self.client.json("POST", "/tokenize", {
                "content": text, "add_special": False, "parse_special": True}, retries=0)
        except HttpStatusError as exc:
            if exc.status in (404, 405, 501):
                return None
            raise
        tokens = body.get("tokens") if isinstance(body, dict) else None
        if not isinstance(tokens, list):
            raise self.client.fail(f"{self.client.url}/tokenize answered without tokens")
        return [t["id"] if isinstance(t, dict) else int(t) for t in tokens]

    def _options(self, request: GenerationRequest, stops: tuple[str, ...]) -> dict:
        body = {
            "n_predict": request.max_tokens,
            "temperature": request.temperature,
            "stop": list(stops),
            "stream": True,
            "cache_prompt": True,
        }
        if want_logprobs(request):
            body["n_probs"] = 1
        if request.deadline is not None:
            # The server's own budget; it applies once a newline has been generated.
            remaining = (request.deadline - time.monotonic()) * 1000
            body["t_max_predict_ms"] = max(int(remaining), 1)
        return body

    def _start(self, request, stops, cancel: Cancel):
        options = self._options(request, stops)
        structured = bool(request.prefix or request.suffix)
        if structured and self.infill is not False:
            body = {
                **options,
                "input_prefix": request.prefix,
                "input_suffix": request.suffix,
                "input_extra": [{"filename": s.path, "text": s.text} for s in request.snippets],
            }
            try:
                response = self.client.stream("POST", "/infill", body, cancel=cancel,
                                            deadline=request.deadline)
                self.infill = True
                return response, self._chunks
            except HttpStatusError as exc:
                if exc.status not in (400, 404, 501):
                    raise
                self.infill = False
                log.info("%s: /infill unavailable (%s); using /completion with the rendered "
                         "prompt", self.client.url, exc.detail or exc.status)
        response = self.client.stream("POST", "/completion", {**options, "prompt": request.prompt},
                                    cancel=cancel, deadline=request.deadline)
        return response, self._chunks

    def _chunks(self, response: Response) -> Iterator[Chunk]:
        for obj in sse_objects(response, self.client):
            if not isinstance(obj, dict) or "content" not in obj:
                raise self.client.fail(
                    f"the server at {self.client.url} streamed an event without content; is it "
                    "llama-server?")
            yield _chunk(obj)


def _chunk(obj: dict) -> Chunk:
    chunk = Chunk(text=str(obj.get("content") or ""))
    probs = obj.get("completion_probabilities") or []
    chunk.pieces = [str(item.get("token", item.get("content", ""))) for item in probs]
    for item in probs:
        if "logprob" in item:
            chunk.logprobs.append(float(item["logprob"]))
        elif item.get("probs"):  # older servers: [{"content", "probs": [{"tok_str", "prob"}]}]
            best = item["probs"][0].get("prob", 0.0)
            chunk.logprobs.append(math.log(best) if best > 0 else -math.inf)
    chunk.tokens = len(probs) or (1 if chunk.text else 0)
    if obj.get("stop"):
        chunk.done = True
        chunk.stop_reason = _STOP_TYPES.get(obj.get("stop_type", ""), "stop")
        timings = obj.get("timings") or {}
        usage = {
            "prompt_tokens": obj.get("tokens_evaluated"),
            "evaluated_tokens": timings.get("prompt_n"),
            "prompt_ms": timings.get("prompt_ms"),
            "decode_ms": timings.get("predicted_ms"),
        }
        chunk.usage = {k: v for k, v in usage.items() if isinstance(v, (int, float))}
    return chunk

