"""Next edits read from the syntax tree: the other uses of a renamed name, the call sites of a
function whose parameters changed.

``intent_of`` reads what the user's last edit meant (a ``Rename`` or a ``Signature`` change,
else None: quiet by default); ``next_place`` finds, in the open documents as they are now, the
next place that intent still has to change, in the order a user would go: after the last
change in its document, then before it, then the other open documents. The language's rules
(``languages.base.NextEdits``) say which nodes are names, bindings, scopes and calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

import attrs
from tree_sitter import Query, QueryCursor

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
    top-level name) or a member of a class ("member")."""

    old: str
    new: str
    kind: str  # "variable" or "member"
    scope_type: str  # the node type of the scope ("" for the file)
    top_level: bool  # a file's definition: other open documents that import it follow
    group: str  # languages that see each other's names


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


def parse(text: str, language_id: str) -> Tree | None:
    parser = new_parser(language_id)
    if parser is None:
        return None
    try:
        return parser.parse(text.encode("utf-8", "surrogatepass"))
    except Exception:  # noqa: BLE001 - a grammar bug: no next edit, the server goes on
        return None


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
def intent_of(edit: Edit, doc: Document) -> Intent | None:
    """What ``edit`` (the last burst of ``doc``, its current text) means: a rename or a
    signature change, else None."""
    rules = rules_for(doc.language_id)
    if rules is None or rules.next_edits is None or doc.tree is None:
        return None
    if doc.version != edit.version or edit.end > len(doc.text):
        return None
    before = doc.text[:edit.start] + edit.old + doc.text[edit.end:]
    old_tree = parse(before, doc.language_id)
    if old_tree is None:
        return None
    now = Source(doc.text, doc.tree, doc.language_id)
    then = Source(before, old_tree, doc.language_id)
    return (_rename(edit, now, then, rules) or _signature(edit, now, then, rules))


def _rename(edit: Edit, now: Source, then: Source, rules: Language) -> Rename | None:
    r = rules.next_edits
    node = _name_at(now, edit.start, edit.end, r)
    if node is None:
        return None
    a, b = now.span(node)
    new = now.text[a:b]
    old = new[:edit.start - a] + edit.old + new[edit.end - a:]
    if old == new or not _valid_name(old, rules) or not _valid_name(new, rules):
        return None
    old_node = _name_at(then, a, a + len(old), r)
    if old_node is None or then.node_text(old_node) != old or old_node.type != node.type:
        return None
    if now.tree.root_node.has_error and _near_error(node):
        return None
    member = _is_member_access(old_node, r) or _declares_member(old_node, r)
    if member:
        cls = next((x for x in ancestors(old_node) if x.type in r.classes), None)
        if cls is None:
            return None
        if any(then.node_text(n) == new for n in _uses(cls, new, then, r, member=True)):
            return None  # the class has a member of that name: another member, not a rename
        return Rename(old, new, "member", cls.type, False, rules.group)
    if _member_place(old_node, r):
        return None  # a keyword argument's name: the parameter is renamed elsewhere
    scope = _scope_of(old_node, (old,), then, r)
    if scope == then.tree.root_node and not declares(scope, old, then, r):
        return None  # bound nowhere in this file (a builtin, an import's member): unsure
    # A use changed to a name the code already knows: a different variable, not a rename.
    if not is_binding(old_node, r):
        if scope.parent is None:
            return None  # a file's name (an import's, a function's) changed at one use: unsure
        if new in rules.builtins:
            return None
        for a_ in ancestors(scope):
            if a_.type in r.scopes or a_.parent is None:
                if declares(a_, new, then, r):
                    return None
    if _uses(scope, new, then, r, member=False):
        return None
    top = scope == then.tree.root_node and _defines(scope, old, then, r)
    return Rename(old, new, "variable", "" if scope.parent is None else scope.type, top,
                  rules.group)


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
        node = _name_at(src, edit.start, edit.end, r)
        if node is None:
            return False
        a, b = src.span(node)
        new = src.text[a:b]
        return new == intent.new and \
            new[:edit.start - a] + edit.old + new[edit.end - a:] == intent.old
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


def _signature(edit: Edit, now: Source, then: Source, rules: Language) -> Signature | None:
    r = rules.next_edits
    old_list = _parameter_list(then, edit.start, edit.start + len(edit.old), r)
    new_list = _parameter_list(now, edit.start, edit.end, r)
    if old_list is None or new_list is None or new_list.has_error:
        return None
    old_def, new_def = old_list.parent, new_list.parent
    if old_def is None or new_def is None or old_def.start_byte != new_def.start_byte:
        return None
    name = _function_name(new_def, now, r)
    if not name or name != _function_name(old_def, then, r):
        return None
    in_class = any(a.type in r.classes for a in ancestors(new_def.parent, 64))
    method = in_class or new_def.child_by_field_name("receiver") is not None
    old, new = _params(old_list, then, r, method), _params(new_list, now, r, method)
    if old is None or new is None or _change(old, new) is None:
        return None
    top = new_def.parent is not None and new_def.parent.parent is None
    top = top or (new_def.parent is not None and new_def.parent.parent is not None
                  and new_def.parent.parent.parent is None and not in_class
                  and new_def.parent.type not in r.scopes)  # a decorated definition
    return Signature(name, old, new, method, rules.group, top and not method)


def _change(old: tuple[Param, ...], new: tuple[Param, ...]) -> tuple[str, int] | None:
    """("added", i) when ``new`` is ``old`` with ``new[i]`` added (without a default),
    ("removed", i) when it is ``old`` without ``old[i]``, else None."""
    if len(new) == len(old) + 1:
        for i in range(len(new)):
            if new[:i] + new[i + 1:] == old:
                plain = _NAME.match(new[i].name) is not None
                return None if new[i].default or not plain else ("added", i)
    if len(new) + 1 == len(old):
        for i in range(len(old)):
            if old[:i] + old[i + 1:] == new:
                return ("removed", i)
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
    out = []
    for n in _walk(root, r):
        fields = r.calls.get(n.type)
        if fields is None:
            continue
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
        place = _call_place(intent, change, args, src, r, doc.uri)
        if place is not None:
            out.append(attrs.evolve(place, key=src.char(n.start_byte)))
    out.sort(key=lambda p: p.start)
    return out


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
    what, i = change
    lo, hi = src.span(args)
    if what == "added":
        param = intent.new[i]
        if param.name in keywords:
            return None
        if param.keyword:
            text = f"{param.name}={param.name}"
            if items:
                end = src.span(items[-1])[1]
                return Place(uri, end, end, ", " + text)
            return Place(uri, lo + 1, lo + 1, text)
        k = sum(1 for p in intent.new[:i] if not p.keyword)
        n = len(positional)
        old_positional = sum(1 for p in intent.old if not p.keyword)
        if n > old_positional or n < k:
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
    param = intent.old[i]
    target = keywords.get(param.name)
    if target is None:
        if param.keyword:
            return None
        k = sum(1 for p in intent.old[:i] if not p.keyword)
        new_positional = sum(1 for p in intent.new if not p.keyword)
        if len(positional) <= max(k, new_positional):
            return None  # already updated (or the argument was left out)
        target = positional[k]
    j = items.index(target)
    if j + 1 < len(items):
        return Place(uri, src.span(target)[0], src.span(items[j + 1])[0], "")
    if j > 0:
        return Place(uri, src.span(items[j - 1])[1], src.span(target)[1], "")
    a, b = src.span(target)
    return Place(uri, a, b, "")


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
            before = [p for p in places if p.end <= anchor.start]
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
    if anchor is None:  # another document: only a top-level definition it imports
        if member or not intent.top_level:
            return []
        if _defines(root, intent.old, src, r) or not (
                _defines(root, intent.new, src, r) or _imports(root, intent.old, src, r)
                or _imports(root, intent.new, src, r)):
            return []
        scope = root
    else:
        node = _name_at(src, anchor.start, anchor.end, r)
        if node is None or src.node_text(node) != intent.new:
            return []
        if member:
            scope = next((x for x in ancestors(node) if x.type == intent.scope_type), None)
        else:
            scope = _scope_of(node, (intent.old, intent.new), src, r)
            if (scope.type if scope.parent is not None else "") != intent.scope_type:
                return []
        if scope is None:
            return []
    out = []
    for n in _uses(scope, intent.old, src, r, member=member):
        a, b = src.span(n)
        out.append(Place(doc.uri, a, b, intent.new))
    out.sort(key=lambda p: p.start)
    return out


def proposal_of(place: Place, intent: Intent, doc: Document) -> Proposal:
    if isinstance(intent, Rename):
        label = f"Rename `{intent.old}` to `{intent.new}`"
        reason = "rename"
    else:
        change = _change(intent.old, intent.new)
        what, i = change if change is not None else ("", 0)
        if what == "added":
            label = f"Pass `{intent.new[i].name}` to `{intent.name}`"
        else:
            label = f"Remove the argument of `{intent.old[i].name}` from `{intent.name}`"
        reason = "signature"
    return Proposal(place.uri, doc.version, place.start, place.end, place.text, label,
                    "syntax", reason)
