"""Test scaffolds appended to an existing file: no name is shadowed, imports are merged."""

from __future__ import annotations

import ast

from slm_lsp.actions import scaffold
from slm_lsp.languages import test_conventions as conventions

PLAN = conventions.TestPlan("/ws/tests/test_calc.py", "python", "calc", "pytest")
EXISTING = ("import pytest\nfrom calc import (\n    add,\n    mul as times,\n)\n\n\n"
            "def test_add():\n    assert add(1, 2) == 3\n")


def py_test(name: str) -> str:
    return f'def {name}():\n    pytest.skip("test not written yet")\n'


def test_an_existing_test_name_gets_a_new_one():
    tests = [py_test(name) for name in ("test_add", "test_sub", "test_add")]
    out = scaffold.assemble(PLAN, tests, ["add", "sub"], EXISTING)
    tree = ast.parse(EXISTING + out)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert names == ["test_add", "test_add_2", "test_sub", "test_add_3"]


def test_imports_are_merged_not_repeated():
    out = scaffold.assemble(PLAN, [py_test("test_sub")], ["add", "times", "sub"],
                            EXISTING)
    assert "import pytest" not in out
    assert "from calc import sub\n" in out and "add" not in out.split("def ")[0]
    out = scaffold.assemble(PLAN, [py_test("test_mul")], ["add"], EXISTING)
    assert "import" not in out


def test_go_tests_are_renamed_and_testing_imported_once():
    plan = conventions.TestPlan("/ws/add_test.go", "go", "calc", "go")
    existing = 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {}\n'
    out = scaffold.assemble(plan, ["func TestAdd(t *testing.T) {\n}\n"], ["Add"], existing)
    assert "func TestAdd2(" in out and "import" not in out


def test_js_named_imports_are_merged():
    plan = conventions.TestPlan("/ws/m.test.js", "javascript", "./m", "jest", commonjs=True)
    existing = 'const { add } = require("./m");\n\ntest("x", () => {});\n'
    out = scaffold.assemble(plan, ['describe("sub", () => {});\n'], ["add", "sub"], existing)
    assert 'const { sub } = require("./m");' in out
