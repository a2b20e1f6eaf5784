"""Checking a GGUF file's vocabulary exactly as the engine loads it: the format it fits.

Above both ``engine.local`` (which loads the vocabulary) and ``models.vocab`` (which reads the
format from it), for ``doctor`` and ``models add``.
"""

from __future__ import annotations

from pathlib import PurePath

from ..errors import ModelLoadError
from .registry import PromptFormat, load_registry
from .vocab import FormatChoice


def check_file(path: str, fmt: PromptFormat | None, model: str = "") -> FormatChoice:
    """Load the vocabulary of the GGUF at ``path`` exactly as the engine does (llama.cpp,
    ``vocab_only``) and resolve its format: ``fmt`` checked, or detected when None.

    For ``doctor`` and ``models add``. Raises ``ModelLoadError`` (``FormatMismatch`` when the
    format does not fit) with a one-line message.
    """
    try:
        from ..engine.local import LocalEngine  # imports llama_cpp, which may be missing
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
