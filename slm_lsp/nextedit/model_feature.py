"""The model's side of next edits: fills the next-edit service's model hook as the setting
``nextEdit.model`` asks, and keeps the next-edit model it names.

``nextEdit.model``: "" = no model edits (the default: the syntax tree's only); "completion" =
the completion model, in a rewrite prompt (or Sweep's prompt if it is a Sweep model); else a
``models.toml`` id or a GGUF path of a next-edit model (``sweep-next-edit-1.5b``), loaded
beside the completion model through the engine host on first use, as the rewrite model is
(``actions/rewrite.py``), and released when the setting no longer names it. A model that
cannot load is said once in the log and proposes nothing until the settings change.

The hook runs on the inference thread (``EngineHost``), so everything here that touches an
engine does too.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from ..engine.host import Beside, serves
from ..server import Feature
from . import model

if TYPE_CHECKING:
    from ..documents import Document
    from ..engine.base import Cancel, Engine
    from ..server import SlmServer
    from ..settings import Settings
    from .edits import Edit, Proposal

log = logging.getLogger(__name__)

COMPLETION = "completion"


class ModelNextEdits(Feature):
    """The hook ``(doc, edits, offset) -> Proposal | None`` and the model beside it."""

    def __init__(self, server: SlmServer):
        self.server = server
        self.beside = Beside(server.host, "next-edit model", self.wanted)
        self._failed: tuple | None = None  # the key whose load failed (not retried)

    # -- settings ------------------------------------------------------------------------------
    def settings_changed(self, settings: Settings) -> None:
        service = self.server.next_edits
        if service is not None:
            service.model_hook = self.propose if self.wanted(settings) else None
        self._failed = None
        if self.beside.engine is not None and self._stale():
            self.server.run_task(self.server.host.run(self._release_if_stale))

    @staticmethod
    def wanted(settings: Settings) -> str:
        return settings.next_edit.model.strip()

    def _stale(self) -> bool:
        settings = self.server.settings
        return (self.wanted(settings) == COMPLETION
                or self.beside.stale(settings, self.server.host.loaded))

    def _release_if_stale(self) -> None:
        if self.beside.engine is not None and self._stale():
            self.close()

    def close(self) -> None:
        """Release the next-edit model kept beside the completion model."""
        self.beside.close()

    # -- the hook (on the inference thread) ------------------------------------------------------
    def pick(self) -> tuple[Engine | None, bool]:
        """The engine next edits run on, and whether it is the completion engine (whose KV
        cache the next edit must not evict); None when there is none."""
        settings, loaded = self.server.settings, self.server.host.loaded
        wanted = self.wanted(settings)
        if not wanted:
            return None, False
        if wanted == COMPLETION or serves(loaded, wanted):
            return (loaded.engine if loaded is not None else None), True
        key = self.beside.key(settings)
        if key == self._failed:
            return None, False
        try:
            return self.beside.get(settings), False
        except Exception as exc:  # noqa: BLE001 - any load failure: quiet until changed
            self._failed = key
            log.warning("next-edit model %s cannot be used: %s", wanted, exc)
            return None, False

    def propose(self, doc: Document, edits: list[Edit], offset: int,
                cancel: Cancel) -> Proposal | None:
        """The model's next edit in ``doc`` at ``offset`` after ``edits`` (oldest first);
        ``cancel`` stops its decoding (a completion request or a change pre-empts it)."""
        engine, shared = self.pick()
        if engine is None:
            return None
        started = time.perf_counter()
        attempt = model.propose(engine, doc.uri, doc.version, doc.language_id, doc.text,
                                edits, offset, cancel, keep_cache=not shared)
        outcome = (f"proposes {attempt.proposal.label}" if attempt.proposal is not None else
                   "no answer (cut by the token cap or the time budget)" if attempt.answer is None
                   else f"dropped: {attempt.dropped}")
        log.info("next edit from the model %s: %d prompt tokens, %d decoded, %.0f ms: %s",
                 engine.info.name, attempt.prompt_tokens, attempt.decoded_tokens,
                 (time.perf_counter() - started) * 1000, outcome)
        return attempt.proposal
