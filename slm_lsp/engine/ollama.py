"""Ollama as an engine.

Wire format (Ollama ``docs/api.md``): ``POST /api/generate`` with ``model``, ``prompt``,
``raw``, ``stream``, ``options`` (``num_predict``, ``temperature``, ``stop``); the answer is
newline-delimited JSON ``{"response": "...", "done": false}``, the last object with
``"done": true``, ``done_reason`` (``stop``/``length``), ``prompt_eval_count``, ``eval_count``
and durations in nanoseconds. Errors are ``{"error": "..."}``.

We always send ``raw: true`` with our own rendered prompt. In raw mode Ollama passes the prompt
to the model as it is and ignores ``suffix`` (the suffix only reaches the model through the
model's template, i.e. with ``raw: false``), so the FIM layout from ``models.toml`` --
snippets included -- is the one that works for every model.

``GET /api/version`` is the health check; ``POST /api/show`` gives the model's context length
(``model_info["<arch>.context_length"]``) and its ``num_ctx`` parameter: the context we assume
is ``num_ctx`` when the model sets it, else 2048 (Ollama's runtime default on small machines;
a longer prompt would be cut from the front). Ollama has no tokenizer endpoint: token counts are
estimated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .base import Cancel, ModelInfo
from .http import HttpStatusError, Response
from .remote import Chunk, RemoteEngine, ndjson_objects, parse_json, want_logprobs

_NS_PER_MS = 1_000_000


class OllamaEngine(RemoteEngine):
    """``backend.type = "ollama"``."""

    type = "ollama"

    def _health(self, report: Callable[[float], None]) -> None:
        version = self.client.json("GET", "/api/version")
        if not isinstance(version, dict) or "version" not in version:
            raise self.client.fail(f"{self.client.url}/api/version did not answer like Ollama")
        if not self.model:
            raise self.client.fail("backend.model must name the Ollama model to use "
                                   "(as in `ollama list`)")

    def _model_info(self) -> ModelInfo:
        try:
            show = self.client.json("POST", "/api/show", {"model": self.model})
        except HttpStatusError as exc:
            if exc.status == 404:
                raise self.client.fail(
                    f"the Ollama server at {self.client.url} has no model {self.model!r}; "
                    f"run `ollama pull {self.model}` there") from None
            raise
        n_ctx = 2048
        params = show.get("parameters") if isinstance(show, dict) else ""
        for line in str(params or "").splitlines():
            key, _, value = line.strip().partition(" ")
            if key == "num_ctx" and value.strip().isdigit():
                n_ctx = int(value.strip())
        info = show.get("model_info") if isinstance(show, dict) else None
        if isinstance(info, dict):
            arch = info.get("general.architecture", "")
            trained = info.get(f"{arch}.context_length")
            if isinstance(trained, int) and trained > 0:
                n_ctx = min(n_ctx, trained)
        return ModelInfo(name=self.model, path=self.client.url, n_ctx=n_ctx)

    def _start(self, request, stops, cancel: Cancel):
        options = {"num_predict": request.max_tokens, "temperature": request.temperature}
        if stops:
            options["stop"] = list(stops)
        body = {
            "model": self.model,
            "prompt": request.prompt,
            "raw": True,
            "stream": True,
            "options": options,
        }
        if want_logprobs(request):
            body["logprobs"] = True
        response = self.client.stream("POST", "/api/generate", body, cancel=cancel,
                                    deadline=request.deadline)
        return response, self._chunks

    def _chunks(self, response: Response) -> Iterator[Chunk]:
        for line in ndjson_objects(response.lines()):
            obj = parse_json(line, self.client, "stream line")
            if not isinstance(obj, dict):
                raise self.client.fail(f"{self.client.url} streamed {line[:80]!r}; is it Ollama?")
            if "error" in obj:
                raise self.client.fail(
                    f"the Ollama server at {self.client.url} failed: {obj['error']}")
            if "response" not in obj and not obj.get("done"):
                raise self.client.fail(
                    f"the server at {self.client.url} streamed a line without response; is it "
                    "Ollama?")
            yield _chunk(obj)


def _chunk(obj: dict) -> Chunk:
    chunk = Chunk(text=str(obj.get("response") or ""))
    logprobs = obj.get("logprobs")
    if isinstance(logprobs, list):
        items = [item for item in logprobs if isinstance(item, dict) and "logprob" in item]
        chunk.logprobs = [float(item["logprob"]) for item in items]
        chunk.pieces = [str(item.get("token", "")) for item in items]
    if obj.get("done"):
        chunk.done = True
        chunk.stop_reason = "length" if obj.get("done_reason") == "length" else "stop"
        usage = {
            "prompt_tokens": obj.get("prompt_eval_count"),
            "tokens": obj.get("eval_count"),
            "prompt_ms": _ms(obj.get("prompt_eval_duration")),
            "decode_ms": _ms(obj.get("eval_duration")),
        }
        chunk.usage = {k: v for k, v in usage.items() if isinstance(v, (int, float))}
    return chunk


def _ms(ns: object) -> float | None:
    return ns / _NS_PER_MS if isinstance(ns, (int, float)) else None
