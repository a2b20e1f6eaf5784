"""Next edits read from the syntax tree: the other uses of a renamed name, the call sites of a
function whose parameters changed.

``intents_of`` reads what the user's last edit meant (``Rename``s or a ``Signature`` change,
else nothing: quiet by default); ``next_place`` finds, in the open documents as they are now, the
next place that intent still has to change, in the order a user would go: after the last
change in its document, then before it, then the other open documents. The language's rules
(``languages.base.NextEdits``) say which nodes are names, bindings, scopes and calls.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import attrs
from tree_sitter import Point, Query, QueryCursor

from ..languages import grammar, new_parser, rules_for
from ..syntax.tree import ancestors
from .edits import Edit, Proposal

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from ..documents import Document
    from ..languages.base import Language, NextEdits

MAX_NODES = 200_000  # a scope walk stops here (a huge generated file is not walked)
_NAME = re.compile(r"^[^\W\d]\w*$")


# -- the plain data --------------------------------------------------------------------------
@attrs.frozen
class Rename:
    """The user renamed ``old`` to ``new``: a variable ("variable": a local, a parameter, a
    top-level name), a member of a class ("member"), or a name the scopes cannot tell
    ("text": a module's member, a keyword; its ``scope_type`` is the role, see ``_role``)."""

    old: str
    new: str
    kind: str  # "variable" or "member"
    scope_type: str  # the node type of the scope ("" for the file)
    top_level: bool  # a file's definition: other open documents that import it follow
    group: str  # languages that see each other's names
    # A parameter of this function: its calls' keyword arguments (`f(old=1)`) follow.
    parameter_of: str = ""
    wrap: bool = True  # False: only the places after the last step (a new variable takes over)


@attrs.frozen
class Param:
    name: str
    default: bool = False  # has a default: a call may leave it out
    keyword: bool = False  # keyword only


@attrs.frozen
class Signature:
    """The parameters of function ``name`` went from ``old`` to ``new`` (one parameter added
    or removed)."""

    name: str
    old: tuple[Param, ...]
    new: tuple[Param, ...]
    method: bool  # defined in a class: called through a member access, without its receiver
    group: str
    top_level: bool = False  # a file's function: other open documents that import it follow


Intent = Rename | Signature


@attrs.frozen
class Place:
    """Where the next edit goes: the characters ``[start, end)`` of document ``uri`` become
    ``text``."""

    uri: str
    start: int
    end: int
    text: str
    key: int = -1  # a call site's start: a call once updated is not proposed again


# -- the tree ---------------------------------------------------------------------------------
class Source:
    """A text, its tree and UTF-8 bytes, with character/byte conversions."""

    def __init__(self, text: str, tree: Tree, language_id: str):
        self.text = text
        self.tree = tree
        self.language_id = language_id
        self.data = text.encode("utf-8", "surrogatepass")
        self._ascii = text.isascii()

    def char(self, byte: int) -> int:
        if self._ascii:
            return byte
        return len(self.data[:byte].decode("utf-8", "surrogatepass"))

    def byte(self, char: int) -> int:
        if self._ascii:
            return char
        return len(self.text[:char].encode("utf-8", "surrogatepass"))

    def node_text(self, node: Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "surrogatepass")

    def span(self, node: Node) -> tuple[int, int]:
        return self.char(node.start_byte), self.char(node.end_byte)


@lru_cache(maxsize=128)
def _query(language_id: str, types: frozenset[str], name: str) -> Query | None:
    """A query for the nodes of ``types`` (all of them when ``name`` is "", else those whose
    text is ``name``)."""
    lang = grammar(language_id)
    if lang is None or '"' in name or "\\" in name:
        return None
    kinds = " ".join(f"({t})" for t in sorted(types))
    pattern = f"[{kinds}] @n"
    if name:
        pattern = f'({pattern} (#eq? @n "{name}"))'
    try:
        return Query(lang, pattern)
    except Exception:  # noqa: BLE001 - a node type this grammar lacks
        return None


def found(src: Source, scope: Node, types: frozenset[str], name: str = "") -> list[Node] | None:
    """The nodes of ``types`` under ``scope`` (named ``name`` when given), in document order;
    None when the grammar cannot be queried for them."""
    query = _query(src.language_id, types, name)
    if query is None:
        return None
    nodes = QueryCursor(query).captures(scope).get("n", [])
    return sorted(nodes, key=lambda n: n.start_byte)


def parse_before(edit: Edit, doc: Document, before: str) -> Tree | None:
    """``before`` (``doc``'s text with ``edit`` undone) parsed from ``doc``'s tree with the
    edit undone in it: only the region it changed is parsed again, not the whole file (this
    runs at every keystroke)."""
    parser = new_parser(doc.language_id)
    if parser is None or doc.tree is None:
        return None
    start_byte, start_point = doc.byte_offset(edit.start), doc.point(edit.start)
    tree = doc.tree.copy()
    tree.edit(start_byte=start_byte, old_end_byte=doc.byte_offset(edit.end),
              new_end_byte=start_byte + len(_utf8(edit.old)), start_point=start_point,
              old_end_point=doc.point(edit.end), new_end_point=_end_point(start_point, edit.old))
    try:
        return parser.parse(_utf8(before), tree)
    except Exception:  # noqa: BLE001 - a grammar bug: no next edit, the server goes on
        return None


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _end_point(start: Point, text: str) -> Point:
    """Where ``text`` ends when it is written at ``start`` (rows, and UTF-8 bytes in the row)."""
    if "\n" not in text:
        return Point(start.row, start.column + len(_utf8(text)))
    return Point(start.row + text.count("\n"), len(_utf8(text.rsplit("\n", 1)[1])))


def _field(node: Node) -> str:
    """The field name ``node`` has in its parent ("" when none)."""
    parent = node.parent
    if parent is None:
        return ""
    for i, child in enumerate(parent.children):
        if child == node:
            return parent.field_name_for_child(i) or ""
    return ""


def is_binding(node: Node, r: NextEdits) -> bool:
    """Whether the name ``node`` is bound where it is (a parameter, an assignment's target, a
    definition's name, an import...)."""
    current = node
    for _ in range(16):
        parent = current.parent
        if parent is None:
            return False
        field = _field(current)
        if (parent.type, field) in r.bindings or (parent.type, "") in r.bindings:
            return True
        if parent.type in r.patterns and field in ("", "name", "pattern", "left", "declarator"):
            current = parent
            continue
        return False
    return False


def _member_place(node: Node, r: NextEdits) -> bool:
    if node.type in r.members:
        return True
    parent = node.parent
    return parent is not None and (parent.type, _field(node)) in r.member_places


def _is_member_access(node: Node, r: NextEdits) -> bool:
    """Whether ``node`` names a member where it is read or written (`self.x`, `obj.x`)."""
    parent = node.parent
    return parent is not None and (parent.type, _field(node)) in r.member_access


def _walk(scope: Node, r: NextEdits, skip: Callable[[Node], bool] | None = None) -> Iterator[Node]:
    """The named nodes under ``scope`` in document order; a nested scope for which ``skip``
    says True is not entered (its name, a binding of the outer scope, still is yielded)."""
    stack = [scope]
    seen = 0
    while stack and seen < MAX_NODES:
        n = stack.pop()
        seen += 1
        yield n
        children = n.named_children
        if n is not scope and n.type in r.scopes and skip is not None and skip(n):
            children = [c for c in children if _field(c) == "name"]
        stack.extend(reversed(children))


def _own_nodes(scope: Node, r: NextEdits) -> Iterator[Node]:
    """The nodes of ``scope`` itself: nested scopes are not entered (their names are)."""
    return _walk(scope, r, skip=lambda n: True)


def declares(scope: Node, name: str, src: Source, r: NextEdits) -> bool:
    """Whether ``scope`` binds ``name`` (a nested scope's bindings are its own)."""
    nodes = found(src, scope, r.names, name)
    if nodes is not None:
        return any(_binding_of(n, scope, r) and _owner(n, r) == (
            scope if scope.parent is not None else None) for n in nodes)
    for n in _own_nodes(scope, r):
        if n.type in r.names and _binding_of(n, scope, r) and src.node_text(n) == name:
            return True
    return False


def _owner(n: Node, r: NextEdits) -> Node | None:
    """The innermost scope ``n`` is in (a definition's name is in the scope around it); None
    for the file."""
    start = n.parent
    if start is not None and start.type in r.scopes and _field(n) == "name":
        start = start.parent
    for a in ancestors(start):
        if a.type in r.scopes:
            return a
    return None


def _binding_of(n: Node, scope: Node, r: NextEdits) -> bool:
    """Whether ``n`` is a binding of ``scope`` (a nested definition's own name is a binding
    of the scope around it, not of itself)."""
    if not is_binding(n, r):
        return False
    parent = n.parent
    return not (parent == scope and _field(n) == "name")


def _scope_of(node: Node, names: Iterable[str], src: Source, r: NextEdits) -> Node:
    """The innermost scope around ``node`` that binds one of ``names``, else the file."""
    names = tuple(names)
    start = node.parent
    if start is not None and start.type in r.scopes and _field(node) == "name":
        start = start.parent  # a definition's name belongs to the scope around it
    for a in ancestors(start):
        if a.type in r.scopes and any(declares(a, n, src, r) for n in names):
            return a
    return src.tree.root_node


def _name_at(src: Source, start: int, end: int, r: NextEdits) -> Node | None:
    """The name node (a variable's or a member's) that covers characters ``[start, end)``."""
    node = src.tree.root_node.named_descendant_for_byte_range(src.byte(start), src.byte(end))
    if node is None or node.type not in r.names | r.members:
        return None
    a, b = src.span(node)
    return node if a <= start and end <= b else None


def _uses(scope: Node, name: str, src: Source, r: NextEdits, *, member: bool
          ) -> list[Node]:
    """The nodes naming ``name`` in ``scope``: variables (a nested scope that binds ``name``
    again is skipped: it is another variable there) or member accesses."""
    if member:
        nodes = found(src, scope, r.names | r.members, name)
        if nodes is None:
            nodes = [n for n in _walk(scope, r) if n.type in r.names | r.members
                     and src.node_text(n) == name]
        return [n for n in nodes if _is_member_access(n, r) or _declares_member(n, r)]
    nodes = found(src, scope, r.names, name)
    if nodes is None:
        nodes = [n for n in _walk(scope, r) if n.type in r.names and src.node_text(n) == name]
    # The scopes that bind ``name`` (every binding is one of ``nodes``).
    binders = {owner.id for owner in (_owner(n, r) for n in nodes if is_binding(n, r))
               if owner is not None}

    def visible(n: Node) -> bool:
        """Whether ``n`` is ``scope``'s ``name``: no scope between binds it again (a nested
        definition's own name is the outer scope's)."""
        for a in ancestors(n.parent):
            if a == scope:
                return True
            if a.id in binders and a.type in r.scopes and not (
                    a == n.parent and _field(n) == "name"):
                return False
        return False

    return [n for n in nodes if not _member_place(n, r) and visible(n)]


def _declares_member(node: Node, r: NextEdits) -> bool:
    """Whether ``node`` declares a member of a class (a field, a method): a declaration place
    whose nearest scope is a class's body."""
    parent = node.parent
    if parent is None or (parent.type, _field(node)) not in r.member_declarations:
        return False
    for a in ancestors(parent.parent, 8):
        if a.type in r.classes:
            return True
        if a.type in r.scopes and a.type not in r.classes and a.parent is not None and \
                a.parent.type not in r.classes:
            return False
    return False


def _valid_name(name: str, rules: Language) -> bool:
    extra = rules.word_chars
    plain = name
    for ch in extra:
        plain = plain.replace(ch, "_")
    return bool(_NAME.match(plain))


# -- what the last edit meant ----------------------------------------------------------------
def intents_of(edit: Edit, doc: Document, recent: Sequence[Edit] = ()) -> list[Intent]:
    """What ``edit`` (the last burst of ``doc``, its current text) means: the renames it made
    (one a name it changed), or a signature change; empty when neither. ``recent`` are the
    workspace's last edits, oldest first (``edit`` last)."""
    rules = rules_for(doc.language_id)
    if rules is None or rules.next_edits is None or doc.tree is None:
        return []
    if doc.version != edit.version or edit.end > len(doc.text):
        return []
    before = doc.text[:edit.start] + edit.old + doc.text[edit.end:]
    old_tree = parse_before(edit, doc, before)
    if old_tree is None:
        return []
    now = Source(doc.text, doc.tree, doc.language_id)
    then = Source(before, old_tree, doc.language_id)
    signature = _signature(edit, now, then, rules)
    if signature is not None:
        return [signature]
    renames = []
    for token in renamed_tokens(edit, now.text, then.text, rules):
        rename = _rename(token, now, then, rules, recent)
        if rename is not None:
            renames.append(rename)
    return renames


MAX_TOKENS = 400  # an edit of more tokens is not read as a rename
MAX_PAIRS = 3  # nor one that renames more names than this
MAX_REMOVED = 4  # parameters removed at once from a signature, next to each other


def renamed_tokens(edit: Edit, now: str, then: str, rules: Language
                   ) -> list[tuple[int, int, str, str]]:
    """When every token ``edit`` changes (its ends widened to whole words) is a name replaced
    by another, each name always by the same one (`count + count` -> `total + total`, or one
    name typed over), punctuation added or removed aside (`(__a, __b)` -> `(a, b, /)`): for
    each such ``old`` -> ``new``, the offset of its first place in the text after and in the
    text before, ``old`` and ``new``; else empty."""
    word = re.compile(rf"[\w{re.escape(rules.word_chars)}]")
    tokens = re.compile(rf"[\w{re.escape(rules.word_chars)}]+|\s+|.", re.S)
    s, end_new, end_old = edit.start, edit.end, edit.start + len(edit.old)
    while s > 0 and word.match(now[s - 1]):
        s -= 1
    while end_new < len(now) and word.match(now[end_new]):
        end_new, end_old = end_new + 1, end_old + 1
    if end_new - s > MAX_TOKENS * 8 or end_old - s > MAX_TOKENS * 8:
        return []
    old_tokens, new_tokens = tokens.findall(then[s:end_old]), tokens.findall(now[s:end_new])
    if max(len(old_tokens), len(new_tokens)) > MAX_TOKENS:
        return []
    old_at, new_at = _starts(old_tokens, s), _starts(new_tokens, s)
    out: list[tuple[int, int, str, str]] = []
    seen: dict[str, str] = {}
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op != "replace" or i2 - i1 != j2 - j1:  # added or removed: punctuation only
            if any(word.match(t) for t in old_tokens[i1:i2] + new_tokens[j1:j2]):
                return []
            continue
        for k in range(i2 - i1):
            o, n = old_tokens[i1 + k], new_tokens[j1 + k]
            if o == n or (o.isspace() and n.isspace()):
                continue
            if not (_valid_name(o, rules) and _valid_name(n, rules)) or seen.get(o, n) != n:
                return []
            if o not in seen:
                seen[o] = n
                out.append((new_at[j1 + k], old_at[i1 + k], o, n))
    # A name that became another's new name (`window` -> `ordered`, `history` -> `window`):
    # its remaining places may be either, so it is not followed.
    news = {n for _, _, _, n in out}
    out = [t for t in out if t[2] not in news]
    return out if len(out) <= MAX_PAIRS else []


def _starts(tokens: list[str], start: int) -> list[int]:
    out = []
    for t in tokens:
        out.append(start)
        start += len(t)
    return out


def _bound_together(scope: Node, new: str, old: str, src: Source, r: NextEdits) -> bool:
    """Whether a statement of ``scope`` binds ``new`` and ``old`` both (`output, err := f()`:
    two variables, each with its own uses)."""
    for n in found(src, scope, r.names, new) or []:
        if not is_binding(n, r):
            continue
        place = n.parent
        while place is not None and place.type in r.patterns:
            place = place.parent
        if place is not None and any(is_binding(m, r) for m in found(src, place, r.names, old)
                                     or []):
            return True
    return False


def _fresh(name: str, recent: Sequence[Edit]) -> bool:
    """Whether one of the ``recent`` edits (the last one aside) wrote ``name`` where it was
    not."""
    word = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
    return any(word.search(e.new) and not word.search(e.old) for e in recent[:-1])


def _rename(token: tuple[int, int, str, str], now: Source, then: Source, rules: Language,
            recent: Sequence[Edit] = ()) -> Rename | None:
    r = rules.next_edits
    at_new, a, old, new = token
    node = _name_at(now, at_new, at_new + len(new), r)
    if node is None or now.node_text(node) != new:
        return None
    old_node = _name_at(then, a, a + len(old), r)
    if old_node is None or then.node_text(old_node) != old or old_node.type != node.type:
        return None
    if now.tree.root_node.has_error and _near_error(node):
        return None
    member = _is_member_access(old_node, r) or _declares_member(old_node, r)
    if member:
        cls = next((x for x in ancestors(old_node) if x.type in r.classes), None)
        if cls is None:  # `module.name`, `obj.attr` outside a class: the same words in the file
            return _textual(old, new, _role(old_node, r), then, rules, recent)
        if any(then.node_text(n) == new for n in _uses(cls, new, then, r, member=True)):
            return None  # the class has a member of that name: another member, not a rename
        return Rename(old, new, "member", cls.type, False, rules.group)
    if _member_place(old_node, r):  # a keyword argument's name: the same keyword in the file
        return _textual(old, new, _role(old_node, r), then, rules, recent)
    scope = _scope_of(old_node, (old,), then, r)
    if scope == then.tree.root_node and not declares(scope, old, then, r):
        # Bound nowhere, where a function around binds ``new``: its parameter was renamed (in
        # an edit that changed more), its uses follow.
        around = _scope_of(old_node, (new,), then, r)
        if around.parent is not None:
            return Rename(old, new, "variable", around.type, False, rules.group)
        # Bound nowhere in this file (a star import's, a global's): the same words in the file.
        return None if old in rules.builtins else _textual(old, new, "name", then, rules, recent)
    # A use changed to a name the code already knows: a different variable, not a rename.
    if not is_binding(old_node, r):
        if scope.parent is None:  # a file's name changed at one use: the same words
            return _textual(old, new, "name", then, rules, recent)
        if new in rules.builtins:
            return None
        for a_ in ancestors(scope):
            if a_.type in r.scopes or a_.parent is None:
                if declares(a_, new, then, r):
                    # A variable the user just wrote taking over from ``old``: its uses after
                    # this one (`guessed = guess(ty)`, then `ty` -> `guessed` below it).
                    if a_.parent is not None and _fresh(new, recent) and \
                            not _bound_together(a_, new, old, then, r):
                        return Rename(old, new, "variable", a_.type, False, rules.group,
                                      wrap=False)
                    return None
    if _uses(scope, new, then, r, member=False):
        return None
    top = scope == then.tree.root_node and _defines(scope, old, then, r)
    function = ""
    plist = _parameter_list(then, a, a + len(old), r)
    if r.keyword_argument and plist is not None and is_binding(old_node, r):
        function = _function_name(plist.parent, then, r)
    return Rename(old, new, "variable", "" if scope.parent is None else scope.type, top,
                  rules.group, function)


def _role(node: Node, r: NextEdits) -> str:
    """How a name is used: "member" (`obj.name`), "keyword" (`f(name=...)`) or "name"."""
    if _is_member_access(node, r) or _declares_member(node, r):
        return "member"
    return "keyword" if _member_place(node, r) else "name"


def _same_role(src: Source, name: str, role: str, r: NextEdits) -> list[Node]:
    """The nodes of the file that name ``name`` in ``role``."""
    nodes = found(src, src.tree.root_node, r.names | r.members, name)
    if nodes is None:
        nodes = [n for n in _walk(src.tree.root_node, r) if n.type in r.names | r.members
                 and src.node_text(n) == name]
    return [n for n in nodes if _role(n, r) == role]


def _textual(old: str, new: str, role: str, then: Source, rules: Language,
             recent: Sequence[Edit] = ()) -> Rename | None:
    """A rename the scopes cannot tell (a module's member, a keyword, a name bound in another
    file): the same word in the same role elsewhere in the file, unless the file already used
    ``new`` so (then ``old`` and ``new`` are two things; only imported, it is the new name:
    `import typing as t`, then `typing.X` -> `t.X`; or written by the user's last edits)."""
    r = rules.next_edits
    if _fresh(new, recent):
        return Rename(old, new, "text", role, False, rules.group)
    for n in _same_role(then, new, role, r):
        if not is_binding(n, r) or not any(a.type in r.imports for a in ancestors(n, 8)):
            return None
    return Rename(old, new, "text", role, False, rules.group)


def continues(intent: Intent, edit: Edit, doc: Document) -> bool:
    """Whether ``edit`` (the last of ``doc``) is one more step of ``intent`` made by hand: the
    same name renamed at another place, or a call of the same function changed."""
    rules = rules_for(doc.language_id)
    if rules is None or rules.next_edits is None or doc.tree is None or \
            rules.group != intent.group or doc.version != edit.version:
        return False
    r = rules.next_edits
    src = Source(doc.text, doc.tree, doc.language_id)
    if isinstance(intent, Rename):
        before = doc.text[:edit.start] + edit.old + doc.text[edit.end:]
        tokens = renamed_tokens(edit, doc.text, before, rules)
        return any(token[2:] == (intent.old, intent.new) for token in tokens)
    node = src.tree.root_node.named_descendant_for_byte_range(src.byte(edit.start),
                                                              src.byte(edit.end))
    for call in ancestors(node, 8):
        fields = r.calls.get(call.type)
        if fields is None:
            continue
        callee, args = (call.child_by_field_name(f) for f in fields)
        if callee is None or args is None:
            return False
        if callee.type not in r.names | r.members and callee.named_children:
            callee = callee.named_children[-1]
        a, b = src.span(args)
        return src.node_text(callee) == intent.name and a < edit.start and edit.end < b
    return False


def _near_error(node: Node) -> bool:
    return any(a.type == "ERROR" or a.is_missing for a in ancestors(node, 4))


def _defines(root: Node, name: str, src: Source, r: NextEdits) -> bool:
    """Whether the file defines ``name`` at its top (a function, a class)."""
    for n in _own_nodes(root, r):
        for kind, field in r.definitions:
            if n.type == kind:
                name_node = n.child_by_field_name(field)
                if name_node is not None and src.node_text(name_node) == name:
                    return True
    return False


def _imports(root: Node, name: str, src: Source, r: NextEdits) -> bool:
    """Whether the file imports ``name`` by name."""
    for n in _own_nodes(root, r):
        if n.type in r.imports:
            if any(m.type in r.names and src.node_text(m) == name for m in _walk(n, r)):
                return True
    return False


def _parameter_list(src: Source, start: int, end: int, r: NextEdits) -> Node | None:
    """The parameter list (of a definition) that holds characters ``[start, end)``."""
    node = src.tree.root_node.named_descendant_for_byte_range(src.byte(start), src.byte(end))
    for a in ancestors(node, 12):
        if a.type in r.parameters and _field(a) == "parameters":
            a_start, a_end = src.span(a)
            return a if a_start < start and end < a_end else None
    return None


def _function_name(definition: Node, src: Source, r: NextEdits) -> str:
    """The name a function is called by ("" for an anonymous function)."""
    for field in ("name", "declarator"):
        node = definition.child_by_field_name(field)
        if node is not None and node.type in r.names | r.members:
            return src.node_text(node)
    return ""


def _names_in(param: Node, src: Source, r: NextEdits) -> list[str]:
    """The names a parameter node declares (Go's `a, b int`: two)."""
    if param.type in r.names:
        return [src.node_text(param)]
    named = [param.children[i] for i in range(param.child_count)
             if param.field_name_for_child(i) == "name"]
    if len(named) > 1:
        return [src.node_text(n) for n in named if n.type in r.names]
    for field in ("name", "pattern", "declarator"):
        node = param.child_by_field_name(field)
        if node is None:
            continue
        while node is not None and node.type not in r.names:
            node = node.child_by_field_name("declarator") or node.child_by_field_name("name")
        # A pattern (`(a, b): (i32, i32)`) is one parameter: its text stands for it.
        return [src.node_text(node or param.child_by_field_name(field))]
    for child in param.named_children:
        if child.type in r.names:
            return [src.node_text(child)]
        if child.type in r.patterns:
            return _names_in(child, src, r)
    return []


def _params(plist: Node, src: Source, r: NextEdits, method: bool) -> tuple[Param, ...] | None:
    """The parameters a call passes arguments for, in order (a method's receiver left out);
    None when the list is not plain enough to match with arguments."""
    out: list[Param] = []
    keyword = False
    for child in plist.named_children:
        if child.type in r.keyword_marker:
            keyword = True
            continue
        if child.type in r.variadic:
            keyword = True
            continue
        if child.type in r.ignored_params or "comment" in child.type:
            continue
        names = _names_in(child, src, r)
        if not names:
            return None
        default = child.type in r.defaults or child.child_by_field_name("value") is not None
        for name in names:
            out.append(Param(name, default, keyword))
    if method and out and out[0].name in r.receiver_names:
        out = out[1:]
    return tuple(out)


def _lists_in(src: Source, start: int, end: int, r: NextEdits) -> dict[str, Node]:
    """The parameter lists of definitions that overlap characters ``[start, end]``, by the
    function's name (a name found twice is left out)."""
    node = src.tree.root_node.named_descendant_for_byte_range(src.byte(start), src.byte(end))
    outer = next((a for a in ancestors(node) if a.type in r.scopes or a.parent is None), None)
    out: dict[str, Node] = {}
    twice: set[str] = set()
    lo, hi = src.byte(start), src.byte(end)
    for plist in found(src, outer, r.parameters) or []:
        if plist.start_byte > hi or plist.end_byte < lo or _field(plist) != "parameters":
            continue
        name = _function_name(plist.parent, src, r) if plist.parent is not None else ""
        if name:
            if name in out:
                twice.add(name)
            out[name] = plist
    return {k: v for k, v in out.items() if k not in twice}


def _signature(edit: Edit, now: Source, then: Source, rules: Language) -> Signature | None:
    r = rules.next_edits
    # The list the edit starts in (a hunk may change the body too)...
    old_list = _parameter_list(then, edit.start, edit.start, r)
    new_list = _parameter_list(now, edit.start, edit.start, r)
    if old_list is None or new_list is None:
        # ... or the one list of a definition it changed with more (its doc comment).
        olds = _lists_in(then, edit.start, edit.start + len(edit.old), r)
        news = _lists_in(now, edit.start, edit.end, r)
        both = [k for k in news if k in olds]
        if len(both) != 1:
            return None
        old_list, new_list = olds[both[0]], news[both[0]]
    if new_list.has_error or old_list.parent is None or new_list.parent is None:
        return None
    old_def, new_def = old_list.parent, new_list.parent
    name = _function_name(new_def, now, r)
    if not name or name != _function_name(old_def, then, r):
        return None
    in_class = any(a.type in r.classes for a in ancestors(new_def.parent, 64))
    method = in_class or new_def.child_by_field_name("receiver") is not None
    old, new = _params(old_list, then, r, method), _params(new_list, now, r, method)
    change = _change(old, new) if old is not None and new is not None else None
    if change is None:
        return None
    if change[0] == "removed" and any(c.type in r.open_params for c in new_list.named_children):
        return None  # `**kwargs` still takes the argument: the calls need not change
    top = new_def.parent is not None and new_def.parent.parent is None
    top = top or (new_def.parent is not None and new_def.parent.parent is not None
                  and new_def.parent.parent.parent is None and not in_class
                  and new_def.parent.type not in r.scopes)  # a decorated definition
    return Signature(name, old, new, method, rules.group, top and not method)


def _change(old: tuple[Param, ...], new: tuple[Param, ...]) -> tuple[str, int, int] | None:
    """("added", i, 1) when ``new`` is ``old`` with ``new[i]`` added, ("removed", i, k) when
    it is ``old`` without ``old[i:i + k]``, else None."""
    if len(new) == len(old) + 1:
        for i in range(len(new)):
            if new[:i] + new[i + 1:] == old:
                return ("added", i, 1) if _NAME.match(new[i].name) else None
    k = len(old) - len(new)
    if 0 < k <= MAX_REMOVED:
        for i in range(len(new) + 1):
            if old[:i] + old[i + k:] == new:
                return ("removed", i, k)
    return None


def _signature_places(intent: Signature, doc: Document, src: Source, anchor: Edit | None,
                      rules: Language) -> list[Place]:
    r = rules.next_edits
    root = src.tree.root_node
    if anchor is None and not (_defines(root, intent.name, src, r)
                               or _imports(root, intent.name, src, r)):
        return []
    change = _change(intent.old, intent.new)
    if change is None:
        return []
    # The calls the definition's name reaches: in the function or class around it, or the file.
    scope = _definition_scope(src, intent, r) if anchor is not None else root
    calls = found(src, scope, frozenset(r.calls))
    if calls is None:
        calls = [n for n in _walk(scope, r) if n.type in r.calls]
    out = []
    for n in calls:
        fields = r.calls[n.type]
        callee = n.child_by_field_name(fields[0])
        args = n.child_by_field_name(fields[1])
        if callee is None or args is None:
            continue
        member = callee.type not in r.names | r.members
        if member:
            callee = callee.named_children[-1] if callee.named_children else None
            if callee is None or callee.type not in r.names | r.members:
                continue
        if src.node_text(callee) != intent.name:
            continue
        if member and not intent.method and anchor is not None:
            continue  # `obj.name(...)` in the function's own file: another function
        if intent.method and not member and r.receiver_names:
            continue  # a method whose receiver is written is called through it
        if change[0] == "added" and intent.new[change[1]].default and not _visible(
                n, intent.new[change[1]].name, src, r):
            continue  # an optional parameter: passed only where a variable of its name is
        place = _call_place(intent, change, args, src, r, doc.uri)
        if place is not None:
            out.append(attrs.evolve(place, key=src.char(n.start_byte)))
    out.sort(key=lambda p: p.start)
    return out


def _definition_scope(src: Source, intent: Signature, r: NextEdits) -> Node:
    """Where the calls of ``intent``'s function can be: the class of a method, the function
    a nested function is defined in, else the file."""
    root = src.tree.root_node
    for n in found(src, root, r.names | r.members, intent.name) or []:
        definition = n.parent
        if definition is None or _field(n) not in ("name", "declarator"):
            continue
        plist = definition.child_by_field_name("parameters")
        if plist is None or _params(plist, src, r, intent.method) != intent.new:
            continue
        if intent.method:
            return next((a for a in ancestors(definition) if a.type in r.classes), root)
        owner = _owner(n, r)
        if owner is not None and owner.child_by_field_name("declarator") == definition:
            # C: the name is in a declarator of the function itself; its scope is around it.
            owner = next((a for a in ancestors(owner.parent) if a.type in r.scopes), None)
        return owner if owner is not None else root
    return root


def _visible(node: Node, name: str, src: Source, r: NextEdits) -> bool:
    """Whether a function around ``node`` binds ``name`` (a parameter, a local)."""
    return any(a.type in r.scopes and declares(a, name, src, r) for a in ancestors(node.parent))


def _call_place(intent: Signature, change: tuple[str, int], args: Node, src: Source,
                r: NextEdits, uri: str) -> Place | None:
    """The edit that makes one call match the new parameters (None: it already does, or the
    call is not plain enough to tell)."""
    items = [a for a in args.named_children if "comment" not in a.type]
    if any(a.type in r.splats for a in items):
        return None
    keywords = {}
    for a in items:
        if a.type == r.keyword_argument:
            key = a.child_by_field_name("name")
            if key is not None:
                keywords[src.node_text(key)] = a
    positional = [a for a in items if a.type != r.keyword_argument]
    if len(positional) < len(items) and any(
            a.type != r.keyword_argument for a in items[len(positional):]):
        return None  # a positional argument after a keyword one: not plain
    what, i, count = change
    lo, hi = src.span(args)
    if what == "added":
        param = intent.new[i]
        if param.name in keywords:
            return None
        if param.default and not param.keyword and r.keyword_argument:
            param = attrs.evolve(param, keyword=True)  # an optional one: by its name
        if param.keyword:
            text = f"{param.name}={param.name}"
            if items:
                end = src.span(items[-1])[1]
                return Place(uri, end, end, ", " + text)
            return Place(uri, lo + 1, lo + 1, text)
        k = sum(1 for p in intent.new[:i] if not p.keyword)
        n = len(positional)
        old_positional = sum(1 for p in intent.old if not p.keyword)
        if n > old_positional or n < k or (param.default and n != k):
            return None  # already updated, or defaults left out before it: unsure
        if n > k:
            start = src.span(positional[k])[0]
            return Place(uri, start, start, param.name + ", ")
        if items and len(items) > n:  # before the first keyword argument
            start = src.span(items[n])[0]
            return Place(uri, start, start, param.name + ", ")
        if items:
            end = src.span(items[-1])[1]
            return Place(uri, end, end, ", " + param.name)
        return Place(uri, lo + 1, lo + 1, param.name)
    targets = []
    new_positional = sum(1 for p in intent.new if not p.keyword)
    for m in range(i, i + count):
        param = intent.old[m]
        target = keywords.get(param.name)
        if target is None and not param.keyword:
            k = sum(1 for p in intent.old[:m] if not p.keyword)
            if len(positional) > max(k, new_positional):
                target = positional[k]
        if target is not None:
            targets.append(items.index(target))
    if not targets:
        return None  # already updated (or the arguments were left out)
    targets.sort()
    first, last = targets[0], targets[-1]
    if last - first + 1 != len(targets):
        return None  # not next to each other: unsure
    if last + 1 < len(items):
        return Place(uri, src.span(items[first])[0], src.span(items[last + 1])[0], "")
    if first > 0:
        return Place(uri, src.span(items[first - 1])[1], src.span(items[last])[1], "")
    return Place(uri, src.span(items[first])[0], src.span(items[last])[1], "")


# -- the next place ----------------------------------------------------------------------------
def next_place(intent: Intent, anchor: Edit, docs: Iterable[Document],
               done: frozenset[tuple[str, int]] = frozenset()) -> Place | None:
    """The next place ``intent`` still has to change: after ``anchor`` (the last change) in
    its document, then before it, then in the other open documents it reaches; not the call
    sites ``done`` names (``(uri, key)``: updated already in this chain)."""
    docs = list(docs)
    home = next((d for d in docs if d.uri == anchor.uri), None)
    if home is None:
        return None
    order = [home] + [d for d in docs if d.uri != home.uri]
    for doc in order:
        rules = rules_for(doc.language_id)
        if rules is None or rules.next_edits is None or doc.tree is None:
            continue
        if rules.group != intent.group:
            continue
        places = [p for p in _places(intent, doc, anchor if doc is home else None, rules)
                  if (p.uri, p.key) not in done]
        if doc is home:
            after = [p for p in places if p.start >= anchor.end]
            before = [p for p in places if p.end <= anchor.start and getattr(intent, "wrap", True)]
            places = after + before
        if places:
            return places[0]
        if doc is home and not _reaches_others(intent):
            return None
    return None


def _reaches_others(intent: Intent) -> bool:
    return intent.top_level


def _places(intent: Intent, doc: Document, anchor: Edit | None, rules: Language
            ) -> list[Place]:
    src = Source(doc.text, doc.tree, doc.language_id)
    if isinstance(intent, Rename):
        return _rename_places(intent, doc, src, anchor, rules)
    return _signature_places(intent, doc, src, anchor, rules)


def _rename_places(intent: Rename, doc: Document, src: Source, anchor: Edit | None,
                   rules: Language) -> list[Place]:
    r = rules.next_edits
    root = src.tree.root_node
    member = intent.kind == "member"
    if intent.kind == "text":  # the same word in the same role, in this document only
        if anchor is None:
            return []
        return [Place(doc.uri, *src.span(n), intent.new)
                for n in _same_role(src, intent.old, intent.scope_type, r)
                if not any(a.type in r.imports for a in ancestors(n, 8))]
    if anchor is None:  # another document: only a top-level definition it imports
        if member or not intent.top_level:
            return []
        if _defines(root, intent.old, src, r) or not (
                _defines(root, intent.new, src, r) or _imports(root, intent.old, src, r)
                or _imports(root, intent.new, src, r)):
            return []
        scope = root
    else:
        node = _anchor_name(src, anchor, intent.new, r)
        if node is None:
            return []
        if member:
            scope = next((x for x in ancestors(node) if x.type == intent.scope_type), None)
        elif intent.parameter_of and _member_place(node, r):  # a call's keyword argument
            scope = _function_scope(src, intent.parameter_of, r)
        else:
            scope = _scope_of(node, (intent.old, intent.new), src, r)
        if scope is None or (not member and (
                scope.type if scope.parent is not None else "") != intent.scope_type):
            return []
    out = []
    for n in _uses(scope, intent.old, src, r, member=member):
        a, b = src.span(n)
        out.append(Place(doc.uri, a, b, intent.new))
    if intent.parameter_of and anchor is not None:
        out.extend(_keyword_places(intent, doc.uri, src, r))
    out.sort(key=lambda p: p.start)
    return out


def _anchor_name(src: Source, anchor: Edit, name: str, r: NextEdits) -> Node | None:
    """The name ``name`` the last change wrote (the first, when it wrote several)."""
    node = _name_at(src, anchor.start, anchor.end, r)
    if node is not None and src.node_text(node) == name:
        return node
    lo, hi = anchor.start - len(name), anchor.end + len(name)
    for n in found(src, src.tree.root_node, r.names | r.members, name) or []:
        a, b = src.span(n)
        if lo <= a and b <= hi:
            return n
    return None


def _function_scope(src: Source, name: str, r: NextEdits) -> Node | None:
    """The definition of function ``name`` in the file (the first one)."""
    for n in found(src, src.tree.root_node, r.names, name) or []:
        parent = n.parent
        if parent is not None and parent.type in r.scopes and _field(n) == "name" and \
                parent.child_by_field_name("parameters") is not None:
            return parent
    return None


def _keyword_places(intent: Rename, uri: str, src: Source, r: NextEdits) -> list[Place]:
    """The keyword arguments ``old=`` of the calls of the function whose parameter
    ``old`` was."""
    out = []
    for kw in found(src, src.tree.root_node, frozenset({r.keyword_argument})) or []:
        key = kw.child_by_field_name("name")
        call = kw.parent.parent if kw.parent is not None else None
        if key is None or call is None or src.node_text(key) != intent.old:
            continue
        fields = r.calls.get(call.type)
        callee = call.child_by_field_name(fields[0]) if fields else None
        if callee is not None and callee.type not in r.names | r.members and \
                callee.named_children:
            callee = callee.named_children[-1]
        if callee is not None and src.node_text(callee) == intent.parameter_of:
            a, b = src.span(key)
            out.append(Place(uri, a, b, intent.new))
    return out


def proposal_of(place: Place, intent: Intent, doc: Document) -> Proposal:
    if isinstance(intent, Rename):
        label = f"Rename `{intent.old}` to `{intent.new}`"
        reason = "rename"
    else:
        change = _change(intent.old, intent.new)
        what, i, count = change if change is not None else ("", 0, 1)
        if what == "added":
            label = f"Pass `{intent.new[i].name}` to `{intent.name}`"
        elif count == 1:
            label = f"Remove the argument of `{intent.old[i].name}` from `{intent.name}`"
        else:
            names = ", ".join(f"`{p.name}`" for p in intent.old[i:i + count])
            label = f"Remove the arguments of {names} from `{intent.name}`"
        reason = "signature"
    return Proposal(place.uri, doc.version, place.start, place.end, place.text, label,
                    "syntax", reason)
