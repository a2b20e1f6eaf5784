"""Render a completion prompt in a model family's exact format (``models.toml``).

Layout, stable parts first so that typing changes only the tail:

    [repo header + snippets from other files]  [FIM prefix marker] [lines before the cursor's line]
    [FIM suffix marker] [suffix] [FIM middle marker] [the cursor's line up to the cursor]

For PSM formats the cursor's line goes after the middle marker (as llama.vim does): a keystroke
then changes only the last few tokens. SPM formats end with the prefix anyway. Formats without
FIM ("plain") get snippets as comments, then the prefix.

A prompt is a sequence of parts, each either code (tokenized with special-token parsing off) or
a format marker (one special token): code that contains marker text cannot inject markers.
"""

from __future__ import annotations

import re

import attrs

from ..context.window import Window
from ..engine.base import Snippet
from ..formats import PromptFormat
from ..languages import line_comment

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@attrs.frozen
class Section:
    """A labelled part of a rendered prompt, for `slm-lsp prompt`."""

    label: str
    text: str


@attrs.frozen
class Prompt:
    parts: tuple[tuple[str, bool], ...]  # (text, is_marker)
    sections: tuple[Section, ...]
    stop: tuple[str, ...]
    is_fim: bool

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)


class _Builder:
    def __init__(self) -> None:
        self.parts: list[tuple[str, bool]] = []
        self.sections: list[Section] = []

    def add(self, text: str, marker: bool = False) -> None:
        if not text:
            return
        if self.parts and self.parts[-1][1] is False and not marker:
            self.parts[-1] = (self.parts[-1][0] + text, False)
        else:
            self.parts.append((text, marker))

    def section(self, label: str, start: int) -> None:
        text = "".join(t for t, _ in self.parts)[start:]
        self.sections.append(Section(label, text))

    @property
    def length(self) -> int:
        return sum(len(t) for t, _ in self.parts)

    def fill(self, template: str, values: dict[str, str], markers: set[str]) -> None:
        """Append ``template`` with placeholders filled; marker placeholders become markers."""
        pos = 0
        for m in _PLACEHOLDER.finditer(template):
            self.add(template[pos:m.start()])
            name = m.group(1)
            self.add(values[name], marker=name in markers)
            pos = m.end()
        self.add(template[pos:])


def _comment_block(text: str, language_id: str) -> str:
    mark = line_comment(language_id)
    return "".join(f"{mark} {line}".rstrip() + "\n" for line in text.splitlines())


def _add_snippets(b: _Builder, fmt: PromptFormat, snippets: tuple[Snippet, ...],
                  language_id: str, repo: str) -> None:
    if not snippets:
        return
    if fmt.file_sep:
        if fmt.repo_header:
            start = b.length
            marker, _, rest = fmt.repo_header.partition("{repo}")
            name = marker.rstrip()
            b.add(name, marker=True)
            b.add(marker[len(name):] + (repo or "workspace") + rest)
            b.section("repo", start)
        for snip in snippets:
            start = b.length
            b.add(fmt.file_sep, marker=True)
            body = snip.text if snip.text.endswith("\n") else snip.text + "\n"
            b.add(fmt.file_header.format(path=snip.path) + body)
            b.section(f"snippet {snip.path}", start)
        return
    for snip in snippets:
        start = b.length
        if fmt.file_header and not fmt.snippet_comment:  # DeepSeek-Coder: `#path` lines
            body = snip.text if snip.text.endswith("\n") else snip.text + "\n"
            b.add(fmt.file_header.format(path=snip.path) + body + "\n")
        else:
            b.add(_comment_block(f"{snip.path}:\n{snip.text.rstrip()}", language_id) + "\n")
        b.section(f"snippet {snip.path}", start)


def render(fmt: PromptFormat, window: Window, *, language_id: str, path: str = "",
           snippets: tuple[Snippet, ...] = (), repo: str = "") -> Prompt:
    """The prompt for a window of the current file, plus snippets from others."""
    b = _Builder()
    _add_snippets(b, fmt, snippets, language_id, repo)
    stop = tuple(fmt.stop)
    if not fmt.is_fim:
        start = b.length
        b.add(window.prefix)
        b.section("prefix window", start)
        return Prompt(tuple(b.parts), tuple(b.sections), stop, False)

    # The current file's own header in repo-level layouts: after its file separator and
    # before the FIM prefix marker (as llama.cpp's /infill lays it out), or, for formats that
    # mark files with a path comment, at the start of the FIM prefix.
    file_head = ""
    markers = {"fim_prefix": fmt.fim_prefix, "fim_suffix": fmt.fim_suffix,
               "fim_middle": fmt.fim_middle}
    start = b.length
    if snippets and path:
        if fmt.file_sep:
            b.add(fmt.file_sep, marker=True)
            b.add(fmt.file_header.format(path=path))
        elif fmt.file_header and not fmt.snippet_comment:
            file_head = fmt.file_header.format(path=path)
    if fmt.order == "spm":
        b.fill(fmt.template, {**markers, "pre": file_head + window.prefix, "suf": window.suffix},
               set(markers))
        b.section("FIM (suffix window, then prefix window)", start)
    else:
        b.fill(fmt.template, {**markers, "pre": file_head + window.before_line,
                              "suf": window.suffix}, set(markers))
        b.section("FIM (prefix window, suffix window)", start)
        start = b.length
        b.add(window.line_prefix)
        b.section("cursor line", start)
    return Prompt(tuple(b.parts), tuple(b.sections), stop, True)
