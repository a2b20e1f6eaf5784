"""The tree analysis behind extract function/variable: what a selection reads and writes, how
it leaves, and the plans and edits made from that. Real tree-sitter grammars, no model."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from slm_lsp.actions import extract, extract_edits, extract_names, extract_variable, flow
from slm_lsp.actions.drafter import Drafter
from slm_lsp.engine.base import Cancel
from slm_lsp.languages import new_parser


def parse(src: str, lang: str):
    data = src.encode()
    return new_parser(lang).parse(data), data


def sel(src: str, first: str, last: str | None = None) -> tuple[int, int]:
    data = src.encode()
    a = data.index(first.encode())
    b = data.index((last or first).encode(), a) + len((last or first).encode())
    return a, b


def region_flow(src: str, lang: str, first: str, last: str | None = None) -> flow.Flow:
    tree, data = parse(src, lang)
    a, b = sel(src, first, last)
    stmts = extract.selected_statements(tree, data, a, b, lang)
    if stmts is None:
        expr = extract_variable.selected_expression(tree, data, a, b, lang)
        assert expr is not None, "selection is neither statements nor an expression"
        stmts = [expr]
    return flow.analyze(stmts, lang)


def plan(src: str, lang: str, first: str, last: str | None = None) -> extract.Plan:
    tree, data = parse(src, lang)
    return extract.plan_function(tree, data, *sel(src, first, last), lang)


def refusal(src: str, lang: str, first: str, last: str | None = None,
            kind: str = "function") -> str:
    tree, data = parse(src, lang)
    fn = extract.plan_function if kind == "function" else extract_variable.plan_variable
    with pytest.raises(extract.Refused) as info:
        fn(tree, data, *sel(src, first, last), lang)
    return str(info.value)


def extracted(src: str, lang: str, first: str, last: str | None = None,
              kind: str = "extract_function") -> str:
    a, b = sel(src, first, last)
    text_a, text_b = len(src.encode()[:a].decode()), len(src.encode()[:b].decode())
    out = extract_edits.compute_extract(src, lang, text_a, text_b, kind,
                                        Drafter(None, None, Cancel()))
    assert not out.refusal, out.refusal
    after = src
    for c in sorted(out.changes, key=lambda c: c.start, reverse=True):
        after = after[:c.start] + c.text + after[c.end:]
    return after


# -- Python ------------------------------------------------------------------------------------
PY = """def f(a, b, items):
    c = a + b
    d = c * 2
    if a:
        e = 1
    for i in items:
        d += i
    total = [x * a for x in items]
    g = lambda y: y + b
    return d
"""


def test_python_reads_writes_and_what_surely_runs():
    f = region_flow(PY, "python", "c = a + b", "d += i")
    assert f.reads() == ["a", "b", "c", "items", "i", "d"]
    assert f.writes() == ["c", "d", "e", "i"]
    assert f.surely_written("d") and not f.surely_written("e") and not f.surely_written("i")
    assert f.read_first("a") and not f.read_first("c")
    assert f.escapes == () and not f.awaits


def test_python_comprehension_and_lambda_names_stay_inside():
    f = region_flow(PY, "python", "total = [x", "y + b")
    assert "x" not in f.reads() and "y" not in f.reads()
    assert {"a", "items", "b"} <= set(f.reads())
    assert [u.nested for u in f.uses if u.name == "b"] == [True]  # read later, by the lambda


def test_python_control_flow_that_leaves_the_selection():
    src = ("async def f(xs):\n"
           "    for x in xs:\n"
           "        if x:\n"
           "            break\n"
           "        await g(x)\n"
           "        yield x\n"
           "    return 1\n")
    inner = region_flow(src, "python", "if x:", "yield x")
    assert set(inner.escapes) == {"break", "yield"} and inner.awaits
    whole = region_flow(src, "python", "for x in xs:", "yield x")
    assert whole.escapes == ("yield",)  # the break stays inside the selected loop
    assert region_flow(src, "python", "return 1").escapes == ("return",)


def test_python_global_and_star_import_are_problems():
    src = "def f():\n    global n\n    n = 1\n    from os import *\n"
    assert len(region_flow(src, "python", "global n", "import *").problems) == 2


def test_python_plan_parameters_and_return_values():
    p = plan(PY, "python", "c = a + b", "d += i")
    assert p.params == ("a", "b", "items")
    assert p.returns == ("d",)  # e and i are not read after; d is
    assert p.receiver == "" and not p.is_async


def test_python_a_write_read_again_by_the_enclosing_loop_is_returned():
    src = ("def f(xs):\n"
           "    last = 0\n"
           "    for x in xs:\n"
           "        print(last)\n"
           "        last = x * 2\n")
    assert plan(src, "python", "last = x * 2").returns == ("last",)


def test_python_a_value_assigned_only_sometimes_is_refused_or_passed_through():
    src = ("def f(a):\n"
           "    if a:\n"
           "        v = 1\n"
           "    return v\n")
    assert "only on some paths" in refusal(src, "python", "if a:", "v = 1")
    src2 = "def f(a):\n    v = 0\n    if a:\n        v = 1\n    return v\n"
    p = plan(src2, "python", "if a:", "v = 1")
    assert p.params == ("a", "v") and p.returns == ("v",)


def test_python_method_using_self_becomes_a_method():
    src = ("class C:\n"
           "    def total(self, k):\n"
           "        s = self.base * k\n"
           "        return s\n")
    p = plan(src, "python", "s = self.base * k")
    assert p.receiver == "self" and p.params == ("k",) and p.base_indent == "    "
    after = extracted(src, "python", "s = self.base * k")
    assert "    def extracted(self, k):\n        s = self.base * k\n        return s\n" in after
    assert "        s = self.extracted(k)\n" in after


def test_python_variable_refusals():
    src = ("def f(a, b):\n"
           "    ok = a and g(b)\n"
           "    while a > b:\n"
           "        a -= 1\n"
           "    h = lambda: a * b\n"
           "    x.y = 3\n")
    assert "only sometimes" in refusal(src, "python", "g(b)", kind="variable")
    assert "repeatedly" in refusal(src, "python", "a > b", kind="variable")
    assert "later or repeatedly" in refusal(src, "python", "a * b", kind="variable")
    assert "assigned to" in refusal(src, "python", "x.y", kind="variable")


def test_python_extract_variable_keeps_the_statement_indentation():
    src = "def f(a, b):\n    if a:\n        return (a + b) * 2\n"
    after = extracted(src, "python", "a + b", kind="extract_variable")
    assert after == "def f(a, b):\n    if a:\n        extracted = a + b\n" \
                    "        return (extracted) * 2\n"


def test_fresh_names():
    taken = {"extracted", "total"}
    assert extract_names.fresh_name("totalCost(", taken, "python") == ("total_cost", True)
    assert extract_names.fresh_name("total_cost", taken, "javascript") == ("totalCost", True)
    assert extract_names.fresh_name("total", taken, "python") == ("extracted_1", False)
    assert extract_names.fresh_name("class", set(), "python") == ("extracted", False)
    assert extract_names.fresh_name("len", set(), "python") == ("extracted", False)  # a builtin
    assert extract_names.fresh_name("", taken, "javascript") == ("extracted1", False)


# -- JavaScript / TypeScript -----------------------------------------------------------------
JS = """function f(a, {b}, xs) {
  let x = a + b, y;
  const {p, q: r} = a;
  y = x + p;
  x += 1;
  const m = {x, k: y};
  for (const i of xs) { if (i) continue; }
  switch (a) { case 1: break; }
  return m;
}
"""


def test_js_declarations_destructuring_and_shorthand_reads():
    f = region_flow(JS, "javascript", "let x", "const m = {x, k: y};")
    assert f.declared("x") == "let" and f.declared("p") == "const" and f.declared("r") == "const"
    assert f.declared("y") == "let"
    assert "q" not in f.writes() and "k" not in f.reads()
    assert [u.read for u in f.uses if u.name == "x"][-1] is True  # `{x}` reads x
    assert f.escapes == ()


def test_js_continue_break_and_this():
    src = ("class C {\n"
           "  run(xs) {\n"
           "    for (const i of xs) {\n"
           "      switch (i) { case 1: continue; default: break; }\n"
           "      const g = () => this.k;\n"
           "      const h = function () { return this; };\n"
           "    }\n"
           "  }\n"
           "}\n")
    f = region_flow(src, "javascript", "switch (i)", "default: break; }")
    assert f.escapes == ("continue",)  # the break ends the switch, the continue leaves
    assert region_flow(src, "javascript", "const g", "this.k;").this
    assert not region_flow(src, "javascript", "const h", "return this; };").this


def test_js_plan_declares_what_the_selection_declared():
    src = ("function cost(price, qty) {\n"
           "  const base = price * qty;\n"
           "  const tax = base / 10;\n"
           "  return base + tax;\n"
           "}\n")
    p = plan(src, "javascript", "const base", "const tax = base / 10;")
    assert p.params == ("price", "qty") and p.returns == ("base", "tax")
    assert p.declare == "const"
    after = extracted(src, "javascript", "const base", "const tax = base / 10;")
    assert "  const [base, tax] = extracted(price, qty);\n" in after
    assert "  return [base, tax];\n}" in after


def test_js_method_using_this_becomes_a_method_and_await_makes_it_async():
    src = ("class Shop {\n"
           "  async total(n) {\n"
           "    const price = await this.price();\n"
           "    return price * n;\n"
           "  }\n"
           "}\n")
    after = extracted(src, "javascript", "const price", "await this.price();")
    assert "  async extracted() {\n    const price = await this.price();\n" in after
    assert "    const price = await this.extracted();\n" in after


def test_ts_parameters_keep_their_written_types():
    src = ("function cost(price: number, qty: number): number {\n"
           "  const base = price * qty;\n"
           "  return base;\n"
           "}\n")
    after = extracted(src, "typescript", "const base = price * qty;")
    assert "function extracted(price: number, qty: number) {\n" in after
    assert "  const base = extracted(price, qty);\n" in after


def test_ts_flow_ignores_types():
    src = "function f(a: number) {\n  let x: Foo = a as Bar;\n  return x!;\n}\n"
    f = region_flow(src, "typescript", "let x", "a as Bar;")
    assert f.reads() == ["a"] and f.writes() == ["x"]


# -- Go ----------------------------------------------------------------------------------------
GO = """package main

func cost(price int, qty int) int {
	base := price * qty
	count := 0
	var rate float64 = 0.5
	for i, v := range items {
		count += v
		defer done(i)
	}
	p := Point{X: base, Y: count}
	scale(&rate)
	return base + count
}
"""


def test_go_declarations_ranges_and_struct_keys():
    f = region_flow(GO, "go", "base :=", "var rate float64 = 0.5")
    assert f.declared("base") == ":=" and f.declared("rate") == "var"
    loop = region_flow(GO, "go", "for i, v", "\t}\n")
    assert not loop.surely_written("i") and loop.declared("v") == ":="
    assert "a `defer` would run when the new function returns" in loop.problems
    lit = region_flow(GO, "go", "p := Point", "Y: count}")
    assert "X" not in lit.reads() and {"base", "count"} <= set(lit.reads())
    addr = region_flow(GO, "go", "scale(&rate)")
    assert any(u.name == "rate" and u.write for u in addr.uses)  # &x: may be written


def test_go_plan_uses_written_types_and_refuses_unknown_ones():
    p = plan(GO, "go", "count := 0")
    assert p.returns == ("count",)
    after = extracted(GO, "go", "count := 0")
    assert "func extracted() int {\n\tcount := 0\n\treturn count\n}\n" in after
    assert "\tcount := extracted()\n" in after
    assert "type of `base`" in refusal(GO, "go", "p := Point", "Y: count}")
    assert "`return`" in refusal(GO, "go", "return base + count")


# -- Rust --------------------------------------------------------------------------------------
RS = """fn cost(price: u32, qty: u32, names: Vec<String>) -> Result<u32, E> {
    let base: u32 = price * qty;
    let mut total: u32 = base;
    total += check(base)?;
    println!("{} {total}", base);
    let f = |u: u32| u + total;
    let n = names.len() as u32;
    Ok(total + n)
}
"""


def test_rust_lets_compound_assignments_and_macros():
    f = region_flow(RS, "rust", "let base", "let mut total: u32 = base;")
    assert f.declared("base") == "let" and f.declared("total") == "let mut"
    assert region_flow(RS, "rust", "total += check(base)?;").escapes == ("?",)
    m = region_flow(RS, "rust", "println!", "base);")
    assert set(m.reads()) == {"base", "total"}  # `{total}` inside the format string too
    c = region_flow(RS, "rust", "let f", "u + total;")
    assert "u" not in c.reads() and "total" in c.reads()


def test_rust_plan_passes_copy_values_and_refuses_moves():
    after = extracted(RS, "rust", "let base", "let mut total: u32 = base;")
    assert "fn extracted(price: u32, qty: u32) -> (u32, u32) {\n" in after
    assert "    let (base, mut total) = extracted(price, qty);\n" in after
    assert "would move it" in refusal(RS, "rust", "let n = names.len() as u32;")
    assert "`?`" in refusal(RS, "rust", "total += check(base)?;")


# -- extract function from one expression ----------------------------------------------------
def test_an_expression_becomes_a_function_called_in_its_place():
    src = ("def f(xs, k):\n"
           "    return [x * k + 1 for x in xs if x]\n")
    after = extracted(src, "python", "x * k + 1")
    assert after == ("def extracted(x, k):\n    return x * k + 1\n\n\n"
                     "def f(xs, k):\n    return [extracted(x, k) for x in xs if x]\n")
    scope: dict = {}
    exec(after, scope)
    assert scope["f"]([1, 0, 2], 3) == [4, 7]


def test_a_js_expression_in_a_method_using_this_becomes_a_method():
    src = ("class A {\n"
           "  total(n) {\n"
           "    return this.base * n + 1;\n"
           "  }\n"
           "}\n")
    after = extracted(src, "javascript", "this.base * n")
    assert "  extracted(n) {\n    return this.base * n;\n  }\n\n  total(n) {" in after
    assert "    return this.extracted(n) + 1;\n" in after


@pytest.mark.parametrize("lang,src,first,last", [
    ("python", "def f(a):\n    if a:\n        v = 1\n    elif a is None:\n        v = 2\n"
               "    else:\n        v = 3\n    return v\n", "if a:", "v = 3"),
    ("javascript", "function f(a) {\n  let v;\n  if (a) {\n    v = 1;\n  } else if (a === 0) "
                   "{\n    v = 2;\n  } else {\n    v = 3;\n  }\n  return v;\n}\n",
     "if (a)", "v = 3;\n  }"),
])
def test_a_name_every_branch_assigns_is_surely_assigned(lang, src, first, last):
    f = region_flow(src, lang, first, last)
    assert f.surely_written("v") and not f.read_first("v")
    p = plan(src, lang, first, last)
    assert p.params == ("a",) and p.returns == ("v",)


def test_a_name_only_some_branches_assign_is_not():
    src = "def f(a):\n    if a:\n        v = 1\n    elif a is None:\n        w = 2\n" \
          "    else:\n        v = 3\n    return v\n"
    assert not region_flow(src, "python", "if a:", "v = 3").surely_written("v")


# -- found by running the extractions over real modules ----------------------------------------
def test_a_name_being_imported_or_bound_is_not_an_expression_to_extract():
    src = "from json import loads\n\nwith open(p) as fh:\n    data = loads(fh.read())\n"
    assert "not a name being bound" in refusal(src, "python", "loads", kind="variable")
    assert "not a name being bound" in refusal(src, "python", "fh", kind="variable")


def test_a_multi_line_python_expression_keeps_its_brackets():
    src = "def f(a, b):\n    return g(a +\n             b)\n"
    after = extracted(src, "python", "a +\n             b", kind="extract_variable")
    assert "    extracted = (a +\n             b)\n" in after
    compile(after, "after", "exec")


def test_a_module_level_selection_is_one_edit_where_the_definition_goes():
    src = "import os\n\nNAMES = sorted(os.listdir('.'))\nprint(NAMES)\n"
    a, b = sel(src, "NAMES = sorted(os.listdir('.'))")
    out = extract_edits.compute_extract(src, "python", a, b, "extract_function",
                                        Drafter(None, None, Cancel()))
    (change,) = out.changes  # the definition and the call, not two edits at one position
    after = src[:change.start] + change.text + src[change.end:]
    assert after == ("import os\n\ndef extracted():\n    NAMES = sorted(os.listdir('.'))\n"
                     "    return NAMES\n\n\nNAMES = extracted()\nprint(NAMES)\n")


def test_super_calls_and_foreign_nonlocals_are_refused():
    js = "class B extends A {\n  constructor(x) {\n    super(x);\n    this.x = x;\n  }\n}\n"
    assert "`super()`" in refusal(js, "javascript", "super(x);", "this.x = x;")
    py = ("def outer():\n"
          "    n = 0\n"
          "    items = []\n"
          "    def bump():\n"
          "        nonlocal n\n"
          "        n += 1\n"
          "    return bump, items\n")
    assert "nonlocal n" in refusal(py, "python", "items = []", "n += 1")


@pytest.mark.skipif(shutil.which("rustc") is None, reason="rustc is not installed")
def test_rust_extraction_compiles_and_computes_the_same(tmp_path):
    src = ("fn cost(price: u32, qty: u32) -> u32 {\n"
           "    let base: u32 = price * qty;\n"
           "    let mut total: u32 = base;\n"
           "    total += base / 10;\n"
           "    total\n"
           "}\n\n"
           "fn main() {\n    println!(\"{}\", cost(3, 7));\n}\n")
    after = extracted(src, "rust", "let base", "let mut total: u32 = base;")

    def run(code: str, name: str) -> str:
        path = tmp_path / f"{name}.rs"
        path.write_text(code)
        subprocess.run(["rustc", "-o", str(tmp_path / name), str(path)], check=True,
                       capture_output=True, timeout=120)
        return subprocess.run([str(tmp_path / name)], capture_output=True, text=True,
                              timeout=30).stdout

    assert run(after, "after") == run(src, "before") == "23\n"


def test_pathologically_nested_code_is_refused_not_a_crash():
    from slm_lsp.actions import refactor

    src = "def f(a):\n    x = " + "(" * 2000 + "a" + ")" * 2000 + "\n    return x\n"
    tree, data = parse(src, "python")
    a, b = sel(src, "x = ", ")\n")
    reason = "cannot extract: the code is nested too deeply"
    assert refactor.offers(tree, data, a, b, "python") == [("extract_function", reason)]
    out = extract_edits.compute_extract(src, "python", len(src[:a]), len(src[:b]),
                                        "extract_function", Drafter(None, None, Cancel()))
    assert out.refusal == reason and not out.changes


def test_python_class_bodies_and_super_calls():
    src = ("class A(B):\n"
           "    x = 1\n"
           "    y = x + 1\n\n"
           "    def run(self, n):\n"
           "        total = super().run(n)\n"
           "        return total\n\n\n"
           "def free(n):\n"
           "    total = super().run(n)\n"
           "    return total\n")
    assert "class body" in refusal(src, "python", "y = x + 1")
    p = plan(src, "python", "total = super().run(n)")
    assert p.receiver == "self" and p.params == ("n",)
    second = src.index("total = super().run(n)", src.index("def free"))
    tree, data = parse(src, "python")
    with pytest.raises(extract.Refused, match="super"):
        extract.plan_function(tree, data, second, second + len("total = super().run(n)"), "python")


def test_multi_line_strings_keep_their_text_when_the_body_moves():
    src = ('class Report:\n'
           '    def render(self, rows):\n'
           '        head = """Title\n'
           '        ---\n'
           '"""\n'
           '        text = head + "\\n".join(rows)\n'
           '        return text\n')
    after = extracted(src, "python", 'head = """', 'join(rows)')
    assert '\n    head = """Title\n        ---\n"""\n' in after  # the string is unchanged
    scope: dict = {}
    exec(src, scope)
    before = scope["Report"]().render(["a", "b"])
    exec(after, scope)
    assert scope["Report"]().render(["a", "b"]) == before
