"""Post-processing filters: each small, pure, and tested on its own.

They run in order on the raw model text (see ``clean``): cut special tokens, keep one line or one
block, drop what repeats the suffix, close no bracket twice, match the file's indentation, trim
trailing whitespace, and refuse a completion that breaks a parse that held.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from ..languages import line_comment, new_parser
from ..syntax.diagnostics import outer_error_nodes

if TYPE_CHECKING:
    from tree_sitter import Parser, Tree

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def cut_markers(text: str, markers: Iterable[str]) -> str:
    """Cut at the first special-token text (a marker must never reach the buffer)."""
    cut = len(text)
    for m in markers:
        if m:
            i = text.find(m)
            if i >= 0:
                cut = min(cut, i)
    return text[:cut]


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _width(indent: str, tab: int = 4) -> int:
    return sum(tab if c == "\t" else 1 for c in indent)


def indent_width(line: str) -> int:
    """The width of ``line``'s indentation (a tab counts 4)."""
    return _width(indent_of(line))


def realign(text: str, line_prefix: str, unit: str = "    ") -> str:
    """After whitespace at the cursor, BPE models often start with one more space of their own
    (the space belongs to their next word token). Drop that extra leading whitespace from the
    first line. The lines after it are shifted by the same amount only when that puts them on
    the file's indentation grid (the model indented everything one space too far); lines
    already on the grid were written at their true indentation and stay."""
    if not text or text[0] not in " \t":
        return text
    if not line_prefix:
        # Column 0: a single stray space before code is the model's word-boundary space.
        return text[1:] if text[:2].strip() and len(text) > 1 and text[1] not in " \t" else text
    if line_prefix[-1] not in " \t":
        return text
    first, nl, rest = text.partition("\n")
    extra = indent_of(first)
    if not first.strip():
        return text
    lines = rest.split("\n") if nl else []
    base = indent_width(line_prefix)
    step = 4 if unit == "\t" else max(1, len(unit))
    inside = [ln for ln in lines if ln.strip() and indent_width(ln) >= base]
    shift = bool(inside) and all(
        ln.startswith(extra) and (indent_width(ln) - len(extra)) % step == 0
        for ln in inside
    ) and not all(indent_width(ln) % step == 0 for ln in inside)
    if not shift:
        return first[len(extra):] + nl + rest
    shifted = [ln[len(extra):] if ln.strip() and indent_width(ln) >= base else ln
               for ln in lines]
    return first[len(extra):] + nl + "\n".join(shifted)


def _same_line(a: str, b: str) -> bool:
    """Two lines that say the same: equal but for whitespace and a trailing ``;``/``,``, or,
    for long lines, a single character apart."""
    a, b = "".join(a.split()).rstrip(";,"), "".join(b.split()).rstrip(";,")
    if a == b:
        return True
    if min(len(a), len(b)) < 20 or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1:] == b[i + 1:] or a[i + 1:] == b[i:] or a[i:] == b[i + 1:]


def cut_repetition(text: str) -> str:
    """Stop a looping answer: at a line that repeats the one before it (identical or nearly:
    ``await self._close()`` twice), at the third occurrence of a line, or where a pair of lines
    repeats an earlier pair (small models fall into such loops)."""
    lines = text.split("\n")
    seen: dict[str, int] = {}
    pairs: set[tuple[str, str]] = set()
    prev = ""
    for i, line in enumerate(lines):
        key = line.strip()
        if len(key) < 4:
            if key:
                prev = key
            continue
        if prev and sum(ch.isalnum() for ch in key) >= 4 and _same_line(prev, key):
            return "\n".join(lines[:i]).rstrip()
        prev = key
        seen[key] = seen.get(key, 0) + 1
        if seen[key] >= 3:
            return "\n".join(lines[:i]).rstrip()
        if i > 0:
            pair = (lines[i - 1].strip(), key)
            if pair in pairs and len(pair[0]) >= 4:
                return "\n".join(lines[: i - 1]).rstrip()
            pairs.add(pair)
    return text


def cut_at_outer_closer(text: str, line_suffix: str) -> str:
    """Mid-line: the answer ends where it closes a bracket opened before the cursor, when the
    rest of the line closes it already (``f(a, |) && g)`` must not get ``x) && g)``)."""
    if "\n" in text or not line_suffix.strip():
        return text
    depth = 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            if depth == 0:
                return text[:i].rstrip() if ch in line_suffix else text
            depth -= 1
    return text


def first_line(text: str, line_suffix: str) -> str:
    """Line mode: up to the first newline. At the end of a line, a completion that starts with
    a newline proposes the next line instead."""
    if text.startswith("\n") and not line_suffix.strip():
        rest = text.lstrip("\n")
        nxt = rest.split("\n", 1)[0]
        return "\n" + nxt if nxt.strip() else ""
    return text.split("\n", 1)[0]


def cut_block(text: str, line_prefix: str, max_lines: int) -> str:
    """Block mode: stop where the code leaves the block the cursor is in.

    The block's indentation is that of the cursor's line (its first line); a later line that
    is indented less ends the completion, and so does a line that closes a bracket opened
    before the completion at the block's own level.
    """
    lines = text.split("\n")
    head = line_prefix + lines[0]
    if head.strip():
        base = indent_width(head)
    elif line_prefix:
        base = _width(line_prefix)  # an indented empty line: the block is at that level
    else:
        base = None
    kept = [lines[0]]
    depth = 0
    for ch in lines[0]:
        depth += (ch in _OPEN) - (ch in _CLOSE)
    for line in lines[1:]:
        if len(kept) >= max_lines:
            break
        stripped = line.strip()
        if not stripped:
            kept.append(line)
            continue
        width = indent_width(line)
        if base is None:
            base = width
        if width < base and not (depth > 0 and stripped[0] in _CLOSE):
            break
        for ch in stripped:
            depth += (ch in _OPEN) - (ch in _CLOSE)
        if depth < 0:
            break  # closes something opened before the completion: the suffix has it
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


# A line at the statement's level that goes on with it: a clause of the same statement, or a
# bracket that closes one the statement opened.
_CONTINUES = re.compile(r"^(else|elif|except|finally|catch|when)\b|^[)\]}]")
# Lines that are not a statement of their own: they belong to the statement after them.
_LEADS = ("#", "//", "/*", "*", "@")


def cut_one_statement(text: str, line_prefix: str) -> str:
    """Among a block's statements (code follows the cursor at its level): the first statement
    only, with its own body (deeper lines), its continuation lines and clauses (``else:``,
    ``} catch``) and the brackets it closes. Comments and decorators before it stay with it; a
    later line at the block's level starts the next statement, which is already there. After
    a header line whose block has code, the statement is the first of that block."""
    lines = text.split("\n")
    start = 0
    if line_prefix.strip() and not lines[0].strip():
        # After a header line: the statement starts on the next line with code, and the
        # block's level is that line's.
        start = next((i for i, line in enumerate(lines) if line.strip()), 0)
        base = indent_width(lines[start])
        if base <= indent_width(line_prefix):
            return ""  # not inside the header's block
    else:
        head = line_prefix + lines[0]
        base = indent_width(head) if head.strip() else _width(line_prefix)
    first = lines[start].strip()
    started = bool(first) and not first.startswith(_LEADS)
    depth = _depth(first)
    for i, line in enumerate(lines[start + 1:], start + 1):
        stripped = line.strip()
        if not stripped:
            continue
        at_base = indent_width(line) <= base
        if started and at_base and depth <= 0 and not _CONTINUES.match(stripped):
            return "\n".join(lines[:i]).rstrip()
        depth += _depth(stripped)
        started = started or not stripped.startswith(_LEADS)
    return text


# Statements after which the rest of their block never runs.
_ENDS_FLOW = re.compile(r"^(return|raise|throw|break|continue)\b")


def ends_flow(text: str) -> bool:
    """The statement ``text`` (comments and decorators before it skipped) is one after which
    the rest of its block never runs: written before code that is already there, it would
    make that code unreachable."""
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith(_LEADS):
            return _ENDS_FLOW.match(stripped) is not None
    return False


def cut_bad_dedent(text: str, line_prefix: str) -> str:
    """Python: stop at a line whose indentation matches no open level (``unindent does not
    match any outer indentation level``: tree-sitter forgives it, Python does not)."""
    lines = text.split("\n")
    head = line_prefix + lines[0]
    stack = [indent_width(head)] if head.strip() else [_width(line_prefix)]
    for i, line in enumerate(lines[1:], 1):
        if not line.strip():
            continue
        width = indent_width(line)
        if width > stack[-1]:
            stack.append(width)
            continue
        while stack and stack[-1] > width:
            stack.pop()
        if stack and stack[-1] != width:
            return "\n".join(lines[:i]).rstrip()
        if not stack:
            stack.append(width)  # left the block: cut_block decides about that
    return text


def drop_dangling_header(text: str) -> str:
    """Python: a block's last line that opens a block of its own (``for x in xs:``) has no body
    (decoding stopped there); it goes, unless it is all the completion has."""
    lines = text.rstrip().split("\n")
    while len([ln for ln in lines if ln.strip()]) > 1 and \
            lines[-1].split("#", 1)[0].rstrip().endswith(":"):
        lines.pop()
        while lines and not lines[-1].strip():
            lines.pop()
    return "\n".join(lines)


def drop_suffix_overlap(text: str, line_suffix: str, next_lines: list[str]) -> str:
    """Drop what the suffix already has: the rest of the cursor's line at the end of a one-line
    completion, and trailing lines that repeat the lines after the cursor."""
    rest = line_suffix.strip()
    if rest and "\n" not in text:
        stripped = text.rstrip()
        # The longest tail of the completion that is a head of the line's remainder.
        for k in range(min(len(stripped), len(rest)), 0, -1):
            if stripped.endswith(rest[:k]) and (k == len(rest) or k >= 2 or rest[:k] in ")]}\"'"):
                return stripped[: len(stripped) - k]
        return text
    want = [ln.strip() for ln in next_lines if ln.strip()]
    if not want:
        return text
    lines = text.split("\n")
    # From the first completion line that is the line following the cursor's, the completion
    # restates code that is already there: cut it (all of it, if it starts that way).
    if _significant(want[0]):
        for i, line in enumerate(lines):
            if line.strip() == want[0]:
                return "\n".join(lines[:i]).rstrip()
    # Trailing lines that repeat the suffix's first lines, even short ones like `}`, unless
    # they close what the completion itself opened (its `if (...) {` needs its own `}`).
    for i in range(1, len(lines)):
        window = [ln.strip() for ln in lines[i:] if ln.strip()]
        if window and window == want[: len(window)] and lines[i].strip() == want[0] and \
                _depth("\n".join(lines[:i])) <= 0:
            return "\n".join(lines[:i]).rstrip()
    return text


def _depth(text: str) -> int:
    """Brackets ``text`` opens and leaves open (closers of earlier brackets count against)."""
    return sum((ch in _OPEN) - (ch in _CLOSE) for ch in text)


def _significant(line: str) -> bool:
    """A line with enough code to say it repeats (not `}` or `end`)."""
    return sum(ch.isalnum() for ch in line) >= 4


def balance_closers(text: str, line_suffix: str) -> str:
    """Never duplicate closing brackets the suffix already has: trailing closers that close
    nothing opened in the completion are dropped when the rest of the line starts with them."""
    stack: list[str] = []
    unmatched_at = None
    for i, ch in enumerate(text):
        if ch in _OPEN:
            stack.append(ch)
        elif ch in _CLOSE:
            if stack and stack[-1] == _CLOSE[ch]:
                stack.pop()
            elif unmatched_at is None:
                unmatched_at = i
    if unmatched_at is None:
        return text
    extra = text[unmatched_at:].rstrip()
    rest = line_suffix.lstrip()
    if extra and all(c in _CLOSE or c in " ;,:" for c in extra) and rest.startswith(
        extra.replace(" ", "")[:1]
    ):
        return text[:unmatched_at].rstrip()
    return text


@lru_cache(maxsize=8)
def detect_indent_unit(text: str) -> str:
    """The file's indentation unit: a tab, or the most common step of leading spaces.
    (Cached: a keystroke seldom changes it, and the scan costs half a millisecond.)"""
    tabs = spaces = 0
    steps: dict[int, int] = {}
    prev = 0
    for line in text.splitlines()[:2000]:
        if not line.strip():
            continue
        ind = indent_of(line)
        if ind.startswith("\t"):
            tabs += 1
        elif ind:
            spaces += 1
        width = len(ind.replace("\t", "    "))
        if width > prev:
            steps[width - prev] = steps.get(width - prev, 0) + 1
        prev = width
    if tabs > spaces:
        return "\t"
    if not steps:
        return "    "
    step = max(steps, key=lambda k: (steps[k], -k))
    return " " * max(1, min(step, 8))


def normalize_indent(text: str, unit: str) -> str:
    """Re-indent the completion's lines (after the first) with the file's unit."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    out = [lines[0]]
    for line in lines[1:]:
        ind = indent_of(line)
        body = line[len(ind):]
        if unit == "\t" and " " in ind:
            ind = "\t" * (len(ind.replace("\t", "    ")) // 4)
        elif unit != "\t" and "\t" in ind:
            ind = ind.replace("\t", unit)
        out.append(ind + body)
    return "\n".join(out)


def trim_trailing_space(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n"))


def error_count(parser: Parser, source: str) -> int:
    """ERROR and MISSING nodes in a parse of ``source``."""
    return tree_error_count(parser.parse(source.encode("utf-8", "surrogatepass")))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _parse_insertion(parser: Parser, prefix: bytes, insert: str, suffix: bytes,
                     tree: Tree | None) -> Tree:
    """The parse of ``prefix + insert + suffix``.

    With ``tree`` (the parse of prefix + suffix) the parse is incremental: only the edited
    region is parsed again, a tenth of the time of a fresh parse of a large file.
    """
    ins = _utf8(insert)
    source = prefix + ins + suffix
    if tree is None:
        return parser.parse(source)
    row = prefix.count(b"\n")
    col = len(prefix) - (prefix.rfind(b"\n") + 1)
    lines = ins.count(b"\n")
    end_col = len(ins) - (ins.rfind(b"\n") + 1) if lines else col + len(ins)
    edited = tree.copy()
    edited.edit(start_byte=len(prefix), old_end_byte=len(prefix),
                new_end_byte=len(prefix) + len(ins), start_point=(row, col),
                old_end_point=(row, col), new_end_point=(row + lines, end_col))
    return parser.parse(source, edited)


def _insertion_errors(parser: Parser, prefix: bytes, insert: str, suffix: bytes,
                      tree: Tree | None) -> int:
    """ERROR and MISSING nodes once ``insert`` goes between ``prefix`` and ``suffix``."""
    return tree_error_count(_parse_insertion(parser, prefix, insert, suffix, tree))


def cut_at_construct_end(text: str, prefix: str, suffix: str, language_id: str,
                         tree: Tree | None = None) -> str:
    """Block mode: end the completion where the construct around the cursor closes, read from
    the syntax tree of the completed text (not only from indentation).

    The construct is the smallest node that begins before the cursor and holds the
    completion's first code (a function, an ``if``, a ``{...}`` block, an argument list), or,
    at the top level, the statement the completion begins. When
    it ends inside the completion, the completion ends there too: before its closing bracket
    when the suffix brings that bracket, else at the end of the line that closes it. ``tree``
    is the document's parse (prefix + suffix), for an incremental parse.
    """
    parser = new_parser(language_id)
    if parser is None or not text.strip():
        return text
    pre, suf, ins = _utf8(prefix), _utf8(suffix), _utf8(text)
    done = _parse_insertion(parser, pre, text, suf, tree)
    start = len(pre) + len(ins) - len(ins.lstrip())
    node = done.root_node.descendant_for_byte_range(start, start)
    while node is not None and node.parent is not None and node.start_byte >= len(pre):
        node = node.parent
    if node is not None and node.parent is None:
        # At the top level the construct is the statement the completion begins (a comment
        # before it belongs to it): one function, one class, one declaration.
        node = next((c for c in node.named_children if c.end_byte > start and
                     c.type != "comment"), None)
        if node is None or node.start_byte < start:
            return text
    if node is None or node.type == "ERROR" or node.has_error:
        return text
    end = node.end_byte - len(pre)  # where the construct ends, in the completion's bytes
    if end >= len(ins.rstrip()):
        return text
    closer = ins[end - 1:end].decode("latin-1")
    if closer in _CLOSE and suffix.lstrip().startswith(closer):
        head = ins[:end - 1]
    else:
        nl = ins.find(b"\n", end)
        head = ins if nl < 0 else ins[:nl]
    return head.decode("utf-8", "ignore").rstrip()


def tree_error_count(tree: Tree | None) -> int:
    """ERROR and MISSING nodes in a tree (0 for no tree)."""
    return sum(1 for _ in outer_error_nodes(tree))


def keep_parsing(candidate: str, prefix: str, suffix: str, language_id: str,
                 baseline_errors: int | None = None, tree: Tree | None = None) -> str:
    """The longest head of ``candidate`` (whole lines) that adds no syntax error.

    A completion that makes the document fail to parse where it parsed before is cut back to
    its longest head that still parses; if none does, it is dropped. Languages without a
    grammar are not checked. ``tree``, the document's parse (not edited by this call), makes
    each check incremental.
    """
    parser = new_parser(language_id)
    if parser is None or not candidate:
        return candidate
    before, after = _utf8(prefix), _utf8(suffix)
    if baseline_errors is None:
        baseline_errors = tree_error_count(tree) if tree is not None else error_count(
            parser, prefix + suffix)
    if _insertion_errors(parser, before, candidate, after, tree) <= baseline_errors:
        return candidate
    lines = candidate.split("\n")
    for n in range(len(lines) - 1, 0, -1):
        head = "\n".join(lines[:n]).rstrip()
        if head.strip() and _insertion_errors(parser, before, head, after,
                                              tree) <= baseline_errors:
            return head
    return ""


def only_comments(text: str, language_id: str) -> bool:
    """Every line of ``text`` is blank or a line comment (no code: it fills no block)."""
    mark = line_comment(language_id, "")
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return bool(mark) and bool(lines) and all(line.startswith(mark) for line in lines)


_WS_ONLY = re.compile(r"^\s*$")


def is_empty(text: str) -> bool:
    return bool(_WS_ONLY.match(text))
