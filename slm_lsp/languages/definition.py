"""What a language's doc comment and test conventions read of a function, method or class.

The code actions find definitions in the tree (``actions.targets.ActionTarget``) and hand them
to the conventions; a convention needs only these facts, so it names this protocol rather than
the finder's class.
"""

from __future__ import annotations

from typing import Protocol


class Definition(Protocol):
    """A function, method or class, as the conventions see it."""

    kind: str  # "function", "method" or "class"
    name: str
    params: tuple[str, ...]  # as written, with their `*`, `...` or `&`
    returns: bool  # the signature names a result, or the body returns a value
