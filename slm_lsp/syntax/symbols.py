"""Definitions, imports and identifiers of a file, read from its tree-sitter tree.

``extract`` returns what the workspace index keeps of a file: each top-level definition
(functions, classes, methods grouped under their type, constants, types) with the text a model
should see of it, and the file's import specifiers as written (``syntax.imports``; resolved to
workspace files by ``context.snippets.resolve_imports``). A definition's text is its whole
source when it is small, else its signature: the header up to the body, the first docstring line
(Python), and the signatures of its members (classes, traits, impls, interfaces).

Only the top level is read (plus namespaces, Rust modules, C preprocessor conditionals and
export wrappers), so extraction costs a walk over a few hundred nodes even for large files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import attrs

from ..languages import SYMBOLS_INDENTED, rules_for
from .imports import extract_imports
from .tree import descendants

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

# A definition is shown whole when it is at most this many lines and characters.
SMALL_LINES = 12
SMALL_CHARS = 600
# Caps per definition and per file: the index stays small whatever the workspace holds.
MAX_DEF_CHARS = 1200
MAX_MEMBERS = 24
MAX_DEFS_PER_FILE = 200
MAX_IMPORTS_PER_FILE = 100


@attrs.frozen
class Definition:
    """One definition: ``name`` is what a reference to it is spelled as."""

    name: str
    kind: str  # function, class, type, constant, impl, macro
    line: int  # 0-based line of its first character
    text: str


@attrs.frozen
class FileSymbols:
    """What the index keeps of one file."""

    definitions: tuple[Definition, ...] = ()
    imports: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """Approximate bytes held (text of definitions and imports)."""
        return sum(len(d.text) + len(d.name) + 64 for d in self.definitions) + sum(
            len(i) + 16 for i in self.imports)


def _text(data: bytes, a: int, b: int) -> str:
    return data[a:b].decode("utf-8", "replace")


def _cap(text: str, limit: int = MAX_DEF_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit]


def _is_small(node: Node) -> bool:
    return (node.end_point[0] - node.start_point[0] < SMALL_LINES
            and node.end_byte - node.start_byte <= SMALL_CHARS)


def _whole(node: Node, data: bytes, start: Node | None = None) -> str:
    return _cap(_text(data, (start or node).start_byte, node.end_byte))


def _header(node: Node, body: Node | None, data: bytes, start: Node | None = None) -> str:
    begin = (start or node).start_byte
    end = body.start_byte if body is not None else node.end_byte
    return _text(data, begin, end).rstrip()


def _indent(node: Node, data: bytes) -> str:
    line_start = data.rfind(b"\n", 0, node.start_byte) + 1
    return _text(data, line_start, node.start_byte)


def _name(node: Node | None) -> str:
    if node is None:
        return ""
    if node.type in ("identifier", "type_identifier", "field_identifier", "property_identifier",
                     "constant", "name", "dotted_name"):
        return (node.text or b"").decode("utf-8", "replace")
    for field in ("declarator", "name", "type"):
        inner = node.child_by_field_name(field)
        if inner is not None:
            return _name(inner)
    if node.type in ("qualified_identifier", "scoped_identifier", "scoped_type_identifier",
                     "generic_type", "destructor_name"):
        last = node.named_children[-1] if node.named_children else None
        return _name(last)
    return ""


# -- Python ------------------------------------------------------------------------------------

def _py_doc_line(body: Node | None, data: bytes, indent: str) -> str:
    if body is None or not body.named_children:
        return ""
    first = body.named_children[0]
    if first.type == "expression_statement" and first.named_children and \
            first.named_children[0].type == "string":
        raw = _text(data, first.start_byte, first.end_byte).strip()
        quote = raw[:3] if raw[:3] in ('"""', "'''") else raw[:1]
        line = raw.strip("\"'rbuRBU").strip().split("\n", 1)[0].strip()
        return f"\n{indent}{quote}{line}{quote}" if line else ""
    return ""


def _py_def(node: Node, data: bytes, outer: Node) -> Definition | None:
    name = _name(node.child_by_field_name("name"))
    if not name:
        return None
    kind = "class" if node.type == "class_definition" else "function"
    line = outer.start_point[0]
    if _is_small(outer):
        return Definition(name, kind, line, _whole(outer, data))
    body = node.child_by_field_name("body")
    inner = _indent(node, data) + "    "
    text = _header(node, body, data, start=outer) + _py_doc_line(body, data, inner)
    if kind == "class" and body is not None:
        members = []
        for child in body.named_children:
            target = child.child_by_field_name("definition") \
                if child.type == "decorated_definition" else child
            if target is not None and target.type == "function_definition":
                sig = _header(target, target.child_by_field_name("body"), data)
                members.append(f"\n{inner}{sig} ...")
            elif child.type == "expression_statement" and child.end_point[0] == \
                    child.start_point[0] and child.named_children and \
                    child.named_children[0].type == "assignment":
                members.append(f"\n{inner}{_text(data, child.start_byte, child.end_byte)}")
        text += "".join(members[:MAX_MEMBERS])
    elif kind == "function":
        text += f"\n{inner}..."
    return Definition(name, kind, line, _cap(text))


def _python(root: Node, data: bytes) -> Iterator[Definition]:
    for node in root.named_children:
        outer = node
        if node.type == "decorated_definition":
            node = node.child_by_field_name("definition") or node
        if node.type in ("function_definition", "class_definition"):
            d = _py_def(node, data, outer)
            if d:
                yield d
        elif node.type == "expression_statement" and node.named_children:
            stmt = node.named_children[0]
            left = stmt.child_by_field_name("left") if stmt.type == "assignment" else None
            if left is not None and left.type == "identifier":
                yield Definition(_name(left), "constant", node.start_point[0],
                                 _cap(_whole(node, data), 300))
        elif node.type == "type_alias_statement":
            yield Definition(_name(node.named_children[0]), "type", node.start_point[0],
                             _whole(node, data))


# -- brace languages ---------------------------------------------------------------------------

# Containers whose children are read as if they were top level.
_TRANSPARENT = {"export_statement", "preproc_ifdef", "preproc_if", "preproc_else",
                "preproc_elif", "linkage_specification", "template_declaration",
                "type_declaration", "const_declaration", "ambient_declaration"}
_NAMESPACES = {"namespace_definition", "mod_item"}
_MEMBER_TYPES = {"method_definition", "method_signature", "abstract_method_signature",
                 "public_field_definition", "field_definition", "method_declaration",
                 "constructor_declaration", "field_declaration", "function_item",
                 "function_signature_item", "function_definition", "declaration",
                 "property_signature", "enum_constant"}
_BODIES = {"class_body", "declaration_list", "field_declaration_list", "interface_body",
           "enum_body", "object_type", "statement_block", "block", "compound_statement",
           "enum_variant_list", "annotation_type_body"}


def _body(node: Node) -> Node | None:
    body = node.child_by_field_name("body")
    if body is not None:
        return body
    for child in node.named_children:
        if child.type in _BODIES:
            return child
    return None


def _member_sig(member: Node, data: bytes) -> str:
    body = _body(member)
    if body is None or member.type in ("field_declaration", "public_field_definition"):
        return _text(data, member.start_byte, member.end_byte).split("\n", 1)[0]
    return _header(member, body, data)


def _signature(node: Node, data: bytes, outer: Node) -> str:
    if _is_small(outer):
        return _whole(outer, data)
    body = _body(node)
    head = _header(node, body, data, start=outer)
    if body is None or body.type in ("statement_block", "block", "compound_statement"):
        return _cap(head)
    indent = _indent(node, data) + "    "
    members = [f"\n{indent}{_member_sig(m, data)}" for m in body.named_children
               if m.type in _MEMBER_TYPES][:MAX_MEMBERS]
    close = "\n" + _indent(node, data) + "}" if members else ""
    return _cap(head + " {" + "".join(members) + close if members else head)


def _last_row(node: Node) -> int:
    """The last line a node covers (Rust line comments end at the next line's column 0)."""
    row, col = node.end_point
    return row - 1 if col == 0 and row > node.start_point[0] else row


def _doc_comment(node: Node, data: bytes) -> str:
    """The comment right above a definition (``//``, ``///``, ``/** */``), if short."""
    prev = node.prev_sibling
    if prev is None or "comment" not in prev.type or _last_row(prev) != node.start_point[0] - 1:
        return ""
    first = prev
    while first.prev_sibling is not None and "comment" in first.prev_sibling.type and \
            _last_row(first.prev_sibling) == first.start_point[0] - 1:
        first = first.prev_sibling
    if node.start_point[0] - first.start_point[0] > 3:
        return ""
    return _text(data, first.start_byte, prev.end_byte).rstrip() + "\n"


def _brace_name(node: Node) -> str:
    if node.type == "impl_item":
        return _name(node.child_by_field_name("type"))
    if node.type == "method_declaration" and node.child_by_field_name("receiver") is not None:
        # Go methods are grouped with their receiver's type.
        for ident in descendants(node.child_by_field_name("receiver")):
            if ident.type == "type_identifier":
                return _name(ident)
    if node.type == "type_definition":
        return _name(node.child_by_field_name("declarator"))
    return _name(node.child_by_field_name("name") or node.child_by_field_name("declarator"))


def _brace(root: Node, data: bytes, kinds: Mapping[str, str]) -> Iterator[Definition]:
    stack: list[tuple[Node, Node | None]] = [(c, None) for c in reversed(root.named_children)]
    while stack:
        node, outer = stack.pop()
        outer = outer or node
        kind = kinds.get(node.type)
        if node.type in _TRANSPARENT or (node.type in _NAMESPACES and _body(node) is not None):
            container = _body(node) if node.type in _NAMESPACES else node
            # `export ...` and one-spec Go declarations show their keyword with the definition.
            keep = outer if node.type == "export_statement" or (
                node.type in ("type_declaration", "const_declaration")
                and container.named_child_count == 1) else None
            stack.extend((c, keep) for c in reversed(container.named_children))
            continue
        if node.type in ("lexical_declaration", "variable_declaration"):
            for decl in node.named_children:
                if b"require(" in (decl.text or b""):
                    continue  # an import, not a definition
                if decl.type == "variable_declarator" and decl.child_by_field_name(
                        "name") is not None and decl.child_by_field_name("name").type == \
                        "identifier":
                    value = decl.child_by_field_name("value")
                    body = value.child_by_field_name("body") if value is not None and \
                        value.type in ("arrow_function", "function_expression",
                                       "function") else None
                    text = _whole(outer, data) if _is_small(outer) or body is None else \
                        _header(outer, body, data)
                    yield Definition(_name(decl.child_by_field_name("name")),
                                     "function" if body is not None else "constant",
                                     outer.start_point[0], _cap(text, 400))
            continue
        if kind is None:
            continue
        if node.type == "declaration":  # C prototypes only
            if not any(n.type == "function_declarator" for n in descendants(
                    node.child_by_field_name("declarator"))):
                continue
        if node.type in ("struct_specifier", "union_specifier", "enum_specifier",
                         "class_specifier") and _body(node) is None:
            continue
        if node.type == "preproc_def" and node.child_by_field_name("value") is None:
            continue  # include guards and flags
        name = _brace_name(node)
        if name:
            text = _signature(node, data, outer)
            yield Definition(name, kind, outer.start_point[0], _doc_comment(outer, data) + text)


def extract(tree: Tree | None, data: bytes, language_id: str) -> FileSymbols:
    """The definitions and imports of a parsed file (empty for unknown languages)."""
    if tree is None:
        return FileSymbols()
    rules = rules_for(language_id)
    root = tree.root_node
    if rules is not None and rules.symbols == SYMBOLS_INDENTED:
        defs = _python(root, data)
    elif rules is not None and rules.symbol_nodes:
        defs = _brace(root, data, rules.symbol_nodes)
    else:
        return FileSymbols()
    imports = extract_imports(tree, data, language_id)
    out: list[Definition] = []
    for d in defs:
        if d.name:
            out.append(d)
            if len(out) >= MAX_DEFS_PER_FILE:
                break
    return FileSymbols(tuple(out), imports[:MAX_IMPORTS_PER_FILE])


def defined_names(tree: Tree | None, language_id: str) -> set[str]:
    """Names the file defines at top level (cheap: no text beyond the names is read)."""
    if tree is None:
        return set()
    rules = rules_for(language_id)
    braced = rules is not None and bool(rules.symbol_nodes)
    names: set[str] = set()
    stack = list(tree.root_node.named_children)
    while stack:
        node = stack.pop()
        if node.type in _TRANSPARENT or node.type in ("decorated_definition",
                                                      "lexical_declaration",
                                                      "variable_declaration"):
            stack.extend(node.named_children)
            continue
        if "import" in node.type or "include" in node.type or node.type in (
                "use_declaration", "package_clause", "package_declaration"):
            continue
        if node.type == "expression_statement" and node.named_children:
            left = node.named_children[0].child_by_field_name("left")
            if left is not None and left.type == "identifier":
                names.add(_name(left))
            continue
        name = _brace_name(node) if braced else _name(
            node.child_by_field_name("name"))
        if name:
            names.add(name)
    return names
