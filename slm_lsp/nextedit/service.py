"""The next edit for a document: from the syntax tree first, then from the model hook (a slot
the model's side fills: ``(doc, history, offset, cancel) -> Proposal | None``, run on the
engine host's inference thread behind the completions, which pre-empt it).

A chain of next edits keeps its intent: once the user makes a proposed edit (the client
applies it as any other change), or the same step by hand, the intent read from the edit that
started the chain (a rename, a signature change) still says what follows. Another change that
means something starts a chain of its own; the chains before it wait (for a few edits) and
come back when the newer ones have nothing left to propose.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from ..documents import Document
from . import syntax
from .edits import Edit, Proposal
from .history import EditHistory

if TYPE_CHECKING:
    from ..documents import DocumentStore
    from ..engine.base import Cancel

log = logging.getLogger(__name__)

ModelHook = Callable[["Document", list[Edit], int, "Cancel"], "Proposal | None"]


# A waiting chain is dropped after this many edits that meant something else: a signature
# change's call sites wait longest, a rename the scopes could not tell the least.
MAX_AGE = {"signature": 4, "rename": 2, "text": 1}
MAX_CHAINS = 6
CATCH_UP = 3  # edits read at a request (the ones before it that no request followed)


@attrs.define
class _Chain:
    anchor: Edit  # its last step (the user's edit, or a proposal made), in the current text
    intent: syntax.Intent
    proposal: Proposal | None = None
    place: syntax.Place | None = None  # where ``proposal`` is
    done: frozenset[tuple[str, int]] = frozenset()  # call sites updated: (uri, key)
    age: int = 0  # edits since its last step


def _kind(intent: syntax.Intent) -> str:
    if isinstance(intent, syntax.Signature):
        return "signature"
    return "text" if intent.kind == "text" else "rename"


def _moved(anchor: Edit, change: Edit) -> Edit | None:
    """``anchor`` (a span of the text before ``change``) after ``change``; None when
    ``change`` touched it."""
    if change.uri != anchor.uri:
        return anchor
    if change.start + len(change.old) <= anchor.start:
        return attrs.evolve(anchor, start=anchor.start + len(change.new) - len(change.old))
    if change.start >= anchor.end:
        return anchor
    return None


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
        self._chains: list[_Chain] = []  # the newest first
        # The edits the chains were brought up to (an edit no request followed is read at the
        # next request, up to ``CATCH_UP`` of them).
        self._seen: deque[Edit] = deque(maxlen=32)
        # The last answer, for as long as no document changed (code actions are listed at
        # every move of the cursor).
        self._answer: tuple[object, Proposal | None] | None = None

    # -- documents --------------------------------------------------------------------------
    def opened(self, doc: Document) -> None:
        self.history.opened(doc.uri, doc.text)

    def changed(self, doc: Document) -> None:
        change = self.history.changed(doc.uri, doc.version, doc.text)
        if change is None or not self._chains:
            return
        kept = []
        for chain in self._chains:  # every chain's places move with the text
            anchor = _moved(chain.anchor, change)
            if anchor is None:
                continue  # its last step was typed over (a burst that went on, an undo)
            chain.anchor, chain.done = anchor, _shifted(chain.done, change)
            kept.append(chain)
        self._chains = kept

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
        if last not in self._seen:
            self._catch_up(last, doc)
        for chain in self._chains:
            try:
                place = syntax.next_place(chain.intent, chain.anchor, self.documents,
                                          chain.done)
            except Exception:  # noqa: BLE001 - a tree the rules did not foresee: quiet
                log.debug("next edit failed", exc_info=True)
                continue
            target = self.documents.get(place.uri) if place is not None else None
            if target is None:
                continue
            proposal = syntax.proposal_of(place, chain.intent, target)
            if not self.sane(proposal):
                continue
            chain.proposal, chain.place = proposal, place
            return proposal
        return None

    def _catch_up(self, last: Edit, doc: Document) -> None:
        """Bring the chains up to ``last``, reading first the edits before it that no request
        followed (each with its document's text after it, the later edits undone)."""
        recent = self.history.recent()
        unseen = [e for e in recent if e not in self._seen][-CATCH_UP:]
        if not unseen or unseen[-1] != last:
            unseen = [last]
        for k, edit in enumerate(unseen):
            self._seen.append(edit)
            later = unseen[k + 1:]
            before = list(self._chains)
            if not later:
                self._step(edit, doc)
                return
            then = self._document_after(edit, later)
            if then is None:
                continue
            self._step(edit, then)
            for chain in self._chains:  # the chains it made move with the edits after it
                if any(chain is c for c in before):
                    continue
                for change in later:
                    anchor = _moved(chain.anchor, change)
                    if anchor is None:
                        chain.age = 1 << 20  # typed over: dropped at the next step
                        break
                    chain.anchor, chain.done = anchor, _shifted(chain.done, change)

    def _document_after(self, edit: Edit, later: list[Edit]) -> Document | None:
        """``edit``'s document as it was just after it: the current text with the ``later``
        edits of that document undone."""
        doc = self.documents.get(edit.uri)
        if doc is None:
            return None
        text = doc.text
        for change in reversed(later):
            if change.uri == edit.uri:
                text = text[:change.start] + change.old + text[change.end:]
        return Document(uri=doc.uri, text=text, version=edit.version,
                        language_id=doc.language_id, encoding=doc.encoding)

    def _step(self, last: Edit, doc: Document) -> None:
        """Bring the chains up to ``last``, the workspace's newest edit: the chain it is the
        next step of goes on from it; else it starts the chains of what it means, and the
        others wait (one edit older)."""
        for i, chain in enumerate(self._chains):
            made = chain.proposal is not None and accepted(chain.proposal, last, doc.text)
            try:
                by_hand = not made and syntax.continues(chain.intent, last, doc)
            except Exception:  # noqa: BLE001
                log.debug("reading the last edit failed", exc_info=True)
                by_hand = False
            if made or by_hand:
                if made and chain.place is not None and chain.place.key >= 0:
                    chain.done |= {(chain.place.uri, chain.place.key)}
                chain.anchor, chain.age, chain.proposal = last, 0, None
                self._chains.insert(0, self._chains.pop(i))
                return
        try:
            intents = syntax.intents_of(last, doc, self.history.recent())
        except Exception:  # noqa: BLE001 - quiet rather than wrong
            log.debug("reading the last edit failed", exc_info=True)
            intents = []
        waiting = []
        # Lines of code written or removed: the user moved on to other work, and a rename's
        # leftovers are more likely kept on purpose (a signature's calls still wait).
        moved_on = "\n" in last.old or "\n" in last.new
        for chain in self._chains:
            chain.age += 1
            kind = _kind(chain.intent)
            if moved_on and kind != "signature":
                continue
            if chain.age <= MAX_AGE[kind] and chain.intent not in intents:
                waiting.append(chain)
        self._chains = ([_Chain(last, intent) for intent in intents] + waiting)[:MAX_CHAINS]

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
