"""The failures more than one package raises or catches: the engines raise them, the model
catalog raises them, and the server, the command line and ``doctor`` report them.

The ground floor: this module imports nothing of ``slm_lsp``, so any package may import it. An
exception only one package knows stays in that package (``models.store.StoreError``,
``actions.drafter.Cancelled``...).
"""

from __future__ import annotations


class EngineError(RuntimeError):
    """The engine could not do what was asked; the message is for the user."""


class ModelLoadError(EngineError):
    """The model could not be loaded (missing, truncated, not GGUF, wrong template...)."""


class ModelNotFound(LookupError):
    """The named model is not on this machine; the message says how to get it."""
