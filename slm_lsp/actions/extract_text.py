"""How an extracted function, its call and an extracted variable are written, one class per
language family (Python, JavaScript/TypeScript, Go, Rust). A language names its writer in its
rules (``languages/``); ``extract_edits`` runs it.

Pure: a plan, a name and the document's bytes in, text out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .extract_basics import indent_at, line_start

if TYPE_CHECKING:
    from ..languages.base import Refactoring
    from .extract import Plan
    from .extract_variable import VariablePlan


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


def semicolon(data: bytes, plan_end: int) -> str:
    return ";" if data[:plan_end].rstrip().endswith(b";") else ""


def statement_semicolons(data: bytes, at: int) -> bool:
    end = data.find(b"\n", at)
    window = data[max(0, at - 2000):at + 2000]
    lines = [ln.rstrip() for ln in window.split(b"\n") if ln.strip()]
    with_semi = sum(ln.endswith(b";") for ln in lines)
    return with_semi * 3 >= len(lines) or data[at:end if end >= 0 else None].rstrip().endswith(
        b";")


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

    def body(self, plan: Plan, data: bytes, unit: str, r: Refactoring, semi: str = "") -> str:
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


class PythonText(Writer):
    keyword = "def "

    def params(self, plan: Plan, r: Refactoring) -> str:
        return ", ".join(([plan.receiver] if plan.receiver else []) + list(plan.params))

    def definition(self, plan: Plan, name: str, data: bytes, unit: str, r: Refactoring) -> str:
        body = self.body(plan, data, unit, r)
        base, inner, rets = plan.base_indent, plan.base_indent + unit, list(plan.returns)
        head = f"{base}@classmethod\n" if plan.static else ""
        head += f"{base}{'async ' if plan.is_async else ''}def {name}({self.params(plan, r)}):\n"
        tail = f"\n{inner}return {', '.join(rets)}" if rets else ""
        return head + body + tail + ("\n\n" if plan.receiver else "\n\n\n")

    def call(self, plan: Plan, expr: str, data: bytes) -> str:
        rets = list(plan.returns)
        return f"{', '.join(rets)} = {expr}" if rets else expr

    def variable(self, plan: VariablePlan, name: str, expr: str, data: bytes) -> str:
        return f"{plan.indent}{name} = {expr}\n"

    def declaration(self, kinds: list[str]) -> str:
        return ""  # Python binds by assigning


class JsText(Writer):
    keyword = "function "
    variable_keyword = "const "

    def params(self, plan: Plan, r: Refactoring) -> str:
        types = dict(plan.types)
        if r.annotated_params:
            return ", ".join(f"{p}: {types[p]}" if p in types else p for p in plan.params)
        return ", ".join(plan.params)

    def definition(self, plan: Plan, name: str, data: bytes, unit: str, r: Refactoring) -> str:
        semi = ";" if plan.expression and statement_semicolons(data, plan.start) else ""
        body = self.body(plan, data, unit, r, semi)
        base, inner, rets = plan.base_indent, plan.base_indent + unit, list(plan.returns)
        params = self.params(plan, r)
        semi = semicolon(data, plan.end)
        if plan.receiver:
            head = (f"{base}{'static ' if plan.static else ''}"
                    f"{'async ' if plan.is_async else ''}{name}({params}) {{\n")
        else:
            head = f"{base}{'async ' if plan.is_async else ''}function {name}({params}) {{\n"
        value = rets[0] if len(rets) == 1 else f"[{', '.join(rets)}]"
        tail = f"\n{inner}return {value}{semi}" if rets else ""
        return head + body + tail + f"\n{base}}}\n\n"

    def call(self, plan: Plan, expr: str, data: bytes) -> str:
        rets = list(plan.returns)
        semi = semicolon(data, plan.end)
        if not rets:
            return f"{expr}{semi}"
        bound = rets[0] if len(rets) == 1 else f"[{', '.join(rets)}]"
        if plan.declare == "mixed":
            fresh = [r for r, d in zip(rets, plan.return_declares, strict=False) if d]
            indent = indent_at(data, plan.start)
            lead = "" if semi else ";"  # `[a, b] = ...` must not join the line above
            return f"let {', '.join(fresh)}{semi}\n{indent}{lead}{bound} = {expr}{semi}"
        if plan.declare:
            return f"{plan.declare} {bound} = {expr}{semi}"
        lead = "" if semi or len(rets) == 1 else ";"  # `[a, b] = ...` must not join the line above
        return f"{lead}{bound} = {expr}{semi}"

    def variable(self, plan: VariablePlan, name: str, expr: str, data: bytes) -> str:
        semi = ";" if statement_semicolons(data, plan.insert_at) else ""
        return f"{plan.indent}const {name} = {expr}{semi}\n"

    def declare_all(self, kinds: list[str]) -> str:
        return kinds[0] if len(set(kinds)) == 1 and kinds[0] in ("const", "let", "var") \
            else "let"


class GoText(Writer):
    keyword = "func "
    assign = " := "

    def params(self, plan: Plan, r: Refactoring) -> str:
        types = dict(plan.types)
        return ", ".join(f"{p} {types[p]}" for p in plan.params)

    def definition(self, plan: Plan, name: str, data: bytes, unit: str, r: Refactoring) -> str:
        body = self.body(plan, data, unit, r)
        base, inner, rets = plan.base_indent, plan.base_indent + unit, list(plan.returns)
        types = dict(plan.types)
        result = ""
        if len(rets) == 1:
            result = f" {types[rets[0]]}"
        elif rets:
            result = f" ({', '.join(types[r] for r in rets)})"
        tail = f"\n{inner}return {', '.join(rets)}" if rets else ""
        return f"{base}func {name}({self.params(plan, r)}){result} {{\n{body}{tail}\n{base}}}\n\n"

    def call(self, plan: Plan, expr: str, data: bytes) -> str:
        rets = list(plan.returns)
        if not rets:
            return expr
        op = {":=": " := ", "var": " = "}.get(plan.declare, " = ")
        return f"{'var ' if plan.declare == 'var' else ''}{', '.join(rets)}{op}{expr}"

    def variable(self, plan: VariablePlan, name: str, expr: str, data: bytes) -> str:
        return f"{plan.indent}{name} := {expr}\n"

    def declare_all(self, kinds: list[str]) -> str:
        return ":=" if all(k == ":=" for k in kinds) else "var"


class RustText(Writer):
    keyword = "fn "
    variable_keyword = "let "

    def params(self, plan: Plan, r: Refactoring) -> str:
        types = dict(plan.types)
        return ", ".join(f"{'mut ' if p in plan.mutable else ''}{p}: {types[p]}"
                         for p in plan.params)

    def definition(self, plan: Plan, name: str, data: bytes, unit: str, r: Refactoring) -> str:
        body = self.body(plan, data, unit, r)
        base, inner, rets = plan.base_indent, plan.base_indent + unit, list(plan.returns)
        types = dict(plan.types)
        result = ""
        if len(rets) == 1:
            result = f" -> {types[rets[0]]}"
        elif rets:
            result = f" -> ({', '.join(types[r] for r in rets)})"
        tail = ""
        if rets:
            tail = f"\n{inner}{rets[0] if len(rets) == 1 else '(' + ', '.join(rets) + ')'}"
        return (f"{base}{'async ' if plan.is_async else ''}fn {name}({self.params(plan, r)})"
                f"{result} {{\n{body}{tail}\n{base}}}\n\n")

    def awaited(self, expr: str) -> str:
        return f"{expr}.await"

    def call(self, plan: Plan, expr: str, data: bytes) -> str:
        rets = list(plan.returns)
        if not rets:
            return f"{expr};"
        names = [f"mut {r}" if d == "let mut" else r
                 for r, d in zip(rets, plan.return_declares, strict=False)]
        if plan.declare == "let":
            bound = names[0] if len(names) == 1 else f"({', '.join(names)})"
            return f"let {bound} = {expr};"
        bound = rets[0] if len(rets) == 1 else f"({', '.join(rets)})"
        return f"{bound} = {expr};"

    def variable(self, plan: VariablePlan, name: str, expr: str, data: bytes) -> str:
        return f"{plan.indent}let {name} = {expr};\n"

    def declare_all(self, kinds: list[str]) -> str:
        return "let"
