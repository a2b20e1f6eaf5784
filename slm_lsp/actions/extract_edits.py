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
from ..languages import Refactoring, line_comment, new_parser, rules_for
from ..languages.extract_text import value_text
from ..languages.lines import line_start
from . import extract, extract_names, extract_variable
from .compute import Outcome, TextChange
from .drafter import Drafter

_NAME_STOPS = ("(", "\n", "=", ":", ";", ",", "<", "{")


def _rules(language_id: str) -> Refactoring:
    rules = rules_for(language_id)
    if rules is None or rules.refactor is None:
        raise extract.Refused(f"extracting is not supported for {language_id}")
    return rules.refactor


def _named(text: str) -> bool:
    """The proposal is complete: a word followed by anything else."""
    return re.match(r"\s*[A-Za-z_][A-Za-z0-9_]*[^A-Za-z0-9_]", text) is not None


def definition(plan: extract.Plan, name: str, data: bytes, unit: str) -> str:
    """The new function's text (with the blank lines that separate it from what follows)."""
    r = _rules(plan.language_id)
    return r.writer.definition(plan, name, data, unit, r)


def call(plan: extract.Plan, name: str, data: bytes) -> str:
    """The statement that replaces the selection."""
    writer = _rules(plan.language_id).writer
    args = ", ".join(plan.params)
    target = f"{plan.receiver}.{name}" if plan.receiver else name
    expr = f"{target}({args})"
    if plan.is_async:
        expr = writer.awaited(expr)
    if plan.expression:
        return expr
    return writer.call(plan, expr, data)


def variable(plan: extract_variable.VariablePlan, name: str, data: bytes) -> str:
    """The declaration inserted before the statement."""
    r = _rules(plan.language_id)
    return r.writer.variable(plan, name, value_text(data, plan.start, plan.end, r), data)


# -- naming ------------------------------------------------------------------------------------
def propose_function_name(drafter: Drafter, plan: extract.Plan, text: str, data: bytes,
                          unit: str) -> str:
    """The model's proposal for the function's name ("" when there is no model)."""
    if not drafter.available:
        return ""
    keyword = _rules(plan.language_id).writer.keyword
    body = definition(plan, "\x00", data, unit)
    head_part, tail_part = body.split("\x00", 1)
    # The prompt ends at the keyword, without its space: the name's first token carries it.
    head_part = head_part.rstrip(" ")
    insert = char_offset(data, plan.insert_at)
    if drafter.is_fim:
        raw = drafter.draft(text[:insert] + head_part, tail_part + text[insert:],
                            stops=_NAME_STOPS, max_tokens=8, should_stop=_named)
    else:
        mark = line_comment(plan.language_id)
        code = textwrap.dedent(data[line_start(data, plan.start):plan.end].decode(
            "utf-8", "surrogatepass"))
        prompt = (f"{code}\n\n{mark} The code above, as a function with a short descriptive "
                  f"name:\n{keyword.strip()}")
        raw = drafter.draft(prompt, None, stops=_NAME_STOPS, max_tokens=8, should_stop=_named)
    return raw


def propose_variable_name(drafter: Drafter, plan: extract_variable.VariablePlan, text: str,
                          data: bytes) -> str:
    if not drafter.available:
        return ""
    writer = _rules(plan.language_id).writer
    decl = writer.variable_keyword
    expr = data[plan.start:plan.end].decode("utf-8", "surrogatepass")
    insert = char_offset(data, plan.insert_at)
    if drafter.is_fim:
        op = writer.assign
        return drafter.draft(text[:insert] + plan.indent + decl.strip(), f"{op}{expr}\n" +
                             text[insert:], stops=_NAME_STOPS, max_tokens=8,
                             should_stop=_named)
    # Small plain models name a function that returns the value far better than a variable
    # that holds it: ask for that, and drop the verb ("calculate_total" -> "total").
    mark = line_comment(plan.language_id)
    one_line = " ".join(expr.split())[:200]
    prompt = (f"return {one_line}\n\n{mark} The code above, in a function with a short "
              f"descriptive name:\n{writer.keyword.strip()}")
    raw = drafter.draft(prompt, None, stops=_NAME_STOPS, max_tokens=8, should_stop=_named)
    return noun(raw)


_VERBS = {"get", "calculate", "calc", "compute", "find", "make", "build", "create", "fetch",
          "load", "read", "determine", "generate", "evaluate", "eval", "do", "extract"}


def noun(proposal: str) -> str:
    """A function's name as a value's: ``calculate_total_price`` -> ``total_price``."""
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", proposal or "")
    if not m:
        return ""
    words = extract_names.snake_case(m.group(1)).split("_")
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
    rules = rules_for(language_id)
    if parser is None or rules is None or rules.refactor is None:
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
