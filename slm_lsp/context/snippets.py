"""Cross-file snippets for a cursor: definitions of the names used near it, from the index.

Selection:

1. The *names*: identifiers of the enclosing definition (the outermost one spanning at most
   ``SCOPE_LINES`` lines) and of the last ``RECENT_LINES`` lines, found with a tree-sitter query,
   minus the word under the cursor (it is being typed), the file's own top-level names and the
   language's keywords and builtins.
2. The *candidates*: their definitions in other files of the same language family. A name
   defined in more than ``AMBIGUOUS`` unrelated files is skipped; only a name's best tier
   (see 3) is kept, at most ``PER_NAME`` definitions of it.
3. *Rank*: defined in a file the current file imports > in the same directory > elsewhere; then
   referenced closer to the cursor (in lines); then path and line.
4. *Pack* in rank order under the token budget, whole definitions only; definitions from one
   file share one snippet, in file order.

Stability rule (the prompt's head must stay byte-identical while the user types, so the engine
can reuse its KV cache): the result is a function of the *candidate set* only — which
definitions, and the version of the files they come from — and is memoized on it. Typing inside
a function changes the cursor and the text but not that set, so the same snippets come back,
byte for byte, without re-ranking; they change only when a name that resolves to a new
definition appears or disappears, or a file they come from changes. While the code around the
cursor does not parse (a statement half typed), the previous selection for the file is kept
as is: tree-sitter's error recovery can regroup the whole file, and with it the names.
Snippets are emitted in a fixed order: by tier (elsewhere, same directory, imported: the most
relevant nearest the current file), then by path; never by score.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from .. import paths
from ..documents import window_around
from ..engine.base import Snippet
from ..languages import grammar, new_parser, rules_for
from ..syntax.symbols import Definition, defined_names, extract_imports
from ..syntax.tree import ancestors
from .index import SymbolIndex

if TYPE_CHECKING:
    from tree_sitter import Node, Query, Tree

SCOPE_LINES = 150
RECENT_LINES = 30
PER_NAME = 3
AMBIGUOUS = 6
MAX_NAMES = 64
MAX_GO_MOD = 256 * 1024
# A document without a tree (too large to keep one) is parsed only around the cursor: this many
# code points before it and after it.
WINDOW_BEFORE = 24_000
WINDOW_AFTER = 8_000

_IDENT_TYPES = ("identifier", "type_identifier", "property_identifier", "field_identifier",
                "package_identifier", "shorthand_property_identifier", "constant")

_COMMON = {"self", "this", "super", "cls", "Self", "true", "false", "null", "nil", "None",
           "True", "False", "undefined", "main", "init", "new", "get", "set", "len", "string",
           "String", "Object", "Error", "err", "ok", "value", "data", "result", "args", "kwargs"}
_JS_EXTS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")


def _group(language_id: str) -> str:
    rules = rules_for(language_id)
    return rules.group if rules is not None else language_id


@cache
def _query(language_id: str) -> Query | None:
    lang = grammar(language_id)
    if lang is None:
        return None
    from tree_sitter import Query

    kinds = [k for k in _IDENT_TYPES if lang.id_for_node_kind(k, True)]
    return Query(lang, "[" + " ".join(f"({k})" for k in kinds) + "] @id") if kinds else None


def _scope(root: Node, byte: int) -> Node | None:
    """The outermost definition around ``byte`` spanning at most SCOPE_LINES lines."""
    best = None
    for node in ancestors(root.named_descendant_for_byte_range(max(byte - 1, 0), byte)):
        if node == root:
            break
        if node.end_point[0] - node.start_point[0] <= SCOPE_LINES:
            best = node
    return best


def names_near(tree: Tree, data: bytes, byte: int, language_id: str) -> dict[str, int]:
    """Identifiers used near the cursor, each with its distance in lines from the cursor."""
    query = _query(language_id)
    if query is None:
        return {}
    root = tree.root_node
    line = data.count(b"\n", 0, byte)
    start = byte
    for _ in range(RECENT_LINES + 1):  # back to the newline before the window's first line
        start = data.rfind(b"\n", 0, start)
        if start < 0:
            break
    lo, hi = start + 1, byte
    scope = _scope(root, byte)
    if scope is not None:
        lo, hi = min(lo, scope.start_byte), max(hi, scope.end_byte)
    from tree_sitter import QueryCursor

    qc = QueryCursor(query)
    qc.set_byte_range(lo, hi)
    rules = rules_for(language_id)
    skip = (rules.builtins if rules is not None else frozenset()) | _COMMON
    out: dict[str, int] = {}
    for node in qc.captures(root).get("id", ()):
        if node.start_byte <= byte <= node.end_byte:
            continue  # the word being typed
        name = (node.text or b"").decode("utf-8", "replace")
        if len(name) < 2 or name in skip:
            continue
        dist = abs(node.start_point[0] - line)
        if dist < out.get(name, 1 << 30):
            out[name] = dist
    return out


# -- imports ------------------------------------------------------------------------------------

def _python_candidates(rel: str, spec: str) -> list[str]:
    here = posixpath.dirname(rel)
    dots = len(spec) - len(spec.lstrip("."))
    parts = [p for p in spec.lstrip(".").split(".") if p]
    if dots:
        base = here
        for _ in range(dots - 1):
            base = posixpath.dirname(base)
        bases = [base]
    else:
        bases = ["", "src", here]
    out = []
    for base in bases:
        stem = posixpath.join(base, *parts) if parts else base
        out += [stem + ".py", posixpath.join(stem, "__init__.py")] if parts else \
            [posixpath.join(stem, "__init__.py")]
    return out


def _js_candidates(rel: str, spec: str) -> list[str]:
    if not spec.startswith("."):
        return []
    stem = posixpath.normpath(posixpath.join(posixpath.dirname(rel), spec))
    out = [stem]
    if stem.endswith((".js", ".jsx", ".mjs")):
        out += [stem.rsplit(".", 1)[0] + ext for ext in (".ts", ".tsx")]
    out += [stem + ext for ext in _JS_EXTS] + [f"{stem}/index{ext}" for ext in _JS_EXTS]
    return out


def _rust_candidates(rel: str, spec: str, index: SymbolIndex) -> list[str]:
    here = posixpath.dirname(rel)
    if spec.startswith("mod:"):
        name = spec[4:]
        stem = posixpath.basename(rel).rsplit(".", 1)[0]
        base = here if stem in ("mod", "lib", "main") else posixpath.join(here, stem)
        return [posixpath.join(base, name + ".rs"), posixpath.join(base, name, "mod.rs")]
    path = spec.split("::{", 1)[0].split(" as ", 1)[0].split("::")
    if path[0] == "crate":
        crate = here
        while crate and not paths.is_regular_inside(str(index.root),
                                                    index.root / crate / "Cargo.toml"):
            crate = posixpath.dirname(crate)
        base = posixpath.join(crate, "src")
    elif path[0] in ("super", "self"):
        base = posixpath.dirname(here) if path[0] == "super" else here
    else:
        return []
    out = []
    for end in range(len(path), 1, -1):
        stem = posixpath.join(base, *path[1:end])
        out += [stem + ".rs", posixpath.join(stem, "mod.rs")]
    return out


def _module_dir(rel: str, spec: str, index: SymbolIndex) -> str | None:
    """The directory of a Go import path inside the workspace (via go.mod)."""
    d = posixpath.dirname(rel)
    while True:
        gomod = index.root / d / "go.mod"
        if os.path.lexists(gomod):
            try:
                text = paths.read_bytes(gomod, MAX_GO_MOD, root=str(index.root)).decode(
                    "utf-8", "replace")
            except paths.Skipped:
                return None
            for line in text.splitlines():
                if line.startswith("module "):
                    module = line.split()[1]
                    if spec == module or spec.startswith(module + "/"):
                        return posixpath.join(d, spec[len(module) + 1:]).rstrip("/")
            return None
        if not d:
            return None
        d = posixpath.dirname(d)


def resolve_imports(index: SymbolIndex, rel: str, language_id: str,
                    specs: tuple[str, ...]) -> frozenset[str]:
    """The indexed files that the import specifiers of file ``rel`` name (memoized)."""
    key = (rel, language_id, specs, index.file_set_stamp)
    hit = index.selection.imports.get(key)
    if hit is not None:
        return hit
    rules = rules_for(language_id)
    style = rules.imports if rules is not None else ""
    here = posixpath.dirname(rel)
    files = index.files()
    found: list[str] = []
    if rules is not None and rules.package_files:  # the package: the files of the directory
        ext = rules.package_files
        found += [f for f in files if posixpath.dirname(f) == here and f.endswith(ext)]
    for spec in specs:
        if style == "modules":
            found += _python_candidates(rel, spec)
        elif style == "relative":
            found += _js_candidates(rel, spec)
        elif style == "crates":
            found += _rust_candidates(rel, spec, index)
        elif style == "includes":
            found += [posixpath.normpath(posixpath.join(here, spec)), spec, "include/" + spec]
            found += [f for f in files if f.endswith("/" + spec)]
        elif style == "packages":
            d = _module_dir(rel, spec, index)
            found += [f for f in files if d is not None and posixpath.dirname(f) == d
                      and f.endswith(".go")]
        elif style == "classes":
            name = spec.split()[-1].replace(".", "/")
            if name.endswith("/*"):
                found += [f for f in files if posixpath.dirname(f).endswith(name[:-2])]
            else:
                found += [f for f in files if f.endswith(name + ".java")]
    result = frozenset(f for f in found if f != rel and f in index)
    index.selection.keep_imports(key, result)
    return result


# -- selection ----------------------------------------------------------------------------------

def _render(defs: list[Definition]) -> str:
    return "\n\n".join(d.text.rstrip() for d in sorted(defs, key=lambda d: d.line)) + "\n"


def select_snippets(index: SymbolIndex | None, doc_text: str, offset: int, language_id: str,
                    path: str, budget_tokens: int, count_tokens: Callable[[str], int], *,
                    tree: Tree | None = None) -> tuple[Snippet, ...]:
    """Snippets of definitions from other files for a cursor at ``offset`` (code points).

    ``path`` is the file's filesystem path (or URI); ``tree`` its current tree when there is one
    (else the text is parsed). See the module docstring for the stability rule.
    """
    if index is None or budget_tokens <= 0:
        return ()
    rel = index.relative(path) or posixpath.basename(path)
    if tree is None:
        parser = new_parser(language_id)
        if parser is None:
            return ()
        doc_text, start = window_around(doc_text, offset, WINDOW_BEFORE, WINDOW_AFTER)
        offset -= start
        data = doc_text.encode("utf-8", "surrogatepass")
        tree = parser.parse(data)
    else:
        data = doc_text.encode("utf-8", "surrogatepass")
    byte = len(doc_text[:offset].encode("utf-8", "surrogatepass"))
    memo = index.selection.last.get(rel)
    scope = _scope(tree.root_node, byte)
    if memo is not None and memo[0][2] == budget_tokens and (
            scope.has_error if scope is not None else tree.root_node.has_error):
        return memo[1]  # half-typed code: error recovery would reshape the names around it
    names = names_near(tree, data, byte, language_id)
    own = defined_names(tree, language_id)
    imported = resolve_imports(index, rel, language_id, extract_imports(tree, data, language_id))
    here = posixpath.dirname(rel)
    group = _group(language_id)

    candidates = []  # (tier, distance, rel, line, name, entry, definition)
    for name, dist in sorted(names.items(), key=lambda kv: (kv[1], kv[0]))[:MAX_NAMES]:
        if name in own:
            continue
        found = [(e, d) for e, d in index.lookup(name)
                 if e.rel != rel and _group(e.language_id) == group]
        ranked = sorted(((0 if e.rel in imported else 1 if posixpath.dirname(e.rel) == here
                          else 2), e.rel, d.line, e, d) for e, d in found)
        if ranked:  # only the best tier: an imported definition hides same-named others
            ranked = [r for r in ranked if r[0] == ranked[0][0]]
        if len(ranked) > AMBIGUOUS and ranked[0][0] == 2:
            continue
        for tier, frel, line, e, d in ranked[:PER_NAME]:
            candidates.append((tier, dist, frel, line, name, e, d))

    key = (rel, language_id, budget_tokens,
           tuple(sorted({(c[2], c[5].stamp, c[3], c[4], c[0]) for c in candidates})))
    if memo is not None and memo[0] == key:
        return memo[1]

    chosen: dict[str, list[Definition]] = {}
    tiers: dict[str, int] = {}
    costs: dict[str, int] = {}
    used = 0
    seen = set()
    for tier, _dist, frel, line, _name, _e, d in sorted(candidates, key=lambda c: c[:4]):
        if (frel, line) in seen:
            continue
        seen.add((frel, line))
        trial = chosen.get(frel, []) + [d]
        cost = count_tokens(f"{frel}\n{_render(trial)}")
        if used - costs.get(frel, 0) + cost > budget_tokens:
            continue
        used += cost - costs.get(frel, 0)
        chosen[frel], costs[frel] = trial, cost
        tiers[frel] = min(tier, tiers.get(frel, tier))
    order = sorted(chosen, key=lambda f: (-tiers[f], f))
    result = tuple(Snippet(path=f, text=_render(chosen[f])) for f in order)
    index.selection.keep_selection(rel, key, result)
    return result
