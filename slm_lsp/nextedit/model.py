"""Next edits from a model: the window of lines around the cursor rewritten by a model that has
seen the user's last edits, and the first change of that rewrite as one ``Proposal``.

Two prompts, chosen by the model's format (``models.toml``):

* **Sweep's next-edit format** (``next_edit = "sweep"``: Sweep Next-Edit, a Qwen2.5-Coder
  fine-tune). The layout is the one of the model card of ``sweepai/sweep-next-edit-1.5B``, of
  Sweep's blog post (blog.sweep.dev/posts/oss-next-edit) and of Zed's self-hosted Sweep support
  (zed-industries/zed#51139, ``crates/edit_prediction/src/sweep_ai.rs``): Qwen2.5-Coder's own
  repository-level token ``<|file_sep|>`` opens each block, a path names it, and there is no
  instruction::

      <|file_sep|>{path}.diff           one block per recent change, oldest first:
      original:                         the whole lines it touched, before
      {lines before}
      updated:                          and after it
      {lines after}
      <|file_sep|>original/{path}       the window before the last change
      {window before}
      <|file_sep|>current/{path}        the window now
      {window}
      <|file_sep|>updated/{path}        the model writes the window updated, then <|file_sep|>

  The window is 21 lines, 10 above the cursor's line and 10 below (the fixed window Sweep
  trained on; Zed's ``WINDOW_LINES_ABOVE``/``BELOW``). Sweep chose original:/updated: blocks
  over unified diffs (its blog: they scored better). Each block ends with a line break.
* **Any other model** (``nextEdit.model = "completion"``): a rewrite prompt, as the rewrite
  action asks an instruct model: the last edits as unified diffs, the window (7 lines), and the
  request to write it again with the edit that follows; an instruct model gets it through its
  chat template, a base model as a document whose next fenced block is the answer. (Zed's Zeta
  and llama.vscode write the same parts with their own markers:
  ``<|editable_region_start|>``/``<|user_cursor_is_here|>`` and an "User edited" diff list.)

The answer is the window rewritten. It is diffed against the window, and the first changed
span is the proposal, kept only when it changes something, is not the user's last edit undone
(the last edit's old text back at its place), does not drop the window's last lines (a rewrite
cut short), and leaves the document with no more syntax errors than it has; an answer to the
rewrite prompt must also carry the last edit on (write a word it brought in, or take out a word
it took out), as small general models otherwise rewrite lines freely.

The pure parts (prompts, answer, filters) take plain data; ``propose`` runs the model on the
inference thread (``engine.generate``: greedy, bounded in tokens and time, prompt lookup on,
since the answer copies most of the window).
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import attrs

from ..completion.postprocess import error_count
from ..engine.base import Cancel, GenerationRequest
from ..languages import new_parser, rules_for
from .edits import Edit, Proposal, common_prefix, common_suffix

if TYPE_CHECKING:
    from ..engine.base import Engine, Generation

SWEEP = "sweep"
SWEEP_ABOVE = SWEEP_BELOW = 10  # Sweep's 21-line window
REWRITE_ABOVE = REWRITE_BELOW = 3  # the completion model's window: small models, short answers
MAX_CHANGES = 3  # recent changes shown (Zed's MAX_RECENT_CHANGE_BLOCKS)
MAX_CHANGE_LINES = 40  # lines of one side of a change (Zed's MAX_RECENT_CHANGE_LINES)
FILE_SEP = "<|file_sep|>"  # the default when a format names none
PROMPT_BUDGET_S = 6.0  # evaluating the prompt
DECODE_BUDGET_S = 8.0  # decoding the answer, from its first token
DRAFT_TOKENS = 10  # prompt lookup: the answer repeats the window


Parts = tuple[tuple[str, bool], ...]


@attrs.frozen
class Change:
    """One recent change as Sweep shows it: the whole lines it touched, before and after."""

    path: str
    original: str
    updated: str


@attrs.frozen
class Window:
    """The lines ``[start, end)`` (code points) of the document around the cursor, and the same
    lines before the last change (``original``; the window itself when that change is not
    inside it)."""

    start: int
    end: int
    text: str
    original: str


@attrs.frozen
class Prompt:
    """A rendered next-edit prompt: its parts (text, is a special marker), the window it asks
    to rewrite, and how the answer is read."""

    parts: Parts
    window: Window
    kind: str  # "sweep", "chat" or "plain"
    stop: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.parts)


# --- the document's history -------------------------------------------------------------------


def undo(text: str, edit: Edit) -> str | None:
    """The text before ``edit``, from ``text`` after it; None when ``text`` is not what the
    edit left (the history is not this text's)."""
    if text[edit.start:edit.end] != edit.new:
        return None
    return text[:edit.start] + edit.old + text[edit.end:]


def snapshots(text: str, edits: Sequence[Edit]) -> list[tuple[str, Edit, str]]:
    """(text before, edit, text after) for the last ``edits`` of one document (oldest first),
    from its current ``text``, going back as far as the edits undo cleanly."""
    out: list[tuple[str, Edit, str]] = []
    after = text
    for edit in reversed(edits):
        before = undo(after, edit)
        if before is None:
            break
        out.append((before, edit, after))
        after = before
    out.reverse()
    return out


def line_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The whole lines of ``text`` that ``[start, end)`` touches: from the start of the first
    line to the end of the last (its line break included)."""
    a = text.rfind("\n", 0, start) + 1
    nl = text.find("\n", max(end - 1, start) if end > start else start)
    b = len(text) if nl < 0 else nl + 1
    return a, b


def _clip(lines: str) -> str:
    rows = lines.split("\n")
    if len(rows) <= MAX_CHANGE_LINES:
        return lines
    head = MAX_CHANGE_LINES // 2
    tail = MAX_CHANGE_LINES - head - 1
    return "\n".join([*rows[:head], "...", *rows[-tail:]])


def change_of(before: str, edit: Edit, path: str) -> Change:
    """The whole lines ``edit`` touched in ``before``, and the same lines after it."""
    a, b = line_span(before, edit.start, edit.start + len(edit.old))
    after_b = b - len(edit.old) + len(edit.new)
    after = edit.applied(before)
    return Change(path, _clip(before[a:b].rstrip("\n")), _clip(after[a:after_b].rstrip("\n")))


def window_at(text: str, offset: int, above: int, below: int,
              last: tuple[str, Edit] | None = None) -> Window:
    """The lines from ``above`` lines above the cursor's line to ``below`` lines under it, and
    what they were before ``last`` (the text before the last change, and that change) when
    the change lies inside them."""
    line_start = text.rfind("\n", 0, offset) + 1
    start = line_start
    for _ in range(above):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    end = line_start
    for _ in range(below + 1):
        nl = text.find("\n", end)
        if nl < 0:
            end = len(text)
            break
        end = nl + 1
    current = text[start:end]
    original = current
    if last is not None:
        before, edit = last
        if start <= edit.start and edit.end <= end:
            original = current[:edit.start - start] + edit.old + current[edit.end - start:]
    return Window(start, end, current, original)


def prompt_path(uri: str) -> str:
    """The file's name as the prompt shows it: the last two parts of the uri's path."""
    path = unquote(urlparse(uri).path) or uri
    return "/".join(p for p in path.split("/")[-2:] if p) or "untitled"


# --- prompts ------------------------------------------------------------------------------------


def _block(parts: list[tuple[str, bool]], sep: str, header: str, body: str) -> None:
    parts.append((sep, True))
    parts.append((f"{header}\n{body}" + ("" if body.endswith("\n") else "\n"), False))


def sweep_parts(path: str, changes: Sequence[Change], window: Window,
                sep: str = FILE_SEP) -> Parts:
    """Sweep's next-edit prompt (see the module's docstring), as parts."""
    parts: list[tuple[str, bool]] = []
    for change in changes[-MAX_CHANGES:]:
        body = f"original:\n{change.original}"
        body += ("" if body.endswith("\n") else "\n") + f"updated:\n{change.updated}"
        _block(parts, sep, f"{change.path}.diff", body)
    _block(parts, sep, f"original/{path}", window.original)
    _block(parts, sep, f"current/{path}", window.text)
    parts.append((sep, True))
    parts.append((f"updated/{path}\n", False))
    return tuple(parts)


def unified_hunk(before: str, edit: Edit, path: str, context: int = 2) -> str:
    """``edit`` of ``before`` as a unified diff of one hunk, with ``context`` lines around."""
    a, b = line_span(before, edit.start, edit.start + len(edit.old))
    after = edit.applied(before)
    b2 = b - len(edit.old) + len(edit.new)
    old = before[a:b].rstrip("\n").split("\n")
    new = after[a:b2].rstrip("\n").split("\n")
    head_lines = before[:a].split("\n")[:-1]
    tail_lines = before[b:].split("\n")
    if tail_lines and tail_lines[-1] == "":
        tail_lines.pop()
    head = head_lines[len(head_lines) - context:] if context and head_lines else []
    tail = tail_lines[:context]
    first = len(head_lines) - len(head) + 1
    out = [f"--- a/{path}", f"+++ b/{path}",
           f"@@ -{first},{len(head) + len(old) + len(tail)} "
           f"+{first},{len(head) + len(new) + len(tail)} @@"]
    out += [f" {ln}" for ln in head] + [f"-{ln}" for ln in old] + [f"+{ln}" for ln in new]
    out += [f" {ln}" for ln in tail]
    return "\n".join(out)


def rewrite_question(language_id: str, diffs: Sequence[str], window: Window) -> str:
    """The rewrite request an instruct model gets: the last edits, the window, what to do."""
    rules = rules_for(language_id)
    lang = rules.name if rules is not None else language_id
    fence = rules.markdown_fence if rules is not None else language_id
    code = window.text.rstrip("\n")
    edits = "\n".join(diffs)
    return (f"My last edits to this {lang} file, as unified diffs:\n\n```diff\n{edits}\n```\n\n"
            f"The code around my cursor now:\n\n```{fence}\n{code}\n```\n\n"
            "Write this code again with the next edit my edits call for (the other uses of a "
            "name I renamed, the calls of a function whose parameters I changed), and nothing "
            f"else changed. Answer with only the code, in one ```{fence} block.")


def plain_parts(language_id: str, diffs: Sequence[str], window: Window) -> Parts:
    """The rewrite request as a document a base model continues: its next fenced block is the
    window with the next edit made."""
    rules = rules_for(language_id)
    fence = rules.markdown_fence if rules is not None else language_id
    code = window.text.rstrip("\n")
    edits = "\n".join(diffs)
    text = (f"The last edits, as unified diffs:\n\n```diff\n{edits}\n```\n\n"
            f"The code after them:\n\n```{fence}\n{code}\n```\n\n"
            "The same code with the next edit those edits call for:\n\n"
            f"```{fence}\n")
    return ((text, False),)


# --- the answer -------------------------------------------------------------------------------


def cut(answer: str, stop: Sequence[str]) -> str:
    """``answer`` up to its first stop string."""
    end = len(answer)
    for s in stop:
        i = answer.find(s)
        if s and 0 <= i < end:
            end = i
    return answer[:end]


def fenced_code(answer: str) -> str:
    """The code of a fenced answer: inside its first fence when it opens one, else up to the
    first closing fence (the prompt opened it)."""
    head, sep, rest = answer.partition("```")
    if sep and not head.strip():  # it opened a fence of its own: skip the info line
        nl = rest.find("\n")
        rest = rest[nl + 1:] if nl >= 0 else ""
        return rest.split("```", 1)[0]
    return head


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def first_change(original: str, rewritten: str) -> tuple[int, int, str] | None:
    """The first span of ``original`` that ``rewritten`` changes: (start, end, new text),
    offsets in ``original``; None when they are the same. Lines are compared first, then the
    changed lines are narrowed to the characters that differ, widened to whole words."""
    if original.endswith("\n") and not rewritten.endswith("\n"):
        rewritten += "\n"
    if rewritten == original:
        return None
    old_lines = original.splitlines(keepends=True)
    new_lines = rewritten.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = sum(len(ln) for ln in old_lines[:i1])
        old = "".join(old_lines[i1:i2])
        new = "".join(new_lines[j1:j2])
        a = common_prefix(old, new)
        b = common_suffix(old, new, min(len(old), len(new)) - a)
        # Whole words: "GET" -> "POST", not "GE" -> "POS".
        while a > 0 and _word(old[a - 1]) and (_word(old[a:a + 1]) or _word(new[a:a + 1])):
            a -= 1
        while b > 0 and _word(old[len(old) - b]) and (
                _word(old[len(old) - b - 1:len(old) - b]) or
                _word(new[len(new) - b - 1:len(new) - b])):
            b -= 1
        return start + a, start + len(old) - b, new[a:len(new) - b]
    return None


def drops_tail(original: str, rewritten: str) -> bool:
    """Whether ``rewritten`` is the window's first lines only (the model stopped early): its
    first change would delete the window's last lines."""
    if original.endswith("\n") and not rewritten.endswith("\n"):
        rewritten += "\n"
    return len(rewritten) < len(original) and original.startswith(rewritten)


def is_reversal(text: str, start: int, end: int, new: str, last: Edit | None) -> bool:
    """Whether replacing ``text[start:end]`` by ``new`` undoes the user's ``last`` edit: the
    text before it comes back, or its old text is back at its place."""
    if last is None or text[last.start:last.end] != last.new:
        return False
    after = text[:start] + new + text[end:]
    if after == text[:last.start] + last.old + text[last.end:]:
        return True
    touches = start <= last.end and end >= last.start
    restored = after[last.start:last.start + len(last.old)] == last.old
    return bool(last.old) and touches and restored and last.old != last.new


_WORD = re.compile(r"\w+")


def follows(old: str, new: str, last: Edit | None) -> bool:
    """Whether replacing ``old`` by ``new`` carries the user's ``last`` edit on: when it brought
    words in, the change writes one of them; when it only took words out, the change takes one
    of them out. (Asked of the rewrite prompt's answers only: a small general model rewrites
    freely, while Sweep's model was trained to follow edits.)"""
    if last is None:
        return True
    before, after = set(_WORD.findall(last.old)), set(_WORD.findall(last.new))
    brought, removed = after - before, before - after
    if brought:
        return bool(brought & set(_WORD.findall(new)))
    if removed:
        return bool(removed & (set(_WORD.findall(old)) - set(_WORD.findall(new))))
    return True


def parses(text: str, start: int, end: int, new: str, language_id: str,
           baseline: int | None = None) -> bool:
    """Whether the document with the edit made has no more syntax errors than it has now
    (``baseline``, counted when not given). A language with no grammar cannot be checked: no."""
    parser = new_parser(language_id)
    if parser is None:
        return False
    if baseline is None:
        baseline = error_count(parser, text)
    return error_count(parser, text[:start] + new + text[end:]) <= baseline


def label_of(old: str, new: str) -> str:
    """What the user reads: "Change `a` to `b`", "Insert `b`", "Delete `a`" or "Edit code"."""
    def short(s: str) -> str | None:
        s = s.strip()
        return s if s and "\n" not in s and len(s) <= 40 else None

    o, n = short(old), short(new)
    if o and n:
        return f"Change `{o}` to `{n}`"
    if n and not old.strip():
        return f"Insert `{n}`"
    if o and not new.strip():
        return f"Delete `{o}`"
    return "Edit code"


def judged(uri: str, version: int, text: str, language_id: str, window: Window,
           rewritten: str, last: Edit | None, *, free: bool = False
           ) -> tuple[Proposal | None, str]:
    """The proposal the rewritten window makes, or None and why the filters drop it. A
    ``free`` rewrite (the rewrite prompt's) must also carry the last edit on (``follows``)."""
    if drops_tail(window.text, rewritten):
        return None, "the rewrite stops short of the window"
    change = first_change(window.text, rewritten)
    if change is None:
        return None, "the rewrite changes nothing"
    a, b, new = change
    start, end = window.start + a, window.start + b
    if text[start:end] == new:
        return None, "the rewrite changes nothing"
    if is_reversal(text, start, end, new, last):
        return None, "it undoes the last edit"
    if free and not follows(text[start:end], new, last):
        return None, "it does not carry the last edit on"
    if not parses(text, start, end, new, language_id):
        return None, "it does not parse"
    return Proposal(uri, version, start, end, new, label_of(text[start:end], new),
                    "model", "model"), ""


def proposal_from(uri: str, version: int, text: str, language_id: str, window: Window,
                  rewritten: str, last: Edit | None) -> Proposal | None:
    """The proposal the rewritten window makes, or None when the filters drop it."""
    return judged(uri, version, text, language_id, window, rewritten, last)[0]


# --- running the model ------------------------------------------------------------------------


def is_sweep(engine: Engine) -> bool:
    return getattr(engine.fmt, "next_edit", "") == SWEEP


def build_prompt(engine: Engine, uri: str, language_id: str, text: str,
                 edits: Sequence[Edit], offset: int) -> Prompt:
    """The prompt this engine gets for a next edit at ``offset`` of ``text`` (document ``uri``)
    after ``edits`` (the workspace's, oldest first; those of other documents are left out)."""
    path = prompt_path(uri)
    mine = [e for e in edits if e.uri == uri]
    history = snapshots(text, mine)
    last = (history[-1][0], history[-1][1]) if history else None
    stop = tuple(engine.fmt.stop)
    if is_sweep(engine):
        window = window_at(text, offset, SWEEP_ABOVE, SWEEP_BELOW, last)
        changes = [change_of(before, e, path) for before, e, _ in history]
        sep = engine.fmt.file_sep or FILE_SEP
        return Prompt(sweep_parts(path, changes, window, sep), window, SWEEP,
                      tuple(dict.fromkeys((*stop, sep))))
    window = window_at(text, offset, REWRITE_ABOVE, REWRITE_BELOW, last)
    diffs = [unified_hunk(before, e, path) for before, e, _ in history[-MAX_CHANGES:]]
    if engine.chat_template():
        parts = engine.chat_parts([{"role": "user",
                                    "content": rewrite_question(language_id, diffs, window)}])
        return Prompt(parts, window, "chat", stop)
    return Prompt(plain_parts(language_id, diffs, window), window, "plain",
                  tuple(dict.fromkeys((*stop, "```"))))


def request_of(engine: Engine, prompt: Prompt, *, keep_cache: bool,
               prompt_budget_s: float = PROMPT_BUDGET_S,
               decode_budget_s: float = DECODE_BUDGET_S) -> GenerationRequest:
    """Greedy, bounded: about the window's tokens again, and some for the edit."""
    window_tokens = engine.count_tokens(prompt.window.text) if prompt.window.text else 0
    fences = 2 if prompt.kind == "chat" else 0
    return GenerationRequest(
        prompt=prompt.text, parts=prompt.parts, max_tokens=window_tokens + 48 + 8 * fences,
        stop=prompt.stop, deadline=time.monotonic() + prompt_budget_s,
        decode_budget_s=decode_budget_s, temperature=0.0, logprobs=False,
        keep_cache=keep_cache, draft_tokens=DRAFT_TOKENS,
        should_stop=(lambda t: t.count("```") >= 2) if fences else None)


def answer_of(prompt: Prompt, gen: Generation) -> str | None:
    """The rewritten window in a generation, or None when the model did not finish it (cut by
    the token cap, the time budget or a cancel)."""
    if gen.stop_reason not in ("stop",):
        if not (prompt.kind == "chat" and gen.text.count("```") >= 2):
            return None
    text = cut(gen.text, prompt.stop)
    if prompt.kind == SWEEP:
        return text
    code = fenced_code(text)
    # The window was shown without its last line break, and its lines as they are.
    return code.rstrip("\n") + "\n" if prompt.window.text.endswith("\n") else code.rstrip("\n")


@attrs.define
class Attempt:
    """One model next edit: the proposal (or None) and what it cost."""

    proposal: Proposal | None
    prompt_tokens: int = 0
    decoded_tokens: int = 0
    prompt_ms: float = 0.0
    decode_ms: float = 0.0
    answer: str | None = None
    dropped: str = ""  # why the filters dropped the answer's change


def propose(engine: Engine, uri: str, version: int, language_id: str, text: str,
            edits: Sequence[Edit], offset: int, cancel: Cancel | None = None, *,
            keep_cache: bool = True, prompt_budget_s: float = PROMPT_BUDGET_S,
            decode_budget_s: float = DECODE_BUDGET_S) -> Attempt:
    """The model's next edit at ``offset`` after ``edits`` (run on the inference thread)."""
    if not any(e.uri == uri for e in edits) or new_parser(language_id) is None:
        return Attempt(None)  # nothing of this document to follow, or nothing to check with
    prompt = build_prompt(engine, uri, language_id, text, edits, offset)
    request = request_of(engine, prompt, keep_cache=keep_cache,
                         prompt_budget_s=prompt_budget_s, decode_budget_s=decode_budget_s)
    gen = engine.generate(request, cancel or Cancel())
    attempt = Attempt(None, gen.prompt_tokens, gen.tokens, gen.prompt_ms, gen.decode_ms)
    answer = answer_of(prompt, gen)
    attempt.answer = answer
    if answer is None:
        return attempt
    mine = [e for e in edits if e.uri == uri]
    attempt.proposal, attempt.dropped = judged(uri, version, text, language_id, prompt.window,
                                               answer, mine[-1] if mine else None,
                                               free=prompt.kind != SWEEP)
    return attempt
