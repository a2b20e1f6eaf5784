"""What the server knows about a language, in one object: ``Language``.

Each family module (``python.py``, ``javascript.py``...) builds one ``Language`` per LSP
languageId it covers; ``languages.rules_for`` finds it. The rest of the code asks the object
(``rules.line_comment``, ``rules.refactor.blocks``, ``rules.tests``) and never compares a
languageId with a language's name. Algorithms that differ by language (how a docstring reads,
how a test file is laid out, how an extracted function is written) are objects of their own,
defined in the family's module on the bases beside this one (``doc_comments.py``,
``test_conventions.py``, ``extract_text.py``) and named here; the feature runs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from .doc_comments import DocComment
    from .extract_text import Writer
    from .test_conventions import Convention

# Nodes of every grammar that open a nested function are in ``Refactoring.functions``; these are
# the conventions a family picks from (values, never languageIds).
SYMBOLS_INDENTED = "indented"  # Python: definitions are read from the indentation's blocks
SYMBOLS_BRACED = "braced"  # definitions by node type (``Language.symbol_nodes``)


@attrs.frozen
class Grammar:
    """The tree-sitter wheel and the function of it that returns the language pointer."""

    module: str
    function: str = "language"


@attrs.frozen
class Refactoring:
    """What extract function / extract variable and the data-flow walk need of a language.

    The walk's node handlers are the methods ``<handlers>_<node type>`` of ``flow._Walker``
    (``flow_python.py``, ``flow_js.py``, ``flow_go_rust.py``)."""

    handlers: str
    functions: frozenset[str]  # nodes that open a function scope
    loops: frozenset[str]
    blocks: frozenset[str]  # nodes whose children are statements
    expressions: frozenset[str]  # nodes that extract variable accepts
    writer: Writer  # how the new function, its call and a variable are written
    reserved: frozenset[str]  # names a fresh name must not take
    breakable: frozenset[str] = frozenset()  # where a plain `break` may also go (switch)
    snake_case: bool = False  # names in snake_case (else camelCase)
    binds_by_assignment: bool = False  # an assignment binds a local (no declaring keyword)
    if_clauses: bool = False  # an `if`'s other branches are `elif`/`else` clauses
    comprehensions: bool = False  # comprehensions bind names of their own
    for_await: bool = False  # `for await (...)` makes the region asynchronous
    loop_declare_field: str = ""  # the loop's field that holds its declaring keyword
    loop_declare: str = ""  # the keyword a loop variable is declared with, when implicit
    closures_share_self: bool = False  # every closure sees the method's `self`
    grouped_params: bool = False  # `a, b int`: one parameter node names several parameters
    receivers: bool = False  # a method's receiver is a parameter of its own list
    methods: str = ""  # how a method reaches its object: "self" (first parameter), "this"
    top_level_statements: bool = True  # statements may sit at the top level of a file
    hoisted_functions: bool = False  # a function may be declared after its call (JS)
    lexical_declarations: bool = False  # `let`/`const` are block scoped, `var` is not
    typed_signatures: bool = False  # a function's signature must write every type
    annotated_params: bool = False  # parameters keep the types the code writes (TypeScript)
    moves_values: bool = False  # passing a value moves it unless it is `Copy`
    inline_modules: bool = False  # `mod m { ... }` inside a file
    multiline_parentheses: bool = False  # a value spanning lines needs brackets around it


@attrs.frozen
class NextEdits:
    """What next-edit suggestions (``nextedit/syntax.py``) read of a language's tree: which
    nodes are names, where a name is bound, which nodes open a scope, what a call looks like.

    A pair ``(parent type, field)`` names a place in a node; the field "" is a child without a
    field name."""

    names: frozenset[str]  # node types of a variable's (or a function's) name
    members: frozenset[str] = frozenset()  # node types of a member's name (`obj.name`)
    # Places where a name of ``names`` is a member or a keyword, not a variable (`obj.attr`,
    # `f(key=1)`).
    member_places: frozenset[tuple[str, str]] = frozenset()
    # Places a member's name sits in (`self.x`: ("attribute", "attribute")).
    member_access: frozenset[tuple[str, str]] = frozenset()
    # Places a member is declared in a class body (`count = 0;` in a JS class).
    member_declarations: frozenset[tuple[str, str]] = frozenset()
    scopes: frozenset[str] = frozenset()  # nodes that open a scope of names
    classes: frozenset[str] = frozenset()  # nodes whose body holds a class's members
    parameters: frozenset[str] = frozenset()  # nodes that list a definition's parameters
    bindings: frozenset[tuple[str, str]] = frozenset()  # places that bind a name
    patterns: frozenset[str] = frozenset()  # nodes between a binding place and its names
    # Definitions other files may use by name (a function, a class): (node type, name field).
    definitions: frozenset[tuple[str, str]] = frozenset()
    imports: frozenset[str] = frozenset()  # statements that bring a name from another file
    # Calls: node type -> (callee field, arguments field).
    calls: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)
    keyword_argument: str = ""  # a call's `name=value` argument (its name in field `name`)
    splats: frozenset[str] = frozenset()  # `*args`/`...rest` arguments (arity unknown)
    defaults: frozenset[str] = frozenset()  # parameters that have a default value
    variadic: frozenset[str] = frozenset()  # `*args`: parameters after it are keyword only
    keyword_marker: frozenset[str] = frozenset()  # a bare `*`: parameters after it are keyword only
    ignored_params: frozenset[str] = frozenset()  # `/`, `**kw`: not matched with arguments
    # Parameters that take any further arguments (`*args`, `**kw`, `...rest`): an argument of
    # a parameter removed is still accepted, so the calls need not change.
    open_params: frozenset[str] = frozenset()
    receiver_names: frozenset[str] = frozenset()  # `self`, `cls`: a method's first parameter


@attrs.frozen
class Tests:
    """How the tests of a file are written: the convention object and the test framework it
    names in a plan (``"pytest"``, ...; "" when the project decides)."""

    convention: Convention
    framework: str = ""


@attrs.frozen
class Language:
    """One LSP languageId and everything the server does differently for it."""

    id: str
    family: str  # the module that defines it: "python", "javascript", "typescript"...
    name: str  # for people and prompts: "TypeScript (TSX)"
    grammar: Grammar
    extensions: tuple[str, ...] = ()  # file name endings an editor gives this languageId
    line_comment: str = "//"
    fence: str = ""  # the Markdown fence's language ("" = the id)
    word_chars: str = ""  # identifier characters beyond letters, digits and `_`
    indentation_blocks: bool = False  # blocks are indentation (Python): completion cuts dedents
    # Symbols (the workspace index and cross-file snippets)
    symbols: str = SYMBOLS_BRACED
    symbol_nodes: Mapping[str, str] = attrs.field(factory=dict)  # node type -> kind
    symbol_group: str = ""  # languages whose files see each other's symbols ("" = the family)
    builtins: frozenset[str] = frozenset()  # names never looked up in the index
    imports: str = ""  # how import specifiers resolve to files (context.snippets)
    package_files: str = ""  # the extension of the files of one package (same directory)
    # Code actions
    definitions: frozenset[str] = frozenset()  # nodes that can carry documentation
    variable_functions: bool = False  # `const f = () => ...` is a definition
    # How a definition's parameter nodes name their parameters: "grouped" (`a, b int`: the
    # identifiers), "named" (the `name` field), "pattern" (the `pattern` field), "" (the
    # parameter, its `name` or `pattern`, or its first identifier).
    params: str = ""
    returns: str = ""  # the signature's field that names the result's type ("" = none)
    docstring: DocComment | None = None  # the doc comment convention
    refactor: Refactoring | None = None
    tests: Tests | None = None
    next_edits: NextEdits | None = None  # syntax-tree next edits (rename, signature change)

    @property
    def markdown_fence(self) -> str:
        return self.fence or self.id

    @property
    def group(self) -> str:
        return self.symbol_group or self.family
