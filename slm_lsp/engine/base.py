"""The engine interface: one small base class that the local and remote backends implement.

An engine turns a rendered prompt into generated text. It knows nothing of LSP or documents.
Each engine holds the model's prompt format (``PromptFormat`` from ``models.toml``, as
``engine.fmt``): the local engine checks it against the model's vocabulary at load (and picks it
when the file's name does not tell) and looks up the ids of its markers; the remote engines add
its stop strings to each request. Rendering the prompt stays in ``prompts/``.

``Engine`` declares everything its callers use; what only some engines can tell (a cost
estimate, what the load changed, the tokens held in the KV cache) has a default that says
"nothing to tell", so callers call it plainly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import attrs

from ..errors import EngineError

if TYPE_CHECKING:
    from ..formats import PromptFormat

StopReason = Literal["stop", "length", "time", "cancelled", "error"]


class Cancel(threading.Event):
    """A cancellation flag that remembers when it was raised (to measure how fast work stops)
    and tells whoever watches it at once, so an engine can stop in the middle of a batch."""

    def __init__(self) -> None:
        super().__init__()
        self.set_at: float | None = None
        self._watchers: list[Callable[[], None]] = []

    def set(self) -> None:
        if self.is_set():
            return
        self.set_at = time.perf_counter()
        super().set()
        for watcher in list(self._watchers):
            watcher()

    def watch(self, watcher: Callable[[], None]) -> Callable[[], None]:
        """Call ``watcher`` (from the setting thread) when the flag is raised, at once if it
        already is; returns the function that stops watching."""
        self._watchers.append(watcher)
        if self.is_set():
            watcher()

        def unwatch() -> None:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

        return unwatch


@attrs.frozen
class Snippet:
    """Code from elsewhere in the workspace, shown to the model before the current file."""

    path: str
    text: str


@attrs.frozen
class GenerationRequest:
    """What to generate.

    ``prompt`` is the fully rendered prompt, special tokens written as text (they are parsed as
    special tokens by the engine). ``prefix``/``suffix``/``snippets`` are the same parts in
    structured form, for remote servers that render FIM prompts themselves (llama.cpp ``/infill``).
    """

    prompt: str
    # The same prompt as (text, is_special_marker) parts: the local engine tokenizes code with
    # special-token parsing off, so code that contains marker text cannot inject markers.
    parts: tuple[tuple[str, bool], ...] = ()
    max_tokens: int = 64
    stop: tuple[str, ...] = ()
    deadline: float | None = None  # time.monotonic() after which generation ends
    # Seconds allowed for decoding, counted from the first generated token; with it,
    # ``deadline`` bounds only the prompt evaluation.
    decode_budget_s: float | None = None
    temperature: float = 0.0
    prefix: str = ""
    suffix: str = ""
    snippets: tuple[Snippet, ...] = ()
    # Stop early when this returns True for the text so far (e.g. the block ended).
    should_stop: Callable[[str], bool] | None = attrs.field(default=None, eq=False)
    # The first token may not be a line break or end the generation (an empty line in a body
    # must get code, not the end of the block).
    require_text: bool = False
    # Prompt tokens evaluated between two checks for cancellation (0: the engine's default).
    # Small batches stop sooner; large ones evaluate a cold prompt faster.
    eval_batch: int = 0
    # Whether token log-probabilities are needed (confidence gating); remote servers are much
    # slower when asked for them.
    logprobs: bool = True
    # Keep the KV cache of this prompt (False for speculative work that must not evict it).
    keep_cache: bool = True
    # Prompt lookup: up to this many tokens that followed the last generated tokens where they
    # occur earlier in the prompt are verified in the batch of each new token (0: off). The
    # greedy output is the same; a continuation that repeats the context decodes faster.
    draft_tokens: int = 0
    # Candidates: also continue this many other first tokens, the next most likely after the
    # greedy one, each greedily (``Generation.alternatives``). An engine that cannot answers
    # with none.
    alternatives: int = 0
    # False: the greedy answer is known already (the filters dropped it); decode only the
    # candidates. An engine without candidates then answers with nothing at once.
    greedy: bool = True


@attrs.define
class Generation:
    """What came out, and what it cost."""

    text: str
    stop_reason: StopReason
    tokens: int = 0
    logprobs: list[float] = attrs.Factory(list)
    pieces: list[str] = attrs.Factory(list)  # the text of each generated token
    prompt_tokens: int = 0
    evaluated_tokens: int = 0  # prompt tokens actually evaluated (the rest came from the KV cache)
    prompt_ms: float = 0.0
    decode_ms: float = 0.0
    drafted: int = 0  # prompt lookup: draft tokens verified, and how many were right
    accepted: int = 0
    # The other candidates asked for with ``GenerationRequest.alternatives``, in the order of
    # their first token's probability (each with its own text, pieces and logprobs).
    alternatives: list[Generation] = attrs.Factory(list)

    @property
    def mean_logprob(self) -> float:
        """The mean log-probability of the generated tokens (-inf for none)."""
        return sum(self.logprobs) / len(self.logprobs) if self.logprobs else float("-inf")


@attrs.define
class ModelInfo:
    """Facts about a loaded model that prompts and budgets need."""

    name: str
    path: str
    n_ctx: int
    special_tokens: dict[str, int] = attrs.Factory(dict)  # text -> id, for FIM/stop markers
    eog_tokens: tuple[str, ...] = ()
    size_bytes: int = 0


class Engine:
    """A model that completes prompts. Implementations must be safe to call from one worker
    thread at a time; ``cancel`` may be set from any thread and must stop generation within a
    token."""

    info: ModelInfo
    # The model's prompt format; after ``load``/``load_vocab`` the one the vocabulary fits.
    fmt: PromptFormat
    format_reason: str = ""  # why it has that format, for the user ("" when nothing was checked)
    # What the load changed and the user should hear of (a context length capped...).
    load_warnings: tuple[str, ...] = ()

    def load(self, progress: Callable[[float], None] | None = None) -> None:
        """Load the model (blocking); ``progress`` gets fractions in [0, 1]."""
        raise NotImplementedError

    def load_vocab(self) -> None:
        """Load only what counting tokens needs (the vocabulary; for a remote server, the
        health check): enough for ``count_tokens``, ``tokenize`` and ``fmt``."""
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` is (special tokens parsed)."""
        raise NotImplementedError

    def tokenize(self, text: str) -> list[int]:
        """The token ids of ``text`` (special tokens parsed, no BOS)."""
        raise NotImplementedError

    def generate(self, request: GenerationRequest, cancel: Cancel) -> Generation:
        """Generate greedily until a stop, the token cap, the deadline or ``cancel``."""
        raise NotImplementedError

    def estimate(self, request: GenerationRequest) -> tuple[int, float]:
        """What evaluating ``request``'s prompt would cost now: (prompt tokens not in any
        cache, prompt tokens evaluated per second here). A rate of 0 means unknown (an engine
        that does not measure it; the first answer then never comes from a short window)."""
        return 0, 0.0

    @property
    def cached_tokens(self) -> Sequence[int]:
        """The tokens whose KV the engine holds, in order (a read-only view; empty when it
        keeps none, or cannot tell)."""
        return ()

    def chat_template(self) -> str:
        """The model's chat template (from its GGUF); "" when it has none, or when the engine
        cannot lay out chat prompts itself (a remote server)."""
        return ""

    def chat_parts(self, messages: list[dict[str, str]]) -> tuple[tuple[str, bool], ...]:
        """``messages`` laid out by the chat template, as prompt parts (text, is special);
        ``EngineError`` when ``chat_template()`` is ""."""
        raise EngineError("this engine has no chat template")

    def close(self) -> None:
        """Release the model."""
