"""Which remote engine a ``backend`` setting names, and the prompt format of its model; and the
vocabulary check of a GGUF file, exactly as the engine loads it.

The backends (``llama_server``, ``openai``, ``ollama``) build on ``remote.RemoteEngine``; this
module sits above them so the base module imports none of them.
"""

from __future__ import annotations

from pathlib import PurePath, PurePosixPath

from ..errors import EngineError, ModelLoadError
from ..formats import PromptFormat
from ..models.registry import Registry, format_from_name, load_registry
from ..models.vocab import FormatChoice
from ..settings import BackendSettings
from .llama_server import LlamaServerEngine
from .ollama import OllamaEngine
from .openai import OpenAIEngine
from .remote import RemoteEngine

BACKENDS: dict[str, type[RemoteEngine]] = {
    "llama-server": LlamaServerEngine,
    "openai": OpenAIEngine,
    "ollama": OllamaEngine,
}


def make_remote_engine(backend: BackendSettings, fmt: PromptFormat) -> RemoteEngine:
    """The engine for ``backend.type`` (``llama-server``, ``openai`` or ``ollama``).

    Nothing is contacted until ``load()`` (a health check) or ``generate()``. An empty
    ``backend.url`` means the server type's usual local address (``DEFAULT_URLS``)."""
    cls = BACKENDS.get(backend.type)
    if cls is None:
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
