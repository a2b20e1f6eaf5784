"""Rewrite selection as asked: an instruct model rewrites the selected code, and the result is
accepted only if it replaces the selection alone, keeps its indentation and parses in place.

``compute_rewrite`` is pure but for the ``Chat`` it is given (it runs on the inference thread).
``RewriteModels`` picks the model: the ``actions.rewriteModel`` setting, else the completion
model when it is an instruct model with a chat template (the embedded SmolLM2-135M-Instruct is).
"""

from __future__ import annotations

import logging
import re
import textwrap
import time
from typing import TYPE_CHECKING

from ..completion import postprocess
from ..documents import utf8_offset
from ..engine.base import Cancel, GenerationRequest
from ..engine.host import Beside, serves
from ..languages import new_parser, rules_for
from . import extract, flow
from .compute import Outcome, TextChange
from .drafter import Cancelled

if TYPE_CHECKING:
    from ..engine.base import Engine
    from ..engine.host import Loaded
    from ..server import SlmServer

log = logging.getLogger(__name__)

REFUSAL = "no safe rewrite"
_FENCE = re.compile(r"```[\w+#.-]*[ \t]*\n(.*?)(?:^[ \t]*```|\Z)", re.S | re.M)
_INSTRUCT = re.compile(r"instruct|chat|[-_.]it\b", re.I)


class Chat:
    """Asks an instruct model one question with its own chat template, under the action's
    cancel event and deadline."""

    def __init__(self, engine: Engine, cancel: Cancel, deadline: float,
                 max_tokens: int):
        self.engine = engine
        self.cancel = cancel
        self.deadline = deadline
        self.max_tokens = max_tokens

    def ask(self, question: str, max_tokens: int) -> str:
        if self.cancel.is_set():
            raise Cancelled
        parts = self.engine.chat_parts([{"role": "user", "content": question}])
        fences = re.compile(r"```")
        request = GenerationRequest(
            prompt="".join(t for t, _ in parts), parts=parts,
            max_tokens=min(max_tokens, self.max_tokens), deadline=self.deadline,
            should_stop=lambda t: len(fences.findall(t)) >= 2, keep_cache=False,
            logprobs=False)
        gen = self.engine.generate(request, self.cancel)
        if gen.stop_reason == "cancelled" or self.cancel.is_set():
            raise Cancelled
        return gen.text


def is_instruct(engine: Engine | None, model_id: str) -> bool:
    """An instruct/chat model with a chat template in its GGUF."""
    if engine is None:
        return False
    names = f"{model_id} {engine.info.path}"
    return bool(engine.chat_template()) and bool(_INSTRUCT.search(names))


def question(code: str, language_id: str, instruction: str) -> str:
    rules = rules_for(language_id)
    lang = rules.name if rules is not None else language_id
    fence = rules.markdown_fence if rules is not None else language_id
    return (f"Rewrite this {lang} code as asked: {instruction.strip()}\n"
            f"Answer with only the rewritten code, in one ```{fence} block.\n\n"
            f"```{fence}\n{code}\n```")


def code_of(answer: str) -> str:
    """The code in the model's answer: its first fenced block, else the whole answer."""
    m = _FENCE.search(answer)
    body = m.group(1) if m else answer
    return body.strip("\n").rstrip()


def shape(candidate: str, text: str, a: int, b: int) -> str:
    """``candidate`` with the selection's indentation, and its trailing line break."""
    selected = text[a:b]
    lead = text[text.rfind("\n", 0, a) + 1:a]
    lines = textwrap.dedent(candidate.expandtabs(8) if "\t" not in selected else candidate
                            ).split("\n")
    if lead.strip():  # the selection starts mid-line: later lines get the line's indentation
        base = postprocess.indent_of(lead)
        first_pad = ""
    else:
        inner = selected[: len(selected) - len(selected.lstrip(" \t"))]
        first_pad = inner
        base = lead + inner
    out = [first_pad + lines[0]] + [(base + ln) if ln.strip() else "" for ln in lines[1:]]
    result = "\n".join(out)
    if selected.endswith("\n"):
        result += "\n"
    return result


def _errors(text: str, language_id: str) -> int:
    parser = new_parser(language_id)
    return postprocess.error_count(parser, text) if parser is not None else 0


def compute_rewrite(text: str, language_id: str, a: int, b: int, instruction: str,
                    chat: Chat | None) -> Outcome:
    """The selection ``[a, b)`` (code points) rewritten as ``instruction`` asks, or a refusal."""
    if new_parser(language_id) is None:
        return Outcome(refusal=f"{REFUSAL}: {language_id} cannot be checked")
    if not instruction.strip():
        return Outcome(refusal=f"{REFUSAL}: no instruction given")
    selected = text[a:b]
    if not selected.strip():
        return Outcome(refusal=f"{REFUSAL}: select the code to rewrite")
    if chat is None:
        return Outcome(refusal=f"{REFUSAL}: no instruct model")
    code = textwrap.dedent(selected).strip("\n")
    tokens = len(code) // 3 + 64
    answer = chat.ask(question(code, language_id, instruction), max_tokens=2 * tokens)
    body = code_of(answer)
    if not body.strip():
        return Outcome(refusal=f"{REFUSAL}: the model wrote no code")
    candidate = shape(body, text, a, b)
    if candidate.strip() == selected.strip():
        return Outcome(refusal=f"{REFUSAL}: the model changed nothing")
    after = text[:a] + candidate + text[b:]
    if _errors(after, language_id) > _errors(text, language_id):
        return Outcome(refusal=f"{REFUSAL}: the model's code does not parse in place")
    reason = broken_contract(text, after, language_id, a, b, a + len(candidate))
    if reason:
        return Outcome(refusal=f"{REFUSAL}: {reason}")
    return Outcome(changes=(TextChange(a, b, candidate),))


_DEFINITIONS = {"function_definition", "class_definition", "function_declaration",
                "class_declaration", "generator_function_declaration", "method_declaration",
                "function_item", "struct_item"}


def _parsed(text: str, language_id: str, a: int, b: int):
    data = text.encode("utf-8", "surrogatepass")
    tree = new_parser(language_id).parse(data)
    return tree, data, utf8_offset(text, a), utf8_offset(text, b)


def _defined(tree, start: int, end: int) -> set[str]:
    """Names of the functions and classes defined in ``[start, end)``."""
    out, stack = set(), [tree.root_node]
    while stack:
        n = stack.pop()
        if n.end_byte <= start or n.start_byte >= end:
            continue
        if n.type in _DEFINITIONS and n.start_byte >= start:
            name = n.child_by_field_name("name")
            if name is not None and name.text:
                out.add(name.text.decode("utf-8", "replace"))
        stack.extend(n.named_children)
    return out


def _outside_names(tree, start: int, end: int) -> set[str]:
    out, stack = set(), [tree.root_node]
    while stack:
        n = stack.pop()
        if n.child_count == 0:
            if "identifier" in n.type and not (start <= n.start_byte < end) and n.text:
                out.add(n.text.decode("utf-8", "replace"))
        else:
            stack.extend(n.children)
    return out


def _needed_after(tree, data: bytes, start: int, end: int, language_id: str) -> set[str]:
    """Names the selected statements assign that the code after them (in their function, or a
    closure) reads: a rewrite must still assign them."""
    stmts = extract.selected_statements(tree, data, start, end, language_id)
    if not stmts:
        return set()
    scope = extract.scope_of(stmts[0], language_id)
    if scope.function is None:
        return set()
    last = stmts[-1].end_byte
    reads = extract.scope_locals(scope, language_id, stmts[0].start_byte, last)[2]
    return {n for n in flow.analyze(stmts, language_id).writes()
            if any(u.name == n and (u.byte >= last or u.nested) for u in reads)}


def broken_contract(before: str, after: str, language_id: str, a: int, b: int, b2: int) -> str:
    """Why the rewrite ``after[a:b2]`` of ``before[a:b]`` breaks the code around it, or "":
    it must still assign what the code after it reads, and must not define again a function
    or class that exists outside the selection (the model rewrote the whole function)."""
    if flow.refactoring(language_id) is None:
        return ""
    old, old_data, sa, sb = _parsed(before, language_id, a, b)
    new, new_data, na, nb = _parsed(after, language_id, a, b2)
    again = (_defined(new, na, nb) - _defined(old, sa, sb)) & _outside_names(old, sa, sb)
    if again:
        return f"the model wrote `{sorted(again)[0]}` again instead of rewriting the selection"
    before_stmts = extract.selected_statements(old, old_data, sa, sb, language_id)
    if not before_stmts:
        return ""  # part of an expression: parsing in place is the check
    stmts = extract.selected_statements(new, new_data, na, nb, language_id)
    if not stmts:
        return "the rewrite is not whole statements, as the selection was"
    was, now = flow.analyze(before_stmts, language_id), flow.analyze(stmts, language_id)
    for kind in ("return", "yield", "break", "continue"):
        if (kind in was.escapes) != (kind in now.escapes):
            verb = "drops the selection's" if kind in was.escapes else "adds a"
            return f"the rewrite {verb} `{kind}`, which changes what the code around it does"
    missing = sorted(_needed_after(old, old_data, sa, sb, language_id) - set(now.writes()))
    if missing:
        return f"the rewrite no longer sets `{missing[0]}`, which the code after it reads"
    return ""


class RewriteModels:
    """The model rewrites run on: the setting's, else the completion model if it can chat.
    A separate rewrite model is loaded on first use. Everything here runs on the inference
    thread, one job at a time."""

    def __init__(self, server: SlmServer):
        self.server = server
        self.beside = Beside(server.host, "rewrite model",
                             lambda settings: settings.actions.rewrite_model)

    def compute(self, text: str, language_id: str, a: int, b: int, instruction: str,
                loaded: Loaded | None, cancel: Cancel, deadline: float | None,
                max_tokens: int) -> Outcome:
        """The rewrite, with the model the settings choose (loaded here if it must be)."""
        if new_parser(language_id) is None or not instruction.strip() or \
                not text[a:b].strip():
            return compute_rewrite(text, language_id, a, b, instruction, None)
        engine, reason = self.pick(loaded)
        if engine is None:
            return Outcome(refusal=f"{REFUSAL}: {reason}")
        chat = Chat(engine, cancel, deadline or time.monotonic() + 60, max_tokens)
        try:
            return compute_rewrite(text, language_id, a, b, instruction, chat)
        except (Cancelled, ValueError, RuntimeError) as exc:
            if isinstance(exc, Cancelled):
                raise
            log.warning("rewrite failed", exc_info=True)
            return Outcome(refusal=f"{REFUSAL}: the model failed ({exc})")

    def pick(self, loaded: Loaded | None) -> tuple[Engine | None, str]:
        """The engine, or None and the reason."""
        settings = self.server.settings
        wanted = settings.actions.rewrite_model.strip()
        if not wanted:
            if loaded is None:
                return None, "the model is not available"
            if is_instruct(loaded.engine, loaded.model_id):
                return loaded.engine, ""
            return None, (f"{loaded.model_id} is not an instruct model; set "
                          "actions.rewriteModel to one (e.g. qwen2.5-coder-1.5b-instruct)")
        if serves(loaded, wanted):
            # Named by the user, and already loaded to complete: a chat template will do.
            if not loaded.engine.chat_template():
                return None, f"{wanted} has no chat template in its GGUF"
            return loaded.engine, ""
        try:
            engine = self.beside.get(settings)
        except Exception as exc:  # noqa: BLE001 - any load failure is the reason
            return None, str(exc)
        # Named by the user: any model with a chat template will do.
        if not engine.chat_template():
            return None, f"{wanted} has no chat template in its GGUF"
        return engine, ""

    def _stale(self) -> bool:
        """The loaded rewrite model is not the one a rewrite would use now: the setting
        names another, or none, or the completion model (which then does the rewrites)."""
        return self.beside.stale(self.server.settings, self.server.host.loaded)

    def settings_changed(self) -> None:
        """After a settings change (``actions.rewriteModel``, the model, its context): a
        rewrite model that rewrites no longer use is released, on the inference thread, after
        any rewrite still running on it."""
        if self.beside.engine is not None and self._stale():
            self.server.run_task(self.server.host.run(self._release_if_stale))

    def _release_if_stale(self) -> None:
        if self.beside.engine is not None and self._stale():
            self.close()

    def close(self) -> None:
        """Release the rewrite model (at shutdown, or when rewrites no longer use it)."""
        self.beside.close()
