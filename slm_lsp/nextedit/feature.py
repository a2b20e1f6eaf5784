"""The next-edit feature: the ``slmLsp/nextEdit`` request (``docs/next-edit.md``), the "Next
edit: ..." code action (added to the code actions by ``setup.py``), and the edit history, fed
by every open, change and close."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ..actions.compute import Outcome, TextChange
from ..actions.lsp import to_edit
from ..server import Feature
from .service import NextEditService

if TYPE_CHECKING:
    from ..documents import Document
    from ..server import SlmServer
    from ..settings import Settings
    from .edits import Proposal

log = logging.getLogger(__name__)

METHOD = "slmLsp/nextEdit"
ACTION_KIND = "refactor.rewrite.slm.nextEdit"
ACTION_PREFIX = "Next edit: "


def _get(obj: Any, key: str) -> Any:
    """``obj[key]`` for a dict, ``obj.key`` for the objects pygls makes of custom params."""
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_params(params: Any) -> tuple[str, int, int]:
    """``(uri, line, character)`` of the request, or ``JsonRpcInvalidParams`` saying what is
    wrong."""
    doc = _get(params, "textDocument")
    uri = _get(doc, "uri") if doc is not None else None
    if not isinstance(uri, str) or not uri:
        raise JsonRpcInvalidParams(f"{METHOD}: params.textDocument.uri must be a string")
    position = _get(params, "position")
    line = _get(position, "line") if position is not None else None
    character = _get(position, "character") if position is not None else None
    if not (_int(line) and _int(character)) or line < 0 or character < 0:
        raise JsonRpcInvalidParams(f"{METHOD}: params.position must be "
                                   "{line, character} with whole numbers >= 0")
    return uri, line, character


class NextEdits(Feature):
    """Next edit suggestions for one server."""

    def __init__(self, server: SlmServer):
        self.server = server
        self.service = NextEditService(server.documents)
        server.next_edits = self.service  # the model's side fills ``service.model_hook``

    def register(self, server: SlmServer) -> None:
        @server.feature(METHOD)
        async def next_edit(ls: SlmServer, params: Any) -> dict | None:
            uri, line, character = read_params(params)
            proposal = await self.propose(uri, line, character)
            return self.to_wire(proposal) if proposal is not None else None

    # -- hooks -------------------------------------------------------------------------------
    def settings_changed(self, settings: Settings) -> None:
        self.service.enabled = settings.next_edit.enable

    def document_opened(self, doc: Document) -> None:
        self.service.opened(doc)

    def document_changed(self, doc: Document) -> None:
        self.service.changed(doc)

    def document_closed(self, uri: str) -> None:
        self.service.closed(uri)

    # -- proposals -----------------------------------------------------------------------------
    async def propose(self, uri: str, line: int, character: int) -> Proposal | None:
        """The next edit for a request at ``(line, character)`` of ``uri``: the syntax tree's,
        else the model hook's (on the inference thread)."""
        service = self.service
        doc = self.server.documents.get(uri)
        if not service.enabled or doc is None:
            return None
        proposal = service.syntax_proposal()
        if proposal is not None or service.model_hook is None:
            return proposal
        offset = doc.offset_at(line, character)
        version = doc.version
        try:
            # Behind the completions: any completion request or change pre-empts it.
            proposal = await self.server.completions.scheduler.in_idle(
                "next edit", functools.partial(service.model_hook, doc,
                                               service.history.recent(), offset))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failing model proposes nothing
            log.warning("the next-edit model failed", exc_info=True)
            return None
        current = self.server.documents.get(uri)
        if proposal is None or current is None or current.version != version:
            return None
        return proposal if service.sane(proposal) else None

    def _range(self, proposal: Proposal) -> types.Range | None:
        doc = self.server.documents.get(proposal.uri)
        if doc is None:
            return None
        return types.Range(types.Position(*doc.position_at(proposal.start)),
                           types.Position(*doc.position_at(proposal.end)))

    def to_wire(self, proposal: Proposal) -> dict | None:
        """The request's result (positions in the negotiated encoding)."""
        rng = self._range(proposal)
        if rng is None:
            return None
        return {"uri": proposal.uri, "version": proposal.version,
                "range": {"start": {"line": rng.start.line, "character": rng.start.character},
                          "end": {"line": rng.end.line, "character": rng.end.character}},
                "newText": proposal.text, "label": proposal.label, "source": proposal.source,
                "reason": proposal.reason}

    def inline_item(self, params: types.InlineCompletionParams
                    ) -> types.InlineCompletionItem | None:
        """The next edit as an inline completion, when it is on the cursor's line at or after
        the cursor (from the syntax tree only): it replaces from the cursor to the end of the
        span it changes, with the text between kept and its new text."""
        doc = self.server.documents.get(params.text_document.uri)
        if not self.service.enabled or doc is None:
            return None
        try:
            proposal = self.service.syntax_proposal()
        except Exception:  # noqa: BLE001 - completion goes on without it
            log.debug("next edit for inline completion failed", exc_info=True)
            return None
        if proposal is None or proposal.uri != doc.uri or proposal.version != doc.version:
            return None
        cursor = doc.offset_at(params.position.line, params.position.character)
        between = doc.text[cursor:proposal.start]
        replaced = doc.text[proposal.start:proposal.end]
        if proposal.start < cursor or any(c in between + replaced for c in "\r\n"):
            return None
        end = types.Position(*doc.position_at(proposal.end))
        return types.InlineCompletionItem(
            insert_text=between + proposal.text,
            range=types.Range(types.Position(*doc.position_at(cursor)), end))

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        """The "Next edit: ..." action (from the syntax tree only: listing never waits for the
        model), with a versioned edit."""
        if not self.service.enabled or self.server.documents.get(
                params.text_document.uri) is None:
            return []
        proposal = self.service.syntax_proposal()
        target = self.server.documents.get(proposal.uri) if proposal is not None else None
        if target is None:
            return []
        # Versioned where the client takes ``documentChanges``, else the plain form.
        edit = to_edit(Outcome(changes=(TextChange(proposal.start, proposal.end,
                                                   proposal.text),)),
                       uri=proposal.uri, version=proposal.version, text=target.text,
                       encoding=target.encoding, caps=self.server.client_capabilities)
        return [types.CodeAction(title=ACTION_PREFIX + proposal.label, kind=ACTION_KIND,
                                 edit=edit)]
