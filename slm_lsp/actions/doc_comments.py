"""The doc comment conventions: a Python docstring, a Go comment, Rust's ``///`` and the
``/** */`` of JSDoc and Javadoc. Each places the text where its convention wants it, gives a
model the opening to continue, and says where the model's summary ends.

Pure: a ``Definition`` and the document text in, an ``Insertion`` out. A language names its
convention in its rules (``languages/``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from .targets import ActionTarget as Definition

Style = str  # "google", "numpy", "sphinx" (Python only)

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+")


@attrs.frozen
class Insertion:
    """Text to insert at a code-point offset of the document."""

    offset: int
    text: str


def words_of(name: str) -> list[str]:
    """``compute_area`` / ``computeArea`` / ``HTTPServer`` -> their words."""
    return [w for w in _WORDS.findall(name.replace("_", " "))]


def summary_from_name(d: Definition) -> str:
    """A plain summary line made from the name: ``load_config`` -> ``Load config.``."""
    words = words_of(d.name) or [d.name]
    if d.kind == "class":
        phrase = " ".join(words)
        return phrase[:1].upper() + phrase[1:] + "."
    phrase = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return phrase[:1].upper() + phrase[1:] + "."


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def indent_at(text: str, offset: int) -> str:
    start = line_start(text, offset)
    line = text[start:]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _python_sections(d: Definition, style: Style, indent: str) -> list[str]:
    lines: list[str] = []
    if style == "numpy":
        if d.params:
            lines += ["", "Parameters", "----------"]
            for p in d.params:
                lines += [f"{p}", f"    The {p.lstrip('*')}."]
        if d.returns:
            lines += ["", "Returns", "-------", "object", "    The result."]
    elif style == "sphinx":
        if d.params or d.returns:
            lines.append("")
        lines += [f":param {p.lstrip('*')}: The {p.lstrip('*')}." for p in d.params]
        if d.returns:
            lines.append(":returns: The result.")
    else:
        if d.params:
            lines += ["", "Args:"] + [f"    {p}: The {p.lstrip('*')}." for p in d.params]
        if d.returns:
            lines += ["", "Returns:", "    The result."]
    return lines


@attrs.frozen
class PythonDocstring:
    """A string, the body's first statement, in the file's style (google, numpy, sphinx)."""

    inside_body: bool = True  # a body on the signature's line cannot take one
    styled: bool = True  # the file's own docstring style is followed
    stops: tuple[str, ...] = ('"""', "\n\n", "Args:", "Parameters", ":param")

    def render(self, d: Definition, given: str, summary: str, *, text: str, body_offset: int,
               start_offset: int, style: Style, unit: str) -> Insertion:
        indent = indent_at(text, body_offset)
        if not indent:  # a body on the signature's line is not offered; be safe anyway
            indent = indent_at(text, start_offset) + unit
        sections = _python_sections(d, style, indent)
        if not sections:
            body = f'{indent}"""{summary}"""\n'
        else:
            lines = [f'{indent}"""{summary}'] + [f"{indent}{s}".rstrip() for s in sections]
            body = "\n".join(lines) + f'\n{indent}"""\n'
        return Insertion(line_start(text, body_offset), body)

    def opening(self, d: Definition, *, text: str, body_offset: int, start_offset: int
                ) -> tuple[str, str]:
        head = text[:line_start(text, body_offset)] + indent_at(text, body_offset) + '"""'
        tail = '"""\n' + text[line_start(text, body_offset):]
        return head, tail


@attrs.frozen
class GoDoc:
    """``// Name does ...`` above the declaration, starting with the name."""

    inside_body: bool = False
    styled: bool = False
    stops: tuple[str, ...] = ("\n",)

    def render(self, d: Definition, given: str, summary: str, *, text: str, body_offset: int,
               start_offset: int, style: Style, unit: str) -> Insertion:
        indent = indent_at(text, start_offset)
        if not given:
            first = f"{d.name} returns the result." if d.returns else f"{d.name} ..."
        elif summary.split(" ", 1)[0].rstrip(".,:") == d.name:
            first = summary
        else:
            first = f"{d.name} {summary[:1].lower()}{summary[1:]}"
        return Insertion(line_start(text, start_offset), f"{indent}// {first}\n")

    def opening(self, d: Definition, *, text: str, body_offset: int, start_offset: int
                ) -> tuple[str, str]:
        where = line_start(text, start_offset)
        indent = indent_at(text, start_offset)
        return text[:where] + f"{indent}// {d.name} ", "\n" + text[where:]


@attrs.frozen
class RustDoc:
    """``///`` lines above the item, with an ``# Arguments`` list."""

    inside_body: bool = False
    styled: bool = False
    stops: tuple[str, ...] = ("\n",)

    def render(self, d: Definition, given: str, summary: str, *, text: str, body_offset: int,
               start_offset: int, style: Style, unit: str) -> Insertion:
        indent = indent_at(text, start_offset)
        lines = [f"{indent}/// {summary}"]
        if d.params:
            lines += [f"{indent}///", f"{indent}/// # Arguments", f"{indent}///"]
            lines += [f"{indent}/// * `{p}` - The {p}." for p in d.params]
        return Insertion(line_start(text, start_offset), "\n".join(lines) + "\n")

    def opening(self, d: Definition, *, text: str, body_offset: int, start_offset: int
                ) -> tuple[str, str]:
        where = line_start(text, start_offset)
        return text[:where] + f"{indent_at(text, start_offset)}/// ", "\n" + text[where:]


@attrs.frozen
class JsDoc:
    """A ``/** ... */`` block above the declaration with ``@param`` and return tags."""

    returns_tag: str = "@returns The result."
    inside_body: bool = False
    styled: bool = False
    stops: tuple[str, ...] = ("*/", "@param", "@return", "\n\n")

    def render(self, d: Definition, given: str, summary: str, *, text: str, body_offset: int,
               start_offset: int, style: Style, unit: str) -> Insertion:
        indent = indent_at(text, start_offset)
        lines = [f"{indent}/**", f"{indent} * {summary}"]
        tags = [f"@param {p.lstrip('.')} The {p.lstrip('.')}." for p in d.params]
        if d.returns:
            tags.append(self.returns_tag)
        if tags:
            lines.append(f"{indent} *")
            lines += [f"{indent} * {t}" for t in tags]
        lines.append(f"{indent} */")
        return Insertion(line_start(text, start_offset), "\n".join(lines) + "\n")

    def opening(self, d: Definition, *, text: str, body_offset: int, start_offset: int
                ) -> tuple[str, str]:
        where = line_start(text, start_offset)
        indent = indent_at(text, start_offset)
        return text[:where] + f"{indent}/**\n{indent} * ", f"\n{indent} */\n" + text[where:]


def JavaDoc() -> JsDoc:  # noqa: N802 - a convention, named like the others
    """Javadoc: JSDoc's block with ``@return``."""
    return JsDoc(returns_tag="@return the result")
