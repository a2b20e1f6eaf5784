"""Rust."""

from __future__ import annotations

from ..actions.doc_comments import RustDoc
from ..actions.extract_text import RustText
from ..actions.test_conventions import RustTests
from .base import Grammar, Language, Refactoring, Tests

KEYWORDS = frozenset("""as break const continue crate else enum extern false fn for if impl in
let loop match mod move mut pub ref return self Self static struct super trait true type unsafe
use where while async await dyn abstract become box do final macro override priv typeof
unsized virtual yield try union""".split())

RUST = Language(
    id="rust", family="rust", name="Rust",
    grammar=Grammar("tree_sitter_rust"),
    extensions=(".rs",),
    symbol_nodes={
        "function_item": "function", "struct_item": "type", "enum_item": "type",
        "union_item": "type", "type_item": "type", "trait_item": "type", "impl_item": "impl",
        "const_item": "constant", "static_item": "constant", "macro_definition": "macro"},
    builtins=frozenset({"Some", "Ok", "Err", "Vec", "Box", "Option", "Result", "HashMap",
                        "Rc", "Arc", "println", "format", "vec", "assert", "assert_eq", "std",
                        "crate", "iter", "clone", "unwrap", "into", "to_string", "f64", "f32",
                        "usize", "i32", "u8"}),
    imports="crates",
    definitions=frozenset({"function_item"}),
    params="pattern",
    returns="return_type",
    docstring=RustDoc(),
    refactor=Refactoring(
        handlers="rust",
        functions=frozenset({"function_item", "closure_expression"}),
        loops=frozenset({"for_expression", "while_expression", "loop_expression"}),
        blocks=frozenset({"source_file", "block"}),
        expressions=frozenset({
            "call_expression", "binary_expression", "field_expression", "index_expression",
            "macro_invocation", "string_literal", "integer_literal", "float_literal",
            "parenthesized_expression", "unary_expression", "struct_expression",
            "array_expression", "tuple_expression", "reference_expression", "identifier",
            "method_call_expression", "await_expression", "if_expression",
            "closure_expression", "range_expression"}),
        writer=RustText(),
        reserved=KEYWORDS,
        snake_case=True,
        loop_declare="let",
        closures_share_self=True,
        top_level_statements=False,
        typed_signatures=True,
        moves_values=True,
        inline_modules=True,
    ),
    tests=Tests(RustTests(), "rust"),
)

LANGUAGES = (RUST,)
