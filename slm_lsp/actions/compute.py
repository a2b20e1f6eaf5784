"""The three actions, computed: what to change, or why nothing safe can be changed.

Runs on the inference thread with a copy of the document's text (it re-parses that copy, so it
never touches the live tree). Offsets are code points into that text; the LSP layer turns the
``Outcome`` into a WorkspaceEdit in the client's encoding.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

from ..completion import postprocess
from ..documents import char_offset, utf8_offset
from ..languages import line_comment, new_parser, rules_for
from . import docstring, fix, scaffold
from .drafter import Drafter
from .targets import ActionTarget, definition_at, definitions

if TYPE_CHECKING:
    from ..languages.test_conventions import TestPlan

MAX_MODEL_TESTS = 4


@attrs.frozen
class TextChange:
    """Replace ``[start, end)`` (code points of the action's document) with ``text``."""

    start: int
    end: int
    text: str


@attrs.frozen
class FileOutput:
    """A file to create, or to append to when ``existing`` is not None (never overwritten)."""

    path: str
    text: str
    existing: str | None = None


@attrs.frozen
class Outcome:
    """What an action does; ``refusal`` explains an action that does nothing."""

    changes: tuple[TextChange, ...] = ()
    file: FileOutput | None = None
    refusal: str = ""
    source: str = "model"  # "model", "skeleton" or "mixed": what wrote the text

    @property
    def empty(self) -> bool:
        return not self.changes and self.file is None


def _parse(text: str, language_id: str):
    parser = new_parser(language_id)
    data = text.encode("utf-8", "surrogatepass")
    return (parser.parse(data) if parser is not None else None), data


def _errors(text: str, language_id: str) -> int:
    parser = new_parser(language_id)
    return postprocess.error_count(parser, text) if parser is not None else 0


# -- fix ---------------------------------------------------------------------------------------
def _narrow(original: str, candidate: str, start: int) -> TextChange:
    """The smallest whole-line change inside the block: common first and last lines kept."""
    old, new = original.split("\n"), candidate.split("\n")
    head = 0
    while head < min(len(old), len(new)) - 1 and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head - 1 and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    skip = sum(len(line) + 1 for line in old[:head])
    old_mid = "\n".join(old[head:len(old) - tail])
    new_mid = "\n".join(new[head:len(new) - tail])
    return TextChange(start + skip, start + skip + len(old_mid), new_mid)


def _mostly_comments(candidate: str, language_id: str) -> bool:
    mark = line_comment(language_id)
    lines = [ln.strip() for ln in candidate.split("\n") if ln.strip()]
    return not lines or sum(ln.startswith(mark) for ln in lines) * 2 >= len(lines)


def compute_fix(text: str, language_id: str, a: int, b: int, message: str,
                drafter: Drafter) -> Outcome:
    """A rewrite of the statement around ``[a, b)`` that addresses ``message``."""
    tree, _ = _parse(text, language_id)
    block = fix.find_block(text, tree, a, b)
    original = block.text_of(text)
    if not drafter.available:
        return Outcome(refusal="no safe fix found: the model is not available")
    limit = max(3, 2 * original.count("\n") + 2)

    def leaves_block(t: str) -> bool:
        full = block.indent + t
        if "\n" not in full:
            return False
        done = full[:full.rfind("\n")]
        return done.count("\n") + 1 >= limit or \
            len(postprocess.cut_block(done, "", limit).rstrip()) < len(done.rstrip())

    if drafter.is_fim:
        head, tail = fix.fim_parts(text, block, message, language_id)
        raw = drafter.draft(head, tail, max_tokens=16 + 3 * len(original) // 2)
    else:
        raw = drafter.draft(fix.plain_prompt(text, block, message, language_id), None,
                            max_tokens=16 + 3 * len(original) // 2, should_stop=leaves_block)
    candidate = fix.shape(raw, block, original, drafter.fmt.markers if drafter.fmt else ())
    reason = fix.check(text, tree, block, candidate, language_id)
    if not reason and _mostly_comments(candidate, language_id):
        reason = "the model wrote comments, not code"
    if reason:
        return Outcome(refusal=f"no safe fix found ({reason})")
    return Outcome(changes=(_narrow(original, candidate, block.start),))


# -- docstring -----------------------------------------------------------------------------------
def compute_docstring(text: str, language_id: str, offset: int, drafter: Drafter) -> Outcome:
    """A docstring or doc comment for the definition at ``offset``; only inserts."""
    tree, data = _parse(text, language_id)
    d = definition_at(tree, utf8_offset(text, offset),
                      language_id)
    if d is None:
        return Outcome(refusal="no function or class here")
    if d.documented:
        return Outcome(refusal=f"{d.name} already has documentation")
    rules = rules_for(language_id)
    convention = rules.docstring if rules is not None else None
    if convention is not None and convention.inside_body and d.one_line:
        return Outcome(refusal=f"{d.name} has its body on the signature's line")
    body, start = char_offset(data, d.body_byte), char_offset(data, d.start_byte)
    style = docstring.detect_style(text) if convention is not None and convention.styled \
        else "google"
    unit = postprocess.detect_indent_unit(text[:20000])
    head, tail = docstring.opening(d, language_id, text=text, body_offset=body, start_offset=start)
    raw = drafter.draft(head, tail if drafter.is_fim else None,
                        stops=docstring.stops_for(language_id), max_tokens=64)
    summary = docstring.clean_summary(raw)
    baseline = _errors(text, language_id)
    for attempt in ((summary, "model"), ("", "skeleton")) if summary else (("", "skeleton"),):
        ins = docstring.render(d, language_id, attempt[0], text=text, body_offset=body,
                               start_offset=start, style=style, unit=unit)
        after = text[:ins.offset] + ins.text + text[ins.offset:]
        if _errors(after, language_id) <= baseline:
            return Outcome(changes=(TextChange(ins.offset, ins.offset, ins.text),),
                           source=attempt[1])
    return Outcome(refusal=f"no safe docstring found for {d.name}")


# -- tests ---------------------------------------------------------------------------------------
def _test_head(d: ActionTarget, p: TestPlan, source: str, names: list[str]) -> str:
    """What a plain model continues: the code under test, then the test's opening."""
    opening = scaffold.wrap_test(d, p, "\x00").split("\x00", 1)[0]
    imports, opening = scaffold.model_prelude(p, names, opening)
    return f"{source.rstrip()}\n\n\n{imports}\n{opening}{scaffold.body_indent(p)}"


def _accept_body(raw: str, d: ActionTarget, p: TestPlan) -> str:
    """The model's test body, indented and checked, or "" when it is not usable."""
    indent = scaffold.body_indent(p)
    lines = (indent + raw.replace("\r", "").lstrip(" \t")).split("\n")
    body = postprocess.cut_block("\n".join(lines), "", 12).rstrip()
    rules = rules_for(p.language_id)
    if rules is None or not rules.indentation_blocks:  # a brace closes the test's body
        body = "\n".join(ln for ln in body.split("\n") if ln.startswith(indent) or
                         not ln.strip())
    body = body.rstrip()
    if not body.strip() or d.name not in body:
        return ""
    if not scaffold.has_assertion(body, p):
        return ""  # a test that cannot fail is not offered as the model's
    if re.search(r"^\s*(import |from \S+ import |def |class |func |fn |describe\()", body, re.M):
        return ""
    return body + "\n"


def _parses(text: str, language_id: str, baseline: int = 0) -> bool:
    return _errors(text, language_id) <= baseline


def compute_tests(text: str, language_id: str, offset: int | None, plan: TestPlan,
                  existing: str | None, drafter: Drafter) -> Outcome:
    """Tests for the definition at ``offset`` (or every public one of the module when None)."""
    tree, data = _parse(text, language_id)
    if offset is not None:
        d = definition_at(tree, utf8_offset(text, offset),
                          language_id)
        targets = [d] if d is not None else []
    else:
        targets = scaffold.public(definitions(tree, language_id), language_id)
    if not targets:
        return Outcome(refusal="no public function or class to test")
    plan = scaffold.adapt(plan, text)
    names = [t.name for t in targets]
    existing_text = text if plan.same_file else (existing or "")
    tests, from_model = [], 0
    for i, d in enumerate(targets):
        body = ""
        if i < MAX_MODEL_TESTS and drafter.available:
            start, end = char_offset(data, d.start_byte), char_offset(data, d.end_byte)
            source = text[start:end]
            raw = drafter.draft(_test_head(d, plan, source, names), None, max_tokens=96,
                                should_stop=lambda t: t.count("\n") >= 12)
            body = _accept_body(raw, d, plan)
            if body:
                candidate = scaffold.assemble(plan, [scaffold.wrap_test(d, plan, body)], names)
                if not _parses(candidate, plan.language_id):
                    body = ""
        from_model += bool(body)
        tests.append(scaffold.wrap_test(d, plan, body) if body else scaffold.skeleton_test(d, plan))
    mods = text if plan.same_file else ""
    out = scaffold.assemble(plan, tests, names, existing_text if existing is not None or
                            plan.same_file else "", mods)
    baseline = _errors(existing_text, plan.language_id) if existing_text else 0
    if not _parses(existing_text + out, plan.language_id, baseline):
        skeletons = [scaffold.skeleton_test(d, plan) for d in targets]
        out = scaffold.assemble(plan, skeletons, names, existing_text, mods)
        from_model = 0
        if not _parses(existing_text + out, plan.language_id, baseline):
            return Outcome(refusal="the generated tests do not parse")
    source = "model" if from_model == len(targets) else "mixed" if from_model else "skeleton"
    if plan.same_file:
        return Outcome(changes=(TextChange(len(text), len(text), out),), source=source)
    return Outcome(file=FileOutput(plan.path, out, existing), source=source)
