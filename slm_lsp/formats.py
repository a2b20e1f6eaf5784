"""A model family's prompt layout, as ``models.toml`` describes it.

On the ground floor with ``errors``: the model catalog reads formats from ``models.toml``, the
engines check them against a vocabulary and take their stop strings, and ``prompts/`` renders
them; none of them needs the others for the type.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class PromptFormat:
    """A family's prompt layout (see the header of ``models.toml``)."""

    name: str
    fim_prefix: str = ""
    fim_suffix: str = ""
    fim_middle: str = ""
    order: str = "psm"
    template: str = ""
    repo_header: str = ""
    file_sep: str = ""
    file_header: str = ""
    snippet_comment: bool = False
    stop: tuple[str, ...] = ()
    next_edit: str = ""  # a next-edit layout ("sweep"), not FIM; see ``nextedit.model``

    @property
    def is_fim(self) -> bool:
        return bool(self.template)

    @property
    def markers(self) -> tuple[str, ...]:
        """The special-token strings this format writes into prompts."""
        repo = self.repo_header.split("{", 1)[0]
        found = [self.fim_prefix, self.fim_suffix, self.fim_middle, repo, self.file_sep]
        return tuple(m for m in found if m)
