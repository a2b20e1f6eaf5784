"""Remote backends: the Engine protocol over HTTP, for a team's shared inference server.

``factory.make_remote_engine(settings.backend, fmt)`` returns the engine for ``backend.type``:

- ``llama-server`` (llama.cpp's server): ``/infill`` with the structured prefix, suffix and
  snippets, so the server renders FIM with its own model's tokens; ``/completion`` with our
  rendered prompt when the model has no FIM (``engine/llama_server.py``);
- ``openai`` (vLLM, llama-cpp-python's server, LM Studio): ``/v1/completions`` with our
  rendered prompt, FIM markers written as text (``engine/openai.py``);
- ``ollama``: ``/api/generate`` in raw mode with our rendered prompt (``engine/ollama.py``).

All three stream, stop as soon as ``cancel`` is set (a ``base.Cancel`` cuts the HTTP connection
from the cancelling thread, which also stops the server's work: ``http.py``), honour
``request.deadline`` (by the next chunk, or the read timeout it sets), ``request.stop`` and
``request.should_stop``, and turn a server that is down or answers garbage into an
``EngineError`` with a one-line message naming the URL. ``request.decode_budget_s`` counts from
the first token that arrives. Two request fields are for the in-process engine only: over a
text API the first token cannot be kept from being a line break (``require_text``), and the
servers parse marker text in the prompt as special tokens whatever ``parts`` says.

``tokenize`` uses the server's tokenizer (llama.cpp ``/tokenize``, llama-cpp-python
``/extras/tokenize``, vLLM ``/tokenize``). ``count_tokens`` asks it only for the first 32 texts
and then estimates with the characters-per-token ratio those showed (budgets count line by line:
one round trip per line would be too slow over a network). Ollama has no tokenizer endpoint:
counts are ``ceil(len(text) / 3.5)`` and ``tokenize`` raises ``EngineError``.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from ..errors import EngineError
from ..formats import PromptFormat
from ..settings import BackendSettings
from .base import Cancel, Engine, Generation, GenerationRequest, ModelInfo, StopReason
from .http import HttpClient, Response, snippet

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3.5  # the estimate used when the server has no tokenizer endpoint
TOKENIZER_PAUSE_S = 5.0  # after the tokenizer endpoint failed, estimate for this long
CALIBRATION_SAMPLES = 32  # texts counted by the server's tokenizer before estimating
DEFAULT_URLS = {
    "llama-server": "http://127.0.0.1:8080",
    "openai": "http://127.0.0.1:8000",
    "ollama": "http://127.0.0.1:11434",
}


@attrs.define
class Chunk:
    """One parsed piece of a streamed answer."""

    text: str = ""
    logprobs: list[float] = attrs.Factory(list)
    pieces: list[str] = attrs.Factory(list)  # the text of each token, when the server says
    tokens: int = 0  # tokens in ``text`` when the server says; else 1 per non-empty chunk
    done: bool = False
    stop_reason: StopReason | None = None  # the server's own reason, with ``done``
    usage: dict[str, float] = attrs.Factory(dict)  # Generation fields the server reported


def want_logprobs(request: GenerationRequest) -> bool:
    """Whether to ask the server for logprobs: they cost (2.3x the decode time on
    llama-cpp-python's server), so a request may say it does not need them (``logprobs``)."""
    return bool(getattr(request, "logprobs", True))


def first_stop(text: str, stops: tuple[str, ...], start: int = 0) -> int | None:
    """Where the earliest stop string begins in ``text`` (searching from ``start``)."""
    found = [i for s in stops if s and (i := text.find(s, start)) >= 0]
    return min(found) if found else None


class RemoteEngine(Engine):
    """What the three server types share: the generation loop, token counting, lifecycle.

    Subclasses implement ``_health``, ``_model_info``, ``_start`` (send the request, return the
    open response and a parser of its chunks) and optionally ``_remote_tokenize``."""

    type: str = "remote"
    format_reason: str = ""  # the format is the settings' or the model name's; nothing checks it

    def __init__(self, backend: BackendSettings, fmt: PromptFormat,
                 client: HttpClient | None = None):
        self.backend = backend
        self.fmt = fmt
        self.client = client or HttpClient(
            backend.url or DEFAULT_URLS.get(backend.type, ""),
            api_key_env=backend.api_key_env,
            timeout_ms=backend.timeout_ms,
            retries=backend.retries,
        )
        self.model = backend.model
        self.info = ModelInfo(name=backend.model or self.type, path=self.client.url, n_ctx=2048)
        self._tokenizer_missing = False
        self._tokenizer_down_until = 0.0
        self._counts: dict[str, int] = {}  # exact counts of the calibration samples
        self._calibration = [0, 0]  # characters and tokens the server counted

    # -- lifecycle -------------------------------------------------------------------------

    def load(self, progress: Callable[[float], None] | None = None) -> None:
        """Check that the server answers and read what it says about its model."""
        report = progress or (lambda _f: None)
        report(0.0)
        self._health(report)
        report(0.6)
        self.info = self._model_info()
        report(1.0)
        log.info("remote model %s at %s (n_ctx %d)", self.info.name, self.client.url,
                 self.info.n_ctx)

    def load_vocab(self) -> None:
        """The server holds the vocabulary: the same as ``load``."""
        self.load()

    def close(self) -> None:
        self.client.close()

    def _health(self, report: Callable[[float], None]) -> None:
        raise NotImplementedError

    def _model_info(self) -> ModelInfo:
        raise NotImplementedError

    # -- chat ------------------------------------------------------------------------------

    def chat_template(self) -> str:
        """"": we send raw prompts; the server's own chat template is not ours to apply."""
        return ""

    def chat_parts(self, messages: list[dict[str, str]]) -> tuple[tuple[str, bool], ...]:
        raise EngineError(f"the {self.type} backend does not lay out chat prompts")

    # -- tokens ----------------------------------------------------------------------------

    def _remote_tokenize(self, text: str) -> list[int] | None:
        """The server's token ids, or None when it has no tokenizer endpoint."""
        return None

    def tokenize(self, text: str) -> list[int]:
        ids = None if self._tokenizer_missing else self._remote_tokenize(text)
        if ids is None:
            self._tokenizer_missing = True
            raise EngineError(f"the {self.type} server at {self.client.url} has no tokenizer "
                              "endpoint; token counts are estimated")
        return ids

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text``, without a round trip per call.

        Budgets count line by line, so asking the server each time would cost one HTTP round
        trip per line of context. Instead the first ``CALIBRATION_SAMPLES`` texts are counted
        by the server's tokenizer (and those counts kept), and the rest are estimated with the
        characters-per-token ratio they showed. Without a tokenizer endpoint, or while it fails
        (then it is left alone for ``TOKENIZER_PAUSE_S``), the ratio is ``CHARS_PER_TOKEN``."""
        if not text:
            return 0
        count = self._counts.get(text)
        if count is not None:
            return count
        if len(self._counts) < CALIBRATION_SAMPLES and not self._tokenizer_missing \
                and time.monotonic() >= self._tokenizer_down_until:
            try:
                ids = self._remote_tokenize(text)
            except EngineError as exc:
                self._tokenizer_down_until = time.monotonic() + TOKENIZER_PAUSE_S
                log.info("token counts are estimated for %.0f s: %s", TOKENIZER_PAUSE_S, exc)
                ids = None
            else:
                if ids is None:
                    self._tokenizer_missing = True
                    log.info("%s has no tokenizer endpoint: token counts are estimated (%.1f "
                             "chars per token)", self.client.url, CHARS_PER_TOKEN)
            if ids is not None:
                self._counts[text] = len(ids)
                self._calibration[0] += len(text)
                self._calibration[1] += len(ids)
                return len(ids)
        return math.ceil(len(text) / self.chars_per_token)

    @property
    def chars_per_token(self) -> float:
        """The ratio estimates use: measured on the server's tokenizer once it has seen enough
        text, else ``CHARS_PER_TOKEN``."""
        chars, tokens = self._calibration
        return chars / tokens if chars >= 256 and tokens else CHARS_PER_TOKEN

    # -- generation ------------------------------------------------------------------------

    def stops_for(self, request: GenerationRequest) -> tuple[str, ...]:
        """The request's stop strings and the format's, without duplicates."""
        return tuple(dict.fromkeys(s for s in (*request.stop, *self.fmt.stop) if s))

    def _start(self, request: GenerationRequest, stops: tuple[str, ...],
               cancel: Cancel) -> tuple[Response, Callable[[Response], Iterator[Chunk]]]:
        raise NotImplementedError

    def generate(self, request: GenerationRequest, cancel: Cancel) -> Generation:
        """Stream a completion; see the module docstring for how it ends."""
        t0 = time.monotonic()
        if cancel.is_set():
            return Generation("", "cancelled")
        if not request.greedy:  # only candidates were asked for: a server gives none
            return Generation("", "stop")
        if request.deadline is not None and t0 >= request.deadline:
            return Generation("", "time")
        stops = self.stops_for(request)
        longest = max((len(s) for s in stops), default=0)
        text, logprobs, pieces, tokens = "", [], [], 0
        usage: dict[str, float] = {}
        first: float | None = None
        deadline = request.deadline
        reason: StopReason | None = None
        response, parse = self._start(request, stops, cancel)
        with response:
            for chunk in parse(response):
                # What arrives after a cancel or the deadline is not taken (it would have
                # been, had the stream been cut at that very moment).
                reason = _interrupted(cancel, deadline)
                if reason is not None:
                    break
                usage.update(chunk.usage)
                if chunk.text:
                    if first is None:
                        first = time.monotonic()
                        if request.decode_budget_s is not None:
                            deadline = min(deadline or math.inf, first + request.decode_budget_s)
                            response.deadline = deadline
                    searched = max(len(text) - longest, 0)
                    text += chunk.text
                    tokens += chunk.tokens or 1
                    new_pieces = chunk.pieces if "".join(chunk.pieces) == chunk.text else []
                    new_pieces = new_pieces or [chunk.text]
                    pieces.extend(new_pieces)
                    if len(chunk.logprobs) == len(new_pieces):
                        logprobs.extend(chunk.logprobs)
                    elif chunk.logprobs:  # one piece of several tokens: their joint logprob
                        logprobs.append(sum(chunk.logprobs))
                    cut = first_stop(text, stops, searched)
                    if cut is not None:
                        text, reason = text[:cut], "stop"
                        pieces = _cut_pieces(pieces, cut)
                        logprobs = logprobs[: len(pieces)]
                        break
                    if request.should_stop is not None and request.should_stop(text):
                        reason = "stop"
                        break
                if chunk.done:
                    reason = chunk.stop_reason or "stop"
                    response.drain()
                    break
                reason = _interrupted(cancel, deadline)
                if reason is not None:
                    break
                if tokens >= request.max_tokens:
                    reason = "length"
                    break
            if reason is None:
                reason = response.interrupted or ("cancelled" if cancel.is_set() else "stop")
        end = time.monotonic()
        gen = Generation(text=text, stop_reason=reason, tokens=tokens, logprobs=logprobs,
                         pieces=pieces)
        gen.prompt_ms = ((first or end) - t0) * 1000
        gen.decode_ms = (end - (first or end)) * 1000
        for key, value in usage.items():
            setattr(gen, key, type(getattr(gen, key))(value))
        return gen


DONE = object()  # ``data: [DONE]``, the end of an OpenAI stream


def sse_objects(response: Response, client: HttpClient) -> Iterator[Any]:
    """The JSON values of a server-sent-event stream (or the whole body of a server that
    ignored ``stream``), then ``DONE`` if the stream says ``data: [DONE]``. An error event
    (llama.cpp's ``error:`` field, or ``{"error": ...}``) raises ``EngineError``."""
    if "json" in response.content_type:
        events: Iterator[tuple[str, str]] = iter([("data", "\n".join(response.lines()))])
    else:
        events = sse_events(response.lines())
    for field, data in events:
        if data.strip() == "[DONE]":
            yield DONE
            return
        obj = parse_json(data, client, "stream event")
        if field == "error" or (isinstance(obj, dict) and "error" in obj):
            err = obj.get("error", obj) if isinstance(obj, dict) else obj
            message = err.get("message", err) if isinstance(err, dict) else err
            raise client.fail(f"the model server at {client.url} failed: {message}")
        yield obj


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """Server-sent events as ``(field, data)``: ``field`` is ``"data"`` or ``"error"`` (the
    field llama.cpp's server uses for an error mid-stream). Multi-line data is joined."""
    field, data = "", []
    for line in lines:
        if not line:
            if data:
                yield field, "\n".join(data)
            field, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name in ("data", "error"):
            field = field if field == "error" else name
            data.append(value)
    if data:
        yield field, "\n".join(data)


def ndjson_objects(lines: Iterator[str]) -> Iterator[str]:
    """The non-blank lines of a newline-delimited JSON stream."""
    for line in lines:
        if line.strip():
            yield line


def parse_json(text: str, client: HttpClient, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise client.fail(
            f"the model server at {client.url} sent a {what} that is not JSON: {snippet(text)}"
        ) from None


def _interrupted(cancel: Cancel, deadline: float | None) -> StopReason | None:
    """Why a stream must end now: "cancelled", "time" (the deadline passed), or None."""
    if cancel.is_set():
        return "cancelled"
    if deadline is not None and time.monotonic() >= deadline:
        return "time"
    return None


def _cut_pieces(pieces: list[str], length: int) -> list[str]:
    """The pieces that make up the first ``length`` characters of their concatenation."""
    out, used = [], 0
    for piece in pieces:
        if used + len(piece) >= length:
            if length - used:
                out.append(piece[: length - used])
            break
        out.append(piece)
        used += len(piece)
    return out
