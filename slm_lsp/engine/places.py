"""The places the user worked at recently: their KV caches, kept in RAM beside the live one.

The engine has one llama.cpp context and evaluates each prompt after the longest common prefix
with what that context holds. Typing in place reuses nearly all of it; moving to another
function or file replaces it. Before the context's cache is replaced, it is copied out
(``llama_state_seq_get_data``: the KV cells of the sequence, as they are) and kept here with its
tokens; when a later prompt shares more with a kept place than with the live context, that place
is copied back (``llama_state_seq_set_data``) and only the rest of the prompt is evaluated. This
is llama.cpp server's host-memory prompt cache, in process.

Copying is a memcpy (a few tens of ms for a 1.3B model's 1,000 tokens), against seconds of
prompt evaluation; the copy back is bit-identical, so a return continues exactly as if the user
had never left. The places share one memory budget and are dropped least recently used first.

Why not several sequences in the live context? With llama.cpp's unified KV buffer, every token
decoded attends over the cells of all kept places (masked, but computed), which slows decoding by
tens of percent once a few places are kept; with split buffers each sequence gets a fixed share
of the cells. Copies cost only at a move and leave typing as fast as with one place.
"""

from __future__ import annotations

import ctypes
import logging
from collections import OrderedDict
from collections.abc import Sequence

import attrs

from . import native

log = logging.getLogger(__name__)

# A kept place is restored when it shares at least this many more tokens than the live cache.
MIN_TOKENS = 16
# A prompt that would drop at least this many of the live cache's prompt tokens (not the last
# answer's) goes elsewhere: another place, or another window at the same place (a short first
# window and the full one share only their head). The live cache is kept as a place first.
# Typing in place drops only the cursor line's last tokens.
KEEP_TOKENS = 32
MAX_PLACES = 32


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """The length of the longest common prefix (a bisection over slice comparisons, which run
    in C: a request compares its prompt with every kept place)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


@attrs.define(eq=False)
class SequenceCopy:
    """The KV cells of one sequence of a context, copied out as they are."""

    data: ctypes.Array
    nbytes: int

    @classmethod
    def of(cls, ctx, seq: int) -> SequenceCopy | None:
        """A copy of sequence ``seq`` of ``ctx``; None when it is empty or could not be read."""
        size = native.sequence_size(ctx, seq)
        if size <= 0:
            return None
        buf = (ctypes.c_uint8 * size)()
        written = native.read_sequence(ctx, seq, buf, size)
        return cls(buf, written) if written > 0 else None

    def put(self, ctx, seq: int) -> bool:
        """Copy the cells back into sequence ``seq`` of ``ctx`` (which must be empty)."""
        return native.write_sequence(ctx, seq, self.data, self.nbytes)


@attrs.define(eq=False)
class Place:
    tokens: list[int]
    copy: SequenceCopy
    prompt_tokens: int = 0  # how many of ``tokens`` were prompt (the rest: an answer)

    @property
    def nbytes(self) -> int:
        return self.copy.nbytes


class Places:
    """Kept KV caches, least recently used first, within ``budget_bytes``."""

    def __init__(self, budget_bytes: int, max_places: int = MAX_PLACES):
        self.budget_bytes = max(0, budget_bytes)
        self.max_places = max_places
        self._places: OrderedDict[int, Place] = OrderedDict()
        self._next = 0
        self.stats = {"kept": 0, "restored": 0, "dropped": 0}

    def __len__(self) -> int:
        return len(self._places)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self._places.values())

    def best(self, tokens: Sequence[int]) -> tuple[Place | None, int]:
        """The kept place sharing the longest prefix with ``tokens``, and that length."""
        best, n = None, 0
        for place in self._places.values():
            c = common_prefix(place.tokens, tokens)
            if c > n:
                best, n = place, c
        return best, n

    def keep(self, ctx, seq: int, tokens: Sequence[int], prompt_tokens: int = 0) -> bool:
        """Copy sequence ``seq`` of ``ctx`` (whose cells hold ``tokens``, the first
        ``prompt_tokens`` of them a prompt) into a new place."""
        if len(tokens) < MIN_TOKENS or self.budget_bytes <= 0:
            return False
        # An older copy of the same place (the user typed there since) is superseded.
        for key, place in list(self._places.items()):
            if common_prefix(place.tokens, tokens) >= len(place.tokens) - MIN_TOKENS:
                del self._places[key]
        size = native.sequence_size(ctx, seq)
        if size <= 0 or size > self.budget_bytes:
            return False
        self._make_room(size)
        copy = SequenceCopy.of(ctx, seq)
        if copy is None:
            return False
        self._next += 1
        self._places[self._next] = Place(list(tokens), copy, prompt_tokens or len(tokens))
        self.stats["kept"] += 1
        return True

    def restore(self, place: Place, ctx, seq: int) -> bool:
        """Copy ``place`` into sequence ``seq`` of ``ctx`` (which must be empty)."""
        if not place.copy.put(ctx, seq):
            log.info("a kept KV cache could not be restored; it is dropped")
            self._drop(place)
            return False
        for key, p in self._places.items():
            if p is place:
                self._places.move_to_end(key)
                break
        self.stats["restored"] += 1
        return True

    def _drop(self, place: Place) -> None:
        for key, p in list(self._places.items()):
            if p is place:
                del self._places[key]

    def _make_room(self, size: int) -> None:
        while self._places and (self.nbytes + size > self.budget_bytes
                                or len(self._places) >= self.max_places):
            self._places.popitem(last=False)
            self.stats["dropped"] += 1

    def clear(self) -> None:
        self._places.clear()
