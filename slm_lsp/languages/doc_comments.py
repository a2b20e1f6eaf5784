"""What a doc comment convention is: it places the text where its convention wants it (a
Python docstring, a Go comment, Rust's ``///``, the ``/** */`` of JSDoc and Javadoc), gives a
model the opening to continue, and says where the model's summary ends.

Each family module defines its own convention and names it in its rules
(``Language.docstring``); ``actions/docstring.py`` runs it. Pure: a ``Definition`` and the
document text in, an ``Insertion`` out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import attrs

if TYPE_CHECKING:
    from .definition import Definition

Style = str  # "google", "numpy", "sphinx" (Python only)


@attrs.frozen
class Insertion:
    """Text to insert at a code-point offset of the document."""

    offset: int
    text: str


class DocComment(Protocol):
    """A language's doc comment convention."""

    inside_body: bool  # the body's first statement (a body on the signature's line takes none)
    styled: bool  # the file's own docstring style is followed
    stops: tuple[str, ...]  # where the model's summary ends

    def render(self, d: Definition, given: str, summary: str, *, text: str, body_offset: int,
               start_offset: int, style: Style, unit: str) -> Insertion:
        """The documentation of ``d`` with ``summary`` (``given`` is what the model wrote, ""
        when the summary was made from the name)."""
        ...

    def opening(self, d: Definition, *, text: str, body_offset: int, start_offset: int
                ) -> tuple[str, str]:
        """What goes before the summary and what follows it, for a model to continue."""
        ...
