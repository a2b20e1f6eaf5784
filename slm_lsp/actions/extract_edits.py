"""Extract function and extract variable, computed: the model proposes a name, the plan
(``extract.py``) becomes text, and the result must parse before it is offered.

Runs on the inference thread with a copy of the document's text. Offsets in the ``Outcome``
are code points of that text.
"""

from __future__ import annotations

import re
import textwrap

from ..completion import postprocess
from ..documents import char_offset, utf8_offset
from ..syntax.languages import LINE_COMMENT, new_parser
from . import extract, extract_names, extract_variable
from .compute import Outcome, TextChange
from .drafter import Drafter
from .flow import FAMILY

_DEF_KEYWORD = {"python": "def ", "js": "function ", "go": "func ", "rust": "fn "}
_NAME_STOPS = ("(", "\n", "=", ":", ";", ",", "<", "{")


def _named(text: str) -> bool:
    """The proposal is complete: a word followed by anything else."""
    return re.match(r"\s*[A-Za-z_][A-Za-z0-9_]*[^A-Za-z0-9_]", text) is not None


def _reindent(body: str, old: str, new: str, keep: tuple[int, ...] = ()) -> str:
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


def _value(data: bytes, start: int, end: int, family: str) -> str:
    """The expression's text, in parentheses when it spans lines in Python (its later lines
    may rely on the brackets around it)."""
    text = data[start:end].decode("utf-8", "surrogatepass")
    if family == "python" and "\n" in text:
        return f"({text})"
    return text


def _semicolon(data: bytes, plan_end: int) -> str:
    return ";" if data[:plan_end].rstrip().endswith(b";") else ""


def _param_list(plan: extract.Plan, family: str, language_id: str) -> str:
    types = dict(plan.types)
    params = list(plan.params)
    if family == "python":
        return ", ".join(([plan.receiver] if plan.receiver else []) + params)
    if family == "go":
        return ", ".join(f"{p} {types[p]}" for p in params)
    if family == "rust":
        return ", ".join(f"{'mut ' if p in plan.mutable else ''}{p}: {types[p]}"
                         for p in params)
    if language_id.startswith("typescript"):
        return ", ".join(f"{p}: {types[p]}" if p in types else p for p in params)
    return ", ".join(params)


def definition(plan: extract.Plan, name: str, data: bytes, unit: str) -> str:
    """The new function's text (with the blank lines that separate it from what follows)."""
    family = FAMILY[plan.language_id]
    old = extract.indent_at(data, plan.start)
    inner = plan.base_indent + unit
    if plan.expression:
        # The expression's own later lines keep their text: they are inside its brackets.
        value = _value(data, plan.start, plan.end, family)
        semi = ";" if family == "js" and _statement_semicolons(data, plan.start) else ""
        body = f"{inner}return {value}{semi}"
    else:
        body = _reindent(data[extract.line_start(data, plan.start):plan.end].decode(
            "utf-8", "surrogatepass"), old, inner, plan.verbatim_lines).rstrip()
    params = _param_list(plan, family, plan.language_id)
    rets = list(plan.returns)
    base = plan.base_indent
    types = dict(plan.types)
    if family == "python":
        head = f"{base}@classmethod\n" if plan.static else ""
        head += f"{base}{'async ' if plan.is_async else ''}def {name}({params}):\n"
        tail = f"\n{inner}return {', '.join(rets)}" if rets else ""
        return head + body + tail + ("\n\n" if plan.receiver else "\n\n\n")
    if family == "js":
        semi = _semicolon(data, plan.end)
        if plan.receiver:
            head = (f"{base}{'static ' if plan.static else ''}"
                    f"{'async ' if plan.is_async else ''}{name}({params}) {{\n")
        else:
            head = f"{base}{'async ' if plan.is_async else ''}function {name}({params}) {{\n"
        value = rets[0] if len(rets) == 1 else f"[{', '.join(rets)}]"
        tail = f"\n{inner}return {value}{semi}" if rets else ""
        return head + body + tail + f"\n{base}}}\n\n"
    if family == "go":
        result = ""
        if len(rets) == 1:
            result = f" {types[rets[0]]}"
        elif rets:
            result = f" ({', '.join(types[r] for r in rets)})"
        tail = f"\n{inner}return {', '.join(rets)}" if rets else ""
        return f"{base}func {name}({params}){result} {{\n{body}{tail}\n{base}}}\n\n"
    result = ""
    if len(rets) == 1:
        result = f" -> {types[rets[0]]}"
    elif rets:
        result = f" -> ({', '.join(types[r] for r in rets)})"
    tail = ""
    if rets:
        tail = f"\n{inner}{rets[0] if len(rets) == 1 else '(' + ', '.join(rets) + ')'}"
    return (f"{base}{'async ' if plan.is_async else ''}fn {name}({params}){result} "
            f"{{\n{body}{tail}\n{base}}}\n\n")


def call(plan: extract.Plan, name: str, data: bytes) -> str:
    """The statement that replaces the selection."""
    family = FAMILY[plan.language_id]
    args = ", ".join(plan.params)
    target = f"{plan.receiver}.{name}" if plan.receiver else name
    expr = f"{target}({args})"
    if plan.is_async:
        expr = f"{expr}.await" if family == "rust" else f"await {expr}"
    if plan.expression:
        return expr
    rets = list(plan.returns)
    if family == "python":
        return f"{', '.join(rets)} = {expr}" if rets else expr
    if family == "go":
        if not rets:
            return expr
        op = {":=": " := ", "var": " = "}.get(plan.declare, " = ")
        return f"{'var ' if plan.declare == 'var' else ''}{', '.join(rets)}{op}{expr}"
    if family == "rust":
        if not rets:
            return f"{expr};"
        names = [f"mut {r}" if d == "let mut" else r
                 for r, d in zip(rets, plan.return_declares, strict=False)]
        if plan.declare == "let":
            bound = names[0] if len(names) == 1 else f"({', '.join(names)})"
            return f"let {bound} = {expr};"
        bound = rets[0] if len(rets) == 1 else f"({', '.join(rets)})"
        return f"{bound} = {expr};"
    semi = _semicolon(data, plan.end)
    if not rets:
        return f"{expr}{semi}"
    bound = rets[0] if len(rets) == 1 else f"[{', '.join(rets)}]"
    if plan.declare == "mixed":
        fresh = [r for r, d in zip(rets, plan.return_declares, strict=False) if d]
        indent = extract.indent_at(data, plan.start)
        lead = "" if semi else ";"  # `[a, b] = ...` must not join the line above
        return f"let {', '.join(fresh)}{semi}\n{indent}{lead}{bound} = {expr}{semi}"
    if plan.declare:
        return f"{plan.declare} {bound} = {expr}{semi}"
    lead = "" if semi or len(rets) == 1 else ";"  # `[a, b] = ...` must not join the line above
    return f"{lead}{bound} = {expr}{semi}"


def variable(plan: extract_variable.VariablePlan, name: str, data: bytes) -> str:
    """The declaration inserted before the statement."""
    family = FAMILY[plan.language_id]
    expr = _value(data, plan.start, plan.end, family)
    if family == "python":
        return f"{plan.indent}{name} = {expr}\n"
    if family == "go":
        return f"{plan.indent}{name} := {expr}\n"
    if family == "rust":
        return f"{plan.indent}let {name} = {expr};\n"
    semi = ";" if _statement_semicolons(data, plan.insert_at) else ""
    return f"{plan.indent}const {name} = {expr}{semi}\n"


def _statement_semicolons(data: bytes, at: int) -> bool:
    end = data.find(b"\n", at)
    window = data[max(0, at - 2000):at + 2000]
    lines = [ln.rstrip() for ln in window.split(b"\n") if ln.strip()]
    with_semi = sum(ln.endswith(b";") for ln in lines)
    return with_semi * 3 >= len(lines) or data[at:end if end >= 0 else None].rstrip().endswith(
        b";")


# -- naming ------------------------------------------------------------------------------------
def propose_function_name(drafter: Drafter, plan: extract.Plan, text: str, data: bytes,
                          unit: str) -> str:
    """The model's proposal for the function's name ("" when there is no model)."""
    if not drafter.available:
        return ""
    family = FAMILY[plan.language_id]
    keyword = _DEF_KEYWORD[family]
    body = definition(plan, "\x00", data, unit)
    head_part, tail_part = body.split("\x00", 1)
    # The prompt ends at the keyword, without its space: the name's first token carries it.
    head_part = head_part.rstrip(" ")
    insert = char_offset(data, plan.insert_at)
    if drafter.is_fim:
        raw = drafter.draft(text[:insert] + head_part, tail_part + text[insert:],
                            stops=_NAME_STOPS, max_tokens=8, should_stop=_named)
    else:
        mark = LINE_COMMENT.get(plan.language_id, "#")
        code = textwrap.dedent(data[extract.line_start(data, plan.start):plan.end].decode(
            "utf-8", "surrogatepass"))
        prompt = (f"{code}\n\n{mark} The code above, as a function with a short descriptive "
                  f"name:\n{keyword.strip()}")
        raw = drafter.draft(prompt, None, stops=_NAME_STOPS, max_tokens=8, should_stop=_named)
    return raw


def propose_variable_name(drafter: Drafter, plan: extract_variable.VariablePlan, text: str,
                          data: bytes) -> str:
    if not drafter.available:
        return ""
    family = FAMILY[plan.language_id]
    decl = {"js": "const ", "rust": "let "}.get(family, "")
    expr = data[plan.start:plan.end].decode("utf-8", "surrogatepass")
    insert = char_offset(data, plan.insert_at)
    if drafter.is_fim:
        op = " := " if family == "go" else " = "
        return drafter.draft(text[:insert] + plan.indent + decl.strip(), f"{op}{expr}\n" +
                             text[insert:], stops=_NAME_STOPS, max_tokens=8,
                             should_stop=_named)
    # Small plain models name a function that returns the value far better than a variable
    # that holds it: ask for that, and drop the verb ("calculate_total" -> "total").
    mark = LINE_COMMENT.get(plan.language_id, "#")
    one_line = " ".join(expr.split())[:200]
    prompt = (f"return {one_line}\n\n{mark} The code above, in a function with a short "
              f"descriptive name:\n{_DEF_KEYWORD[family].strip()}")
    raw = drafter.draft(prompt, None, stops=_NAME_STOPS, max_tokens=8, should_stop=_named)
    return noun(raw)


_VERBS = {"get", "calculate", "calc", "compute", "find", "make", "build", "create", "fetch",
          "load", "read", "determine", "generate", "evaluate", "eval", "do", "extract"}


def noun(proposal: str) -> str:
    """A function's name as a value's: ``calculate_total_price`` -> ``total_price``."""
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", proposal or "")
    if not m:
        return ""
    words = extract_names.style(m.group(1), "python").split("_")
    if len(words) > 1 and words[0] in _VERBS:
        words = words[1:]
    return "_".join(words)


# -- computing ---------------------------------------------------------------------------------
def _errors(text: str, language_id: str) -> int:
    parser = new_parser(language_id)
    return postprocess.error_count(parser, text) if parser is not None else 0


def _merged(changes: list[TextChange]) -> list[TextChange]:
    """An insertion where another change starts becomes part of it: two edits at one position
    leave their order to the client."""
    out: list[TextChange] = []
    for c in sorted(changes, key=lambda c: (c.start, c.end != c.start)):
        if out and out[-1].start == out[-1].end == c.start:
            c = TextChange(c.start, c.end, out.pop().text + c.text)
        out.append(c)
    return out


def _outcome(text: str, language_id: str, changes: list[TextChange], from_model: bool
             ) -> Outcome:
    changes = _merged(changes)
    after = text
    for c in sorted(changes, key=lambda c: c.start, reverse=True):
        after = after[:c.start] + c.text + after[c.end:]
    if _errors(after, language_id) > _errors(text, language_id):
        return Outcome(refusal="the extracted code does not parse")
    return Outcome(changes=tuple(sorted(changes, key=lambda c: c.start)),
                   source="model" if from_model else "skeleton")


def compute_extract(text: str, language_id: str, a: int, b: int, kind: str,
                    drafter: Drafter) -> Outcome:
    """Extract the selection ``[a, b)`` (code points) into a function or a variable."""
    parser = new_parser(language_id)
    if parser is None or language_id not in FAMILY:
        return Outcome(refusal=f"extracting is not supported for {language_id}")
    data = text.encode("utf-8", "surrogatepass")
    tree = parser.parse(data)
    sa, sb = utf8_offset(text, a), utf8_offset(text, b)
    unit = postprocess.detect_indent_unit(text[:20000])
    taken = extract_names.names_in(tree)
    try:
        if kind == "extract_function":
            plan = extract.plan_function(tree, data, sa, sb, language_id)
            name, ok = extract_names.fresh_name(
                propose_function_name(drafter, plan, text, data, unit), taken, language_id)
            changes = [
                TextChange(char_offset(data, plan.insert_at), char_offset(data, plan.insert_at),
                           definition(plan, name, data, unit)),
                TextChange(char_offset(data, plan.start), char_offset(data, plan.end),
                           call(plan, name, data)),
            ]
        else:
            vplan = extract_variable.plan_variable(tree, data, sa, sb, language_id)
            name, ok = extract_names.fresh_name(
                propose_variable_name(drafter, vplan, text, data), taken, language_id)
            at = char_offset(data, vplan.insert_at)
            changes = [TextChange(at, at, variable(vplan, name, data)),
                       TextChange(char_offset(data, vplan.start), char_offset(data, vplan.end),
                                  name)]
    except extract.Refused as exc:
        return Outcome(refusal=str(exc))
    except RecursionError:
        return Outcome(refusal="the code is nested too deeply to analyse")
    return _outcome(text, language_id, changes, ok)
