"""Fill-in tasks cut from real code with tree-sitter: line, mid-line and block holes.

A task is a file of the corpus with one hole: the editor sees the file without the expected
text, with the cursor where it was, and a completion is judged against the text removed.

- **line**: the cursor after the indentation of a statement's first line; expected = the rest of
  that line.
- **midline**: the cursor inside a line after an operator/bracket boundary with code to the
  right; expected = the text up to where the right-hand text resumes (a call's arguments with the
  ``)`` kept in the suffix, a subscript's index with the ``]`` kept, or an operand followed by
  more code on the line).
- **block**: the cursor on the (indented) empty line at the start of a function body or an
  if/for/while/with block (after a function's docstring, which stays); expected = the block's
  statements.

The corpus lives in ``benchmarks/corpus/<language>/<split>/<package>/``:

- ``dev``: what the benchmark and the completion pipeline are developed and tuned against;
- ``test``: the first held-out split, now seen (its answers were read too often to predict);
- ``locked``: code first released in 2026, after both models' training, from packages the
  project had not read; frozen by ``corpus/locked.sha256`` and never tuned on. Only its
  figures are quoted.

``all`` is ``dev`` and ``test`` together: the seen splits, never ``locked``. Selection is
deterministic for a seed and balanced per (language, kind).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from tree_sitter import Language, Node, Parser

CORPUS = Path(__file__).resolve().parent / "corpus"
KINDS = ("line", "midline", "block")
LANGUAGES = ("python", "javascript")
SPLITS = ("dev", "test", "locked")
SEEN_SPLITS = ("dev", "test")  # what ``all`` means; tuning tools take only these
LOCKED_MANIFEST = CORPUS / "locked.sha256"
EXTENSIONS = {"python": ".py", "javascript": ".js"}

MAX_LINE_CHARS = 160  # longer lines are rare in real code and mostly data
MAX_BLOCK_LINES = 10  # the server shows at most completion.maxLines (12) lines
MAX_BLOCK_CHARS = 600
MIN_LINE_CHARS = 8  # "pass", "break", "else:" are not interesting holes
MAX_MIDLINE_CHARS = 80

_BLOCK_PARENTS = {
    "python": {"function_definition", "if_statement", "for_statement", "while_statement",
               "with_statement"},
    "javascript": {"function_declaration", "function_expression", "function",
                   "arrow_function", "method_definition", "generator_function_declaration",
                   "if_statement", "for_statement", "for_in_statement", "while_statement"},
}
_BLOCK_NODE = {"python": "block", "javascript": "statement_block"}
_ARGS = {"argument_list", "arguments"}
_SUBSCRIPTS = {"subscript", "subscript_expression"}
_BINARY = {"binary_operator", "comparison_operator", "boolean_operator", "binary_expression"}
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Task:
    """One hole in one file."""

    id: str
    kind: str
    language: str
    path: str  # relative to the corpus directory
    source: str  # the original file
    offset: int  # where the hole is, in code points (the same in the original and the holed file)
    expected: str  # the text removed

    @property
    def holed(self) -> str:
        """The file as the editor has it: the expected text cut out."""
        return self.source[: self.offset] + self.source[self.offset + len(self.expected):]

    @property
    def prefix(self) -> str:
        return self.source[: self.offset]

    @property
    def suffix(self) -> str:
        """What follows the cursor in the holed file."""
        return self.source[self.offset + len(self.expected):]

    @property
    def line(self) -> int:
        return self.prefix.count("\n")

    @property
    def column(self) -> int:
        """The cursor's column in code points."""
        return self.offset - (self.prefix.rfind("\n") + 1)

    @property
    def column_utf16(self) -> int:
        """The cursor's column in UTF-16 code units (LSP's default encoding)."""
        head = self.prefix[self.prefix.rfind("\n") + 1:]
        return len(head.encode("utf-16-le")) // 2

    def summary(self) -> dict:
        data = asdict(self)
        del data["source"]
        data.update(line=self.line, column=self.column)
        return data


@cache
def parser(language: str) -> Parser:
    if language == "python":
        import tree_sitter_python as grammar
    elif language == "javascript":
        import tree_sitter_javascript as grammar
    else:
        raise ValueError(f"no grammar for {language}")
    return Parser(Language(grammar.language()))


def parses(source: str, language: str) -> bool:
    """True when tree-sitter finds no ERROR or MISSING node."""
    return not parser(language).parse(source.encode("utf-8")).root_node.has_error


def corpus_files(language: str, split: str) -> list[Path]:
    """The corpus files of a language and split, sorted."""
    root = CORPUS / language / split
    return sorted(p for p in root.rglob(f"*{EXTENSIONS[language]}") if p.is_file())


def locked_digests() -> dict[str, str]:
    """SHA-256 of every file of the locked split (sources, LICENSE, SOURCE), keyed by its path
    relative to the corpus directory, with ``/`` separators. To write the manifest after a
    reviewed change: ``cd benchmarks/corpus && find javascript/locked python/locked -type f |
    LC_ALL=C sort | xargs sha256sum > locked.sha256``."""
    return {p.relative_to(CORPUS).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for lang in LANGUAGES for p in sorted((CORPUS / lang / "locked").rglob("*"))
            if p.is_file()}


def read_manifest(path: Path | None = None) -> dict[str, str]:
    """The manifest's digests (``sha256sum`` format: digest, two spaces, path); by default
    ``corpus/locked.sha256``."""
    out = {}
    for line in (path or LOCKED_MANIFEST).read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split("  ", 1)
            out[name] = digest
    return out


def locked_changes() -> list[str]:
    """How the locked split's files differ from the manifest: empty when they match."""
    have, want = locked_digests(), read_manifest()
    return ([f"changed: {n}" for n in sorted(have.keys() & want.keys()) if have[n] != want[n]]
            + [f"not in the manifest: {n}" for n in sorted(have.keys() - want.keys())]
            + [f"missing: {n}" for n in sorted(want.keys() - have.keys())])


class _Text:
    """A source with byte offsets (tree-sitter) mapped to code-point offsets."""

    def __init__(self, source: str):
        self.source = source
        data = source.encode("utf-8")
        self.ascii = len(data) == len(source)
        if not self.ascii:
            self._map = [0] * (len(data) + 1)
            b = 0
            for i, ch in enumerate(source):
                for _ in range(len(ch.encode("utf-8"))):
                    self._map[b] = i
                    b += 1
            self._map[len(data)] = len(source)

    def char(self, byte: int) -> int:
        return byte if self.ascii else self._map[byte]

    def line_bounds(self, offset: int) -> tuple[int, int]:
        start = self.source.rfind("\n", 0, offset) + 1
        end = self.source.find("\n", offset)
        return start, len(self.source) if end < 0 else end


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _is_statement(node: Node) -> bool:
    t = node.type
    return node.is_named and (t.endswith("_statement") or t.endswith("_declaration")
                              or t.endswith("_definition")) and t != "empty_statement"


def _is_docstring(node: Node) -> bool:
    return (node.type == "expression_statement" and node.named_child_count == 1
            and node.named_children[0].type in ("string", "concatenated_string"))


def _statements(block: Node) -> list[Node]:
    return [c for c in block.named_children if c.type != "comment"]


def _line_candidates(text: _Text, root: Node) -> Iterator[tuple[int, str]]:
    src = text.source
    for node in _walk(root):
        if not _is_statement(node) or _is_docstring(node):
            continue
        start = text.char(node.start_byte)
        line_start, line_end = text.line_bounds(start)
        if src[line_start:start].strip() or line_end - line_start > MAX_LINE_CHARS:
            continue
        expected = src[start:line_end].rstrip()
        if len(expected.strip()) >= MIN_LINE_CHARS:
            yield start, expected


def _midline_candidates(text: _Text, root: Node) -> Iterator[tuple[int, str]]:
    src = text.source
    for node in _walk(root):
        if node.start_point[0] != node.end_point[0]:
            continue
        a, b = text.char(node.start_byte), text.char(node.end_byte)
        if node.type in _ARGS or node.type in _SUBSCRIPTS:
            opener = "(" if node.type in _ARGS else "["
            closer = ")" if opener == "(" else "]"
            if node.type in _SUBSCRIPTS:
                i = src.find("[", a, b)
                if i < 0 or not src[b - 1:b] == "]":
                    continue
                a = i
            elif src[a:a + 1] != opener or src[b - 1:b] != closer:
                continue
            hole, end = a + 1, b - 1
        elif node.type in _BINARY and node.named_child_count >= 2:
            right = node.named_children[-1]
            hole, end = text.char(right.start_byte), text.char(right.end_byte)
        else:
            continue
        expected = src[hole:end]
        line_start, line_end = text.line_bounds(hole)
        if (not expected.strip() or expected != expected.strip() or "\n" in expected
                or len(expected) > MAX_MIDLINE_CHARS or line_end - line_start > MAX_LINE_CHARS
                or hole == line_start or _WORD.match(src[hole - 1])
                or not src[end:line_end].strip() or not src[line_start:hole].strip()):
            continue
        yield hole, expected


def _block_candidates(text: _Text, root: Node, language: str) -> Iterator[tuple[int, str]]:
    src = text.source
    for node in _walk(root):
        if node.type != _BLOCK_NODE[language] or node.parent is None:
            continue
        if node.parent.type not in _BLOCK_PARENTS[language]:
            continue
        stmts = _statements(node)
        if node.parent.type == "function_definition" and stmts and _is_docstring(stmts[0]):
            stmts = stmts[1:]
        if not stmts:
            continue
        first, last = stmts[0], stmts[-1]
        start, end = text.char(first.start_byte), text.char(last.end_byte)
        line_start, _ = text.line_bounds(start)
        if src[line_start:start].strip() or line_start == 0:
            continue  # a one-line body (`if x: return y`) has no empty line to complete on
        before = src[:line_start - 1].rstrip(" \t")
        header_row = node.parent.start_point[0]
        if first.start_point[0] <= header_row or not before:
            continue
        expected = src[start:end]
        if expected.count("\n") + 1 > MAX_BLOCK_LINES or len(expected) > MAX_BLOCK_CHARS:
            continue
        yield start, expected


def candidates(source: str, language: str, kind: str) -> list[tuple[int, str]]:
    """Every (offset, expected) hole of a kind in a source, in file order, without repeats."""
    text = _Text(source)
    root = parser(language).parse(source.encode("utf-8")).root_node
    if kind == "line":
        found: Iterable[tuple[int, str]] = _line_candidates(text, root)
    elif kind == "midline":
        found = _midline_candidates(text, root)
    elif kind == "block":
        found = _block_candidates(text, root, language)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return sorted(set(found))


def tasks_for(total: int, kinds: str, languages: str, *, split: str = "test",
              seed: int = 0) -> list[Task]:
    """About ``total`` tasks spread evenly over the comma-separated ``kinds`` and
    ``languages`` (a benchmark's command line); ValueError names an unknown kind or language."""
    kind_list = [k for k in kinds.split(",") if k]
    lang_list = [lang for lang in languages.split(",") if lang]
    for k in kind_list:
        if k not in KINDS:
            raise ValueError(f"unknown kind {k!r}")
    for lang in lang_list:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
    per_cell = max(1, total // (len(kind_list) * len(lang_list)))
    return build_tasks(per_cell, kinds=kind_list, languages=lang_list, split=split, seed=seed)


def build_tasks(per_cell: int, *, kinds: Iterable[str] = KINDS,
                languages: Iterable[str] = LANGUAGES, split: str = "test",
                seed: int = 0) -> list[Task]:
    """``per_cell`` tasks for each (language, kind), spread round-robin over the split's files.

    Deterministic for a seed: files and holes are shuffled with ``random.Random(seed)`` per cell.
    """
    tasks: list[Task] = []
    if split != "all" and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    splits = SEEN_SPLITS if split == "all" else (split,)
    for language in languages:
        files = [p for s in splits for p in corpus_files(language, s)]
        if not files:
            raise FileNotFoundError(f"no {language} files in {CORPUS} for split {split}")
        sources = {p: p.read_text(encoding="utf-8") for p in files}
        for kind in kinds:
            rng = random.Random(f"{seed}:{language}:{kind}")
            pools = []
            for path in files:
                holes = candidates(sources[path], language, kind)
                rng.shuffle(holes)
                pools.append((path, holes))
            rng.shuffle(pools)
            picked: list[tuple[Path, int, str]] = []
            while len(picked) < per_cell and any(h for _, h in pools):
                for path, holes in pools:
                    if holes and len(picked) < per_cell:
                        picked.append((path, *holes.pop()))
            for i, (path, offset, expected) in enumerate(picked):
                tasks.append(Task(
                    id=f"{language}-{kind}-{i:02d}", kind=kind, language=language,
                    path=str(path.relative_to(CORPUS)), source=sources[path], offset=offset,
                    expected=expected))
    return tasks
