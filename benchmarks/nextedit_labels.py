"""The next-edit benchmark's labels and scores: plain text only.

Nothing here reads the server's code or a syntax tree: the labels come from a word-level token
diff of each hunk of a real commit, so that the benchmark cannot agree with the server merely
because both share a parser or a rule.

A *sequence* is one file of one commit: the file before the commit and its ``git diff -U0``
hunks, made one after the other as a user would (``user_order``: the hunks that change a
definition's parameter list first, then the others, each group top to bottom; git does not
record the order, and one changes a definition before its calls). Each hunk is applied to the
text the hunks before it produced; its lines are ``old_start``/``old_count`` of the file before
the commit (``old_count == 0``: inserted after line ``old_start``), shifted by the line counts
the hunks above it already made changed.

Labels of a hunk ``j`` (what the edit before it implies):

- **rename** follow-up: every token the hunk changes is an identifier replaced by another
  identifier, one for one (``old -> new``), and every such pair was also made by an earlier hunk
  of the sequence (which may have changed more than that: a definition, say);
- **signature** follow-up: the hunk changes the argument list of a call to a function whose
  definition's parameter list an earlier hunk changed (the definition found with a regular
  expression per language, the lists by matching brackets);

and of the edit just made (hunk ``i``, what follows it):

- **last**: ``i`` is the last hunk of a commit that changed only this source file (documents,
  changelogs and other non-source files do not count): no edit of the commit follows it;
- **implies nothing**: ``i`` is not the last hunk, makes no identifier-for-identifier
  replacement and changes no definition's parameter list, and no later hunk of the sequence is a
  rename or signature follow-up (so nothing the labeler knows of is pending).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

TOKEN = re.compile(r"[A-Za-z_$][\w$]*|\d[\w.]*|\S")
IDENT = re.compile(r"[A-Za-z_$][\w$]*\Z")

KEYWORDS = {
    "python": set("""False None True and as assert async await break class continue def del elif
        else except finally for from global if import in is lambda nonlocal not or pass raise
        return try while with yield self cls""".split()),
    "javascript": set("""break case catch class const continue debugger default delete do else
        export extends finally for function if import in instanceof let new return super switch
        this throw try typeof var void while with yield async await of static get set null
        undefined true false""".split()),
    "go": set("""break case chan const continue default defer else fallthrough for func go goto
        if import interface map package range return select struct switch type var nil true
        false""".split()),
}
KEYWORDS["typescript"] = KEYWORDS["javascript"] | set(
    "interface type enum implements private public protected readonly declare namespace "
    "abstract as any string number boolean unknown never".split())

_DEF = {
    "python": [re.compile(r"\bdef\s+([A-Za-z_]\w*)\s*\(")],
    "javascript": [
        re.compile(r"\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*(?:<[^>()]*>)?\s*\("),
        re.compile(r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*(?:async\s*)?\("),
        re.compile(r"^[ \t]*(?:(?:async|static|public|private|protected|readonly|override)\s+)*"
                   r"\*?([A-Za-z_$][\w$]*)\s*(?:<[^>()]*>)?\s*\((?=[^;]*\)\s*(?::[^;{]*)?\{)",
                   re.M),
    ],
    "go": [re.compile(r"\bfunc\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\(")],
}
_DEF["typescript"] = _DEF["javascript"]
_NOT_DEF_NAMES = {"if", "for", "while", "switch", "catch", "return", "function", "with"}
_DEF_WORDS = re.compile(r"(?:\bdef|\bfunction|\bfunc|\bnew)\s*\*?\s*$")


@dataclass(frozen=True)
class Hunk:
    old_start: int  # 1-based line of the file before the commit (as in ``@@ -a,b``)
    old_count: int
    new_start: int
    new_count: int
    old: str  # the lines removed, with their newlines
    new: str  # the lines added, with their newlines

    def to_json(self) -> dict:
        return {"old_start": self.old_start, "old_count": self.old_count,
                "new_start": self.new_start, "new_count": self.new_count,
                "old": self.old, "new": self.new}

    @classmethod
    def from_json(cls, d: dict) -> Hunk:
        return cls(d["old_start"], d["old_count"], d["new_start"], d["new_count"], d["old"],
                   d["new"])


@dataclass(frozen=True)
class Change:
    """A hunk as a character change of the current text: ``[start, start + len(old))`` becomes
    ``new``. ``line_start``/``line_end`` are the character bounds of the hunk's whole lines in
    the current text (its *region*)."""

    start: int
    old: str
    new: str
    line_start: int
    line_end: int

    @property
    def end(self) -> int:
        return self.start + len(self.old)

    def applied(self, text: str) -> str:
        return text[:self.start] + self.new + text[self.end:]


# -- diffs ---------------------------------------------------------------------------------------

_HUNK_HEAD = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_diff(diff: str) -> dict[str, list[Hunk]]:
    """The hunks of a ``git diff -U0`` per file (the new path), in order. A file whose diff has
    "\\ No newline at end of file" is left out (its last line's newline cannot be replayed)."""
    out: dict[str, list[Hunk]] = {}
    bad: set[str] = set()
    path = None
    cur: list | None = None
    old: list[str] = []
    new: list[str] = []

    def close():
        if cur is not None and path is not None:
            out.setdefault(path, []).append(Hunk(cur[0], cur[1], cur[2], cur[3], "".join(old),
                                                 "".join(new)))

    for line in diff.splitlines(keepends=True):
        if line.startswith("diff --git "):
            close()
            cur, path = None, None
        elif line.startswith("+++ "):
            name = line[4:].rstrip("\n")
            path = name[2:] if name.startswith("b/") else None
        elif line.startswith("@@"):
            close()
            m = _HUNK_HEAD.match(line)
            cur = [int(m[1]), 1 if m[2] is None else int(m[2]), int(m[3]),
                   1 if m[4] is None else int(m[4])]
            old, new = [], []
        elif cur is not None and line.startswith("-"):
            old.append(line[1:])
        elif cur is not None and line.startswith("+"):
            new.append(line[1:])
        elif line.startswith("\\"):
            if path:
                bad.add(path)
    close()
    return {p: h for p, h in out.items() if p not in bad}


def apply_hunks(before: str, hunks: Sequence[Hunk], order: Sequence[int] | None = None
                ) -> list[tuple[str, Change]]:
    """Each hunk as a ``Change`` of the text the earlier ones produced, with that text:
    ``[(text_before_step_i, change_i), ...]``, the hunks taken in ``order`` (indexes; by default
    top to bottom). Raises ValueError when a hunk's old lines are not where the diff says."""
    lines = before.splitlines(keepends=True)
    done: list[int] = []
    out = []
    for k in (range(len(hunks)) if order is None else order):
        h = hunks[k]
        delta = sum(hunks[j].new_count - hunks[j].old_count for j in done if j < k)
        idx = (h.old_start - 1 if h.old_count else h.old_start) + delta
        old_lines = h.old.splitlines(keepends=True)
        if lines[idx:idx + h.old_count] != old_lines:
            raise ValueError(f"hunk at line {h.old_start} does not match")
        text = "".join(lines)
        line_start = sum(len(x) for x in lines[:idx])
        line_end = line_start + len(h.old)
        a, b = _trim(h.old, h.new)
        change = Change(line_start + a, h.old[a:len(h.old) - b], h.new[a:len(h.new) - b],
                        line_start, line_end)
        out.append((text, change))
        lines[idx:idx + h.old_count] = h.new.splitlines(keepends=True)
        done.append(k)
    return out


def user_order(before: str, hunks: Sequence[Hunk], language: str) -> list[int]:
    """The order a user would make the hunks in: those that change a definition's parameter
    list first (one goes to the calls after changing the definition), then the others, each
    group top to bottom."""
    masked = mask(before, language)
    defs = [k for k, (text, change) in enumerate(_alone(before, hunks))
            if signature_changes(masked, mask(change.applied(text), language), change,
                                 language)]
    return defs + [k for k in range(len(hunks)) if k not in defs]


def _alone(before: str, hunks: Sequence[Hunk]) -> list[tuple[str, Change]]:
    """Each hunk as a change of the file before the commit, on its own."""
    return [apply_hunks(before, [h])[0] for h in hunks]


def _trim(a: str, b: str) -> tuple[int, int]:
    """Lengths of the common prefix and (then) the common suffix of two strings."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    return p, s


# -- strings and comments -----------------------------------------------------------------------

_STR = r'"(?:\\.|[^"\\\n])*"?|' + r"'(?:\\.|[^'\\\n])*'?"
_LITERALS = {
    "python": re.compile(r'"""[\s\S]*?(?:"""|\Z)|' + r"'''[\s\S]*?(?:'''|\Z)|#[^\n]*|" + _STR),
    "javascript": re.compile(r"/\*[\s\S]*?(?:\*/|\Z)|//[^\n]*|`(?:\\[\s\S]|[^`\\])*`?|" + _STR),
    "go": re.compile(r"/\*[\s\S]*?(?:\*/|\Z)|//[^\n]*|`[^`]*`?|" + _STR),
}
_LITERALS["typescript"] = _LITERALS["javascript"]
_NOT_NEWLINE = re.compile(r"[^\n]")


def mask(text: str, language: str) -> str:
    """``text`` with comments and string literals blanked after their first character (every
    character but a newline becomes a space), so that offsets stay and a word in a docstring, a
    message or a comment is not an identifier. Regular expressions, no parser (a JavaScript
    regular expression literal is not recognized)."""
    rx = _LITERALS.get(language)
    if rx is None:
        return text
    return rx.sub(lambda m: m[0][0] + _NOT_NEWLINE.sub(" ", m[0][1:]), text)


# -- tokens --------------------------------------------------------------------------------------

def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _opcodes(a: list[str], b: list[str]):
    return [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
            if op[0] != "equal"]


def rename_pairs(old: str, new: str, language: str) -> tuple[set[tuple[str, str]], bool]:
    """The identifier-for-identifier replacements of a token diff of ``old`` and ``new``, and
    whether they are all the diff changes (a *pure* rename)."""
    kw = KEYWORDS.get(language, set())
    pairs: set[tuple[str, str]] = set()
    pure = True
    told, tnew = tokens(old), tokens(new)
    for tag, i1, i2, j1, j2 in _opcodes(told, tnew):
        ta, tb = told[i1:i2], tnew[j1:j2]
        if tag != "replace" or len(ta) != len(tb):
            pure = False
            continue
        for x, y in zip(ta, tb, strict=True):
            if IDENT.match(x) and IDENT.match(y) and x not in kw and y not in kw:
                pairs.add((x, y))
            else:
                pure = False
    return pairs, pure and bool(pairs)


def _bracket_span(text: str, open_at: int) -> int:
    """The index just after the bracket matching ``text[open_at]`` ('('), or -1."""
    depth = 0
    for k in range(open_at, min(len(text), open_at + 4000)):
        c = text[k]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return k + 1
    return -1


def _norm(s: str) -> str:
    s = re.sub(r"\s+", "", s)
    return re.sub(r",\)$", ")", s)


def definitions(text: str, lo: int, hi: int, language: str) -> dict[str, str]:
    """Function definitions starting in ``text[lo:hi]``: name -> parameter list (normalized)."""
    out: dict[str, str] = {}
    for rx in _DEF.get(language, ()):
        for m in rx.finditer(text, lo, hi):
            name = m[1]
            if name in _NOT_DEF_NAMES:
                continue
            end = _bracket_span(text, m.end() - 1)
            if end > 0:
                out.setdefault(name, _norm(text[m.end() - 1:end]))
    return out


def calls(text: str, lo: int, hi: int, name: str) -> list[str]:
    """The argument lists (normalized) of calls of ``name`` starting in ``text[lo:hi]`` (not
    its definitions)."""
    out = []
    for m in re.finditer(r"(?<![\w$])" + re.escape(name) + r"\s*\(", text[:hi]):
        if m.start() < lo:
            continue
        head = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
        if _DEF_WORDS.search(head.rstrip(".")) or re.search(r"\bdef\s*$|\bfunc\s*$", head):
            continue
        end = _bracket_span(text, m.end() - 1)
        if end > 0:
            out.append(_norm(text[m.end() - 1:end]))
    return out


def signature_changes(text: str, after: str, change: Change, language: str
                      ) -> dict[str, tuple[str, str]]:
    """Functions whose definition's parameter list the change (``text`` -> ``after``, both
    masked) alters: name -> (old, new)."""
    new_end = change.line_end + len(change.new) - len(change.old)
    old_defs = definitions(text, change.line_start, max(change.line_end, change.line_start + 1),
                           language)
    new_defs = definitions(after, change.line_start, max(new_end, change.line_start + 1),
                           language)
    return {n: (old_defs[n], new_defs[n]) for n in old_defs.keys() & new_defs.keys()
            if old_defs[n] != new_defs[n]}


def call_args_changed(text: str, after: str, change: Change, name: str) -> bool:
    """Whether the change (``text`` -> ``after``, both masked) alters the argument list of a
    call of ``name`` in its lines."""
    new_end = change.line_end + len(change.new) - len(change.old)
    before_calls = calls(text, change.line_start, change.line_end, name)
    after_calls = calls(after, change.line_start, new_end, name)
    return bool(before_calls) and bool(after_calls) and sorted(before_calls) != sorted(after_calls)


# -- labels ---------------------------------------------------------------------------------------

@dataclass
class HunkLabel:
    follows: str | None = None  # "rename" or "signature": this hunk follows from an earlier one
    source: int | None = None  # the earliest hunk that implies it
    pairs: list[tuple[str, str]] = field(default_factory=list)  # rename: the pairs it makes
    function: str = ""  # signature: the function whose calls change
    made_pairs: list[tuple[str, str]] = field(default_factory=list)  # what this hunk renames
    changed_signatures: list[str] = field(default_factory=list)  # definitions it changes
    after: str | None = None  # "last" or "implies-nothing": nothing follows this hunk

    def to_json(self) -> dict:
        return {"follows": self.follows, "source": self.source,
                "pairs": [list(p) for p in self.pairs], "function": self.function,
                "made_pairs": [list(p) for p in self.made_pairs],
                "changed_signatures": self.changed_signatures, "after": self.after}


def label(before: str, hunks: Sequence[Hunk], language: str, single_file: bool,
          order: Sequence[int] | None = None) -> list[HunkLabel]:
    """The labels of a sequence's steps: ``labels[i]`` is the label of the ``i``-th hunk made
    (``hunks[order[i]]``), ``source`` a step index (see the module's docstring)."""
    order = list(range(len(hunks))) if order is None else list(order)
    steps = apply_hunks(before, hunks, order)
    labels = [HunkLabel() for _ in hunks]
    made: dict[tuple[str, str], int] = {}
    sigs: dict[str, int] = {}
    for j, (text, change) in enumerate(steps):
        lab = labels[j]
        masked_old = mask(text, language)
        masked_new = mask(change.applied(text), language)
        new_end = change.line_end + len(change.new) - len(change.old)
        pairs, pure = rename_pairs(masked_old[change.line_start:change.line_end],
                                   masked_new[change.line_start:new_end], language)
        changed = signature_changes(masked_old, masked_new, change, language)
        if pure and all(p in made for p in pairs):
            lab.follows, lab.source = "rename", min(made[p] for p in pairs)
            lab.pairs = sorted(pairs)
        else:
            for name, k in sorted(sigs.items(), key=lambda kv: kv[1]):
                if name not in changed and call_args_changed(masked_old, masked_new, change, name):
                    lab.follows, lab.source, lab.function = "signature", k, name
                    break
        lab.made_pairs = sorted(pairs)
        lab.changed_signatures = sorted(changed)
        for p in pairs:
            made.setdefault(p, j)
        for name in changed:
            sigs.setdefault(name, j)
    n = len(hunks)
    for i, lab in enumerate(labels):
        if i == n - 1:
            if single_file:
                lab.after = "last"
        elif (not lab.made_pairs and not lab.changed_signatures
              and not any(labels[k].follows for k in range(i + 1, n))):
            lab.after = "implies-nothing"
    return labels


# -- scores ---------------------------------------------------------------------------------------

def offset_of(text: str, line: int, character: int) -> int:
    """A code-point offset from an LSP position whose character is in UTF-16 units."""
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    if line >= len(starts):
        return len(text)
    base = starts[line]
    end = text.find("\n", base)
    end = len(text) if end < 0 else end
    units = 0
    k = base
    while k < end and units < character:
        units += 2 if ord(text[k]) > 0xFFFF else 1
        k += 1
    return k


def position_of(text: str, offset: int) -> tuple[int, int]:
    """The LSP position (line, UTF-16 character) of a code-point offset."""
    line = text.count("\n", 0, offset)
    head = text[text.rfind("\n", 0, offset) + 1:offset]
    return line, len(head.encode("utf-16-le")) // 2


def in_region(start: int, end: int, change: Change) -> bool:
    """Whether ``[start, end)`` lies within the change's lines (its region in the current
    text). An insertion between lines has an empty region: a proposal at that point is in it."""
    return change.line_start <= start and end <= max(change.line_end, change.line_start)


def _token_edits(a: str, b: str) -> set[tuple[int, int, tuple[str, ...]]]:
    ta, tb = tokens(a), tokens(b)
    return {(i1, i2, tuple(tb[j1:j2])) for _, i1, i2, j1, j2 in _opcodes(ta, tb)}


def text_right(text: str, start: int, end: int, new_text: str, change: Change) -> bool:
    """Whether applying the proposal ``[start, end) -> new_text`` to ``text`` makes the change,
    or a part of it: its token edits of the change's lines are among the change's own."""
    if not in_region(start, end, change):
        return False
    proposed = text[:start] + new_text + text[end:]
    if proposed == change.applied(text):
        return True
    lo, hi = change.line_start, change.line_end
    region = text[lo:hi]
    target = change.applied(text)[lo:hi + len(change.new) - len(change.old)]
    got = proposed[lo:hi + len(new_text) - (end - start)]
    mine = _token_edits(region, got)
    return bool(mine) and mine <= _token_edits(region, target)


def reverses(text: str, start: int, end: int, new_text: str, before: str, change: Change
             ) -> bool:
    """Whether a proposal on ``text`` (the text right after ``change`` was made to ``before``)
    undoes it, wholly or in part: it touches what the change wrote and brings the change's lines
    closer to what they were (fewer token edits from the old lines)."""
    if before == text[:start] + new_text + text[end:]:
        return True
    new_lo = change.start
    new_hi = change.start + len(change.new)
    if end < new_lo or start > new_hi:
        return False
    lo = change.line_start
    hi_now = change.line_end + len(change.new) - len(change.old)
    old_region = before[lo:change.line_end]
    now_region = text[lo:hi_now]
    proposed = text[:start] + new_text + text[end:]
    got_region = proposed[lo:hi_now + len(new_text) - (end - start)]
    return _distance(old_region, got_region) < _distance(old_region, now_region)


def _distance(a: str, b: str) -> int:
    ta, tb = tokens(a), tokens(b)
    return sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in _opcodes(ta, tb))


def share(hits: int, n: int) -> tuple[float, float]:
    """A share and its standard error (binomial, sqrt(p(1-p)/n)); NaN for n = 0."""
    if n == 0:
        return float("nan"), float("nan")
    p = hits / n
    return p, (p * (1 - p) / n) ** 0.5
