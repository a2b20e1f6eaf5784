"""How an extracted function, its call and an extracted variable are written: what the
writers share. Each family module defines its writer (``PythonText``, ``JsText``, ``GoText``,
``RustText``) and names it in its rules (``Refactoring.writer``); ``actions/extract_edits.py``
runs it.

Pure: a plan, a name and the document's bytes in, text out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .lines import indent_at, line_start

if TYPE_CHECKING:
    from .base import Refactoring


class FunctionPlan(Protocol):
    """What a writer reads of an extract function plan (``actions.extract.Plan``)."""

    start: int  # bytes of the selection (statements or expression)
    end: int
    params: tuple[str, ...]
    returns: tuple[str, ...]
    declare: str  # how the call site declares the returned names ("" = assigns them)
    is_async: bool
    receiver: str  # "self"/"cls"/"this": a method, called through it
    static: bool
    base_indent: str  # the definition's indentation
    types: tuple[tuple[str, str], ...]  # name -> type, as written
    mutable: tuple[str, ...]  # parameters the body assigns
    return_declares: tuple[str, ...]  # each returned name's declaring keyword, or ""
    verbatim_lines: tuple[int, ...]  # selected lines inside a multi-line string
    expression: bool  # one expression: the function returns it, the call replaces it


class VariablePlan(Protocol):
    """What a writer reads of an extract variable plan (``actions.extract_variable``)."""

    insert_at: int  # start of the enclosing statement's line
    indent: str


def reindent(body: str, old: str, new: str, keep: tuple[int, ...] = ()) -> str:
    """``body`` with its indentation ``old`` replaced by ``new``; the lines ``keep`` (inside
    multi-line strings) keep their text."""
    out = []
    for i, line in enumerate(body.split("\n")):
        if i in keep:
            out.append(line)
        elif not line.strip():
            out.append("")
        elif line.startswith(old):
            out.append(new + line[len(old):])
        else:
            out.append(line)  # a continuation line inside brackets keeps its place
    return "\n".join(out)


def value_text(data: bytes, start: int, end: int, r: Refactoring) -> str:
    """The expression's text, in parentheses when it spans lines in Python (its later lines
    may rely on the brackets around it)."""
    text = data[start:end].decode("utf-8", "surrogatepass")
    if r.multiline_parentheses and "\n" in text:
        return f"({text})"
    return text


class Writer:
    """What the writers share: the body of the new function, moved and re-indented."""

    keyword = ""  # the keyword that defines a function, with its space
    variable_keyword = ""  # the keyword that declares a variable ("" = none), with its space
    assign = " = "  # how a new variable is bound

    def body(self, plan: FunctionPlan, data: bytes, unit: str, r: Refactoring, semi: str = ""
             ) -> str:
        inner = plan.base_indent + unit
        if plan.expression:
            # The expression's own later lines keep their text: they are inside its brackets.
            return f"{inner}return {value_text(data, plan.start, plan.end, r)}{semi}"
        old = indent_at(data, plan.start)
        return reindent(data[line_start(data, plan.start):plan.end].decode(
            "utf-8", "surrogatepass"), old, inner, plan.verbatim_lines).rstrip()

    def awaited(self, expr: str) -> str:
        return f"await {expr}"

    def declaration(self, kinds: list[str]) -> str:
        """How the call site binds the returned names, given each one's declaring keyword:
        one keyword when the selection declared all of them ("" when they exist already:
        the call assigns them; "mixed" when only some are new)."""
        if not kinds or not all(kinds):
            return "mixed" if any(kinds) else ""
        return self.declare_all(kinds)

    def declare_all(self, kinds: list[str]) -> str:
        return ""
