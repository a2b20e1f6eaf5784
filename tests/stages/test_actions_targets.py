"""Finding what an action works on: definitions, parameters, documentation, statements."""

from __future__ import annotations

import pytest

from slm_lsp.actions.targets import (
    definition_at,
    definitions,
    enclosing_statement,
    error_nodes_outside,
)
from slm_lsp.languages import new_parser


def parse(text: str, lang: str):
    return new_parser(lang).parse(text.encode())


def at(text: str, lang: str, needle: str):
    return definition_at(parse(text, lang), len(text[:text.index(needle)].encode()), lang)


@pytest.mark.parametrize("lang,text,needle,name,params,returns", [
    pytest.param("python", "def area(w, h=2, *rest, **kw) -> int:\n    pass\n", "area", "area",
                 ("w", "h", "rest", "kw"), True, id="python-params"),
    pytest.param("python", "class A:\n    def m(self, x):\n        return x\n", "m(", "m",
                 ("x",), True, id="python-method-skips-self"),
    pytest.param("typescript", "export const add = (a: number, b = 2) => a + b;\n", "add",
                 "add", ("a", "b"), True, id="ts-arrow-in-variable"),
    pytest.param("javascript", "function log(msg, ...rest) { console.log(msg) }\n", "log",
                 "log", ("msg", "rest"), False, id="js-function"),
    pytest.param("go", "package p\n\nfunc Add(a, b int, c string) int { return a }\n", "Add",
                 "Add", ("a", "b", "c"), True, id="go-shared-type"),
    pytest.param("rust", "fn f(&self, a: i32) -> i32 { a }\n", "f(", "f", ("a",), True,
                 id="rust-self"),
    pytest.param("java", "class A {\n  void m(int a, String b) {}\n}\n", "m(", "m",
                 ("a", "b"), False, id="java-void"),
])
def test_definition_facts(lang, text, needle, name, params, returns):
    d = at(text, lang, needle)
    assert d is not None
    assert (d.name, d.params, d.returns) == (name, params, returns)


@pytest.mark.parametrize("lang,text,needle,documented", [
    ("python", 'def f():\n    """Doc."""\n    return 1\n', "f(", True),
    ("python", "def f():\n    # a comment\n    return 1\n", "f(", False),
    ("javascript", "/** Doc. */\nfunction f() {}\n", "f(", True),
    ("javascript", "/** Doc. */\n\nfunction f() {}\n", "f(", False),
    ("go", "package p\n\n// F does.\nfunc F() {}\n", "F(", True),
    ("rust", "/// Doc.\n#[inline]\nfn f() {}\n", "f(", True),
    ("rust", "fn f() {}\n", "f(", False),
])
def test_documented_is_seen(lang, text, needle, documented):
    assert at(text, lang, needle).documented is documented


def test_module_definitions_are_top_level_in_order():
    text = "def a():\n    def inner():\n        pass\n\nclass B:\n    def m(self):\n        pass\n"
    names = [d.name for d in definitions(parse(text, "python"), "python")]
    assert names == ["a", "B"]


def test_enclosing_statement_is_the_smallest_statement():
    text = "def f(x):\n    if x:\n        y = g(x +)\n    return y\n"
    tree = parse(text, "python")
    b = len(text[:text.index("+")].encode())
    node = enclosing_statement(tree, b, b + 1)
    assert node is not None
    assert node.start_point.row == 2 and node.end_point.row == 2


def test_errors_outside_a_block_are_counted_but_not_inside():
    text = "x = 1\n\ndef f():\n    return (1 +\n"
    tree = parse(text, "python")
    data = text.encode()
    assert error_nodes_outside(tree, 0, len(data)) == 0
    assert error_nodes_outside(tree, 0, 0) > 0
    assert error_nodes_outside(parse("x = 1\n", "python"), 0, 0) == 0
