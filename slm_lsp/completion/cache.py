"""Answers without a model call: type-through of the suggestion shown, and an LRU of recent
completions keyed by their context (which also holds speculative completions)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import attrs

# How much context around the cursor identifies a completion in the LRU.
KEY_PREFIX_CHARS = 2000
KEY_SUFFIX_CHARS = 400


def context_key(prefix: str, suffix: str, mode: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(prefix[-KEY_PREFIX_CHARS:].encode("utf-8", "surrogatepass"))
    h.update(b"\0")
    h.update(suffix[:KEY_SUFFIX_CHARS].encode("utf-8", "surrogatepass"))
    h.update(mode.encode())
    return h.hexdigest()


@attrs.define
class _Shown:
    prefix: str
    suffix_head: str
    text: str


class CompletionCache:
    """Per-document type-through state plus a bounded LRU of completions."""

    def __init__(self, capacity: int = 256):
        self.capacity = capacity
        self._lru: OrderedDict[str, str] = OrderedDict()
        self._shown: dict[str, _Shown] = {}

    def remember(self, uri: str, prefix: str, suffix: str, mode: str, text: str,
                 shown: bool = True) -> None:
        """Record a completion for its context; ``shown`` ones also serve type-through."""
        key = context_key(prefix, suffix, mode)
        self._lru[key] = text
        self._lru.move_to_end(key)
        while len(self._lru) > self.capacity:
            self._lru.popitem(last=False)
        if shown and text:
            self._shown[uri] = _Shown(prefix, suffix[:KEY_SUFFIX_CHARS], text)

    def lookup(self, uri: str, prefix: str, suffix: str, mode: str) -> str | None:
        """A completion valid for this context, or None."""
        shown = self._shown.get(uri)
        if shown is not None and shown.suffix_head == suffix[:KEY_SUFFIX_CHARS]:
            if len(prefix) >= len(shown.prefix) and prefix.startswith(shown.prefix):
                typed = prefix[len(shown.prefix):]
                if typed and shown.text.startswith(typed) and len(typed) < len(shown.text):
                    return shown.text[len(typed):]
        key = context_key(prefix, suffix, mode)
        hit = self._lru.get(key)
        if hit is not None:
            self._lru.move_to_end(key)
        return hit

    def forget(self, uri: str) -> None:
        self._shown.pop(uri, None)

    def clear(self) -> None:
        self._lru.clear()
        self._shown.clear()

    def __len__(self) -> int:
        return len(self._lru)
