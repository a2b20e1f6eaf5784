"""Where engines are made: the one module that builds them.

``make_engine`` builds the completion engine the settings ask for (the in-process
``LocalEngine``, or the remote engine a ``backend`` setting names, with the prompt format of its
model); ``make_chat_engine`` an instruct model for rewrites; ``check_file`` loads only a GGUF's
vocabulary, exactly as the engine does, to check its prompt format (``doctor``, ``models add``).
Nothing here loads a model: the caller does (``EngineHost``, on its inference thread).

The remote backends (``llama_server``, ``openai``, ``ollama``) build on ``remote.RemoteEngine``,
and the local engine on llama-cpp-python: both are imported when an engine of their kind is
made, so starting the server or the command line pays for neither until it needs it.
"""

from __future__ import annotations

from pathlib import PurePath, PurePosixPath
from typing import TYPE_CHECKING

from ..errors import EngineError, ModelLoadError
from ..formats import PromptFormat
from ..models.registry import (
    ModelChoice,
    Registry,
    choose_model,
    format_from_name,
    load_registry,
)
from ..models.vocab import FormatChoice
from ..settings import BackendSettings, Settings

if TYPE_CHECKING:
    from .base import Engine
    from .local import LocalEngine
    from .remote import RemoteEngine

def make_engine(settings: Settings) -> tuple[Engine, PromptFormat, ModelChoice | None]:
    """Build (not load) the completion engine the settings ask for, its prompt format (the
    settings' guess: a local engine settles it at load) and the model chosen (None for a
    remote backend)."""
    backend = settings.backend
    if backend.type != "local":
        fmt = remote_format(backend, settings.model)
        return make_remote_engine(backend, fmt), fmt, None
    choice = choose_model(settings.model)
    from .local import LocalEngine

    engine = LocalEngine(str(choice.path), choice.format, name=choice.id,
                         n_ctx=settings.n_ctx, n_threads=settings.n_threads,
                         n_batch=settings.n_batch, kv_reuse=settings.kv_reuse,
                         detect_format=choice.detect,
                         kv_cache_mb=settings.kv_cache_mb, kv_cache_type=settings.kv_cache_type)
    return engine, choice.format, choice


def make_chat_engine(model: str, settings: Settings) -> LocalEngine:
    """Build (not load) the in-process engine of ``model`` (a ``models.toml`` id or a GGUF
    path) to chat with: an instruct model for rewrites, beside the completion engine."""
    from .local import LocalEngine

    choice = choose_model(model)
    return LocalEngine(str(choice.path), choice.format, name=choice.id, n_ctx=settings.n_ctx,
                       n_threads=settings.n_threads, n_batch=settings.n_batch)


def make_remote_engine(backend: BackendSettings, fmt: PromptFormat) -> RemoteEngine:
    """The engine for ``backend.type`` (``llama-server``, ``openai`` or ``ollama``).

    Nothing is contacted until ``load()`` (a health check) or ``generate()``. An empty
    ``backend.url`` means the server type's usual local address (``DEFAULT_URLS``)."""
    if backend.type == "llama-server":
        from .llama_server import LlamaServerEngine as cls
    elif backend.type == "openai":
        from .openai import OpenAIEngine as cls
    elif backend.type == "ollama":
        from .ollama import OllamaEngine as cls
    else:
        raise EngineError(f"backend.type {backend.type!r} is not a remote backend "
                          "(llama-server, openai or ollama)")
    return cls(backend, fmt)


def remote_format(backend: BackendSettings, model: str = "",
                  registry: Registry | None = None) -> PromptFormat:
    """The prompt format of the server's model: ``model`` (``settings.model``) when it is a
    ``models.toml`` id, else guessed from ``backend.model``'s name (``qwen2.5-coder:1.5b-base``,
    ``Qwen/Qwen2.5-Coder-1.5B``, ``deepseek-coder-1.3b-base.Q4_K_M.gguf`` ...), else ``plain``.
    (llama-server renders FIM itself through ``/infill``, whatever this says.)"""
    registry = registry or load_registry()
    if model in registry.models:
        return registry.format_of(model)
    for name in (backend.model, model):
        if name:
            guess = format_from_name(PurePosixPath(name.replace(":", "-")).name, registry)
            return guess or registry.formats["plain"]
    return registry.formats["plain"]


def check_file(path: str, fmt: PromptFormat | None, model: str = "") -> FormatChoice:
    """Load the vocabulary of the GGUF at ``path`` exactly as the engine does (llama.cpp,
    ``vocab_only``) and resolve its format: ``fmt`` checked, or detected when None.

    For ``doctor`` and ``models add``. Raises ``ModelLoadError`` (``FormatMismatch`` when the
    format does not fit) with a one-line message.
    """
    try:
        from .local import LocalEngine  # imports llama_cpp, which may be missing
    except ImportError as exc:
        raise ModelLoadError(f"cannot read the vocabulary of {path}: {exc}") from None
    plain = load_registry().formats["plain"]
    engine = LocalEngine(str(path), fmt or plain, name=model or PurePath(path).name,
                         detect_format=fmt is None)
    try:
        engine.load_vocab()
        return FormatChoice(engine.fmt, engine.format_reason)
    except ImportError as exc:
        raise ModelLoadError(f"cannot read the vocabulary of {path}: {exc}") from None
    finally:
        engine.close()
