"""The next edit for a document: from the syntax tree first, then from the model hook (a slot
the model's side fills: ``(doc, history, offset) -> Proposal | None``, run on the engine
host's inference thread).

A chain of next edits keeps its intent: once the user makes a proposed edit (the client
applies it as any other change), the intent read from the edit that started the chain (a
rename, a signature change) still says what follows. Any other change starts over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from . import syntax
from .edits import Edit, Proposal
from .history import EditHistory

if TYPE_CHECKING:
    from ..documents import Document, DocumentStore

log = logging.getLogger(__name__)

ModelHook = Callable[["Document", list[Edit], int], "Proposal | None"]


@attrs.define
class _Chain:
    edit: Edit  # the last edit this chain has seen (the user's, or a proposal made)
    intent: syntax.Intent | None
    proposal: Proposal | None = None
    place: syntax.Place | None = None  # where ``proposal`` is
    done: frozenset[tuple[str, int]] = frozenset()  # call sites updated: (uri, key)


def accepted(proposal: Proposal, edit: Edit, text: str) -> bool:
    """Whether ``edit`` (which made ``text``) is ``proposal`` made: the proposed change turns
    the text before ``edit`` into ``text``."""
    if proposal.uri != edit.uri:
        return False
    before = text[:edit.start] + edit.old + text[edit.end:]
    if proposal.end > len(before):
        return False
    return before[:proposal.start] + proposal.text + before[proposal.end:] == text


def reverts(proposal: Proposal, edit: Edit | None, text: str) -> bool:
    """Whether ``proposal`` (on ``text``) undoes ``edit`` (the user's last edit, which made
    ``text``), or changes what it just typed."""
    if edit is None or proposal.uri != edit.uri:
        return False
    if proposal.start < edit.end and edit.start < proposal.end:
        return True  # inside what the user just typed
    result = text[:proposal.start] + proposal.text + text[proposal.end:]
    before = text[:edit.start] + edit.old + text[edit.end:]
    return result == before


def _shifted(done: frozenset[tuple[str, int]], edit: Edit) -> frozenset[tuple[str, int]]:
    """The call sites ``done`` after ``edit`` (those after it move by its length change)."""
    delta = len(edit.new) - len(edit.old)
    return frozenset((uri, key + delta if uri == edit.uri and key >= edit.start + len(edit.old)
                      else key) for uri, key in done)


class NextEditService:
    """Proposals for one server: the edit history, the chain in progress, the model hook."""

    def __init__(self, documents: DocumentStore, history: EditHistory | None = None):
        self.documents = documents
        self.history = history or EditHistory()
        self.enabled = True
        # Filled by the model's side: called when the tree proposes nothing.
        self.model_hook: ModelHook | None = None
        self._chain: _Chain | None = None
        # The last answer, for as long as no document changed (code actions are listed at
        # every move of the cursor).
        self._answer: tuple[object, Proposal | None] | None = None

    # -- documents --------------------------------------------------------------------------
    def opened(self, doc: Document) -> None:
        self.history.opened(doc.uri, doc.text)

    def changed(self, doc: Document) -> None:
        self.history.changed(doc.uri, doc.version, doc.text)

    def closed(self, uri: str) -> None:
        self.history.closed(uri)

    # -- proposing --------------------------------------------------------------------------
    def syntax_proposal(self) -> Proposal | None:
        """The next edit the syntax tree gives for the last edit of the workspace."""
        key = (self.history.last(), tuple((d.uri, d.version) for d in self.documents))
        if self._answer is not None and self._answer[0] == key:
            return self._answer[1]
        proposal = self._syntax_proposal()
        self._answer = (key, proposal)
        return proposal

    def _syntax_proposal(self) -> Proposal | None:
        last = self.history.last()
        if last is None:
            return None
        doc = self.documents.get(last.uri)
        if doc is None or doc.version != last.version:
            return None
        intent = self._intent(last, doc)
        if intent is None:
            return None
        try:
            place = syntax.next_place(intent, last, self.documents, self._chain.done)
        except Exception:  # noqa: BLE001 - a tree the rules did not foresee: quiet
            log.debug("next edit failed", exc_info=True)
            return None
        if place is None:
            return None
        target = self.documents.get(place.uri)
        if target is None:
            return None
        proposal = syntax.proposal_of(place, intent, target)
        if not self.sane(proposal):
            return None
        self._chain.proposal, self._chain.place = proposal, place
        return proposal

    def _intent(self, last: Edit, doc: Document) -> syntax.Intent | None:
        chain = self._chain
        if chain is not None and chain.edit == last:
            return chain.intent
        if chain is not None and chain.proposal is not None and chain.intent is not None \
                and accepted(chain.proposal, last, doc.text):
            done = _shifted(chain.done, last)
            if chain.place is not None and chain.place.key >= 0:
                done |= {(chain.place.uri, chain.place.key)}
            self._chain = _Chain(last, chain.intent, done=done)
            return chain.intent
        try:
            if chain is not None and chain.intent is not None and \
                    syntax.continues(chain.intent, last, doc):
                # The user made the next step by hand (elsewhere than proposed): go on.
                self._chain = _Chain(last, chain.intent, done=_shifted(chain.done, last))
                return chain.intent
            intent = syntax.intent_of(last, doc)
        except Exception:  # noqa: BLE001 - quiet rather than wrong
            log.debug("reading the last edit failed", exc_info=True)
            intent = None
        self._chain = _Chain(last, intent)
        return intent

    def sane(self, proposal: Proposal) -> bool:
        """Not a no-op, not the reversal of the user's last edit, on a live document."""
        doc = self.documents.get(proposal.uri)
        if doc is None or doc.version != proposal.version:
            return False
        if not 0 <= proposal.start <= proposal.end <= len(doc.text):
            return False
        if doc.text[proposal.start:proposal.end] == proposal.text:
            return False
        return not reverts(proposal, self.history.last(), doc.text)

    def model_wanted(self) -> bool:
        return self.model_hook is not None
