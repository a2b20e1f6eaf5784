"""Test scaffolds: paths in the project's convention, import paths, refusal outside the root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slm_lsp.actions import scaffold
from slm_lsp.languages import test_conventions as conventions

DATA = Path(__file__).resolve().parents[1] / "data" / "actions"


@pytest.mark.parametrize("rel,module,test", [
    ("src/geo/shapes.py", "geo.shapes", "tests/test_shapes.py"),
    ("geo/shapes.py", "geo.shapes", "tests/test_shapes.py"),
    ("pkg/__init__.py", "pkg", "tests/test_pkg.py"),
    ("tool.py", "tool", "tests/test_tool.py"),
])
def test_python_test_path_and_import_path(tmp_path, rel, module, test):
    p = scaffold.plan(str(tmp_path), str(tmp_path / rel), "python")
    assert p.module == module
    assert p.path == str(tmp_path / test)
    assert p.framework == "pytest"


@pytest.mark.parametrize("source", ["/elsewhere/x.py", "{root}/../x.py", "{root}/a/../../x.py"])
def test_a_source_outside_the_workspace_is_refused(tmp_path, source):
    root = tmp_path / "root"
    with pytest.raises(conventions.ScaffoldRefused, match="outside the workspace"):
        scaffold.plan(str(root), source.format(root=root), "python")


def test_no_root_or_unimportable_module_is_refused(tmp_path):
    with pytest.raises(conventions.ScaffoldRefused, match="no workspace root"):
        scaffold.plan(None, "/x/y.py", "python")
    with pytest.raises(conventions.ScaffoldRefused, match="not importable"):
        scaffold.plan(str(tmp_path), str(tmp_path / "my-scripts" / "run.py"), "python")


def test_js_uses_the_framework_package_json_names(tmp_path):
    root = tmp_path
    (root / "package.json").write_text(json.dumps({"devDependencies": {"vitest": "1"},
                                                   "type": "module"}))
    (root / "lib").mkdir()
    p = scaffold.plan(str(root), str(root / "lib" / "math.ts"), "typescript")
    assert (p.path, p.framework, p.module) == (str(root / "lib" / "math.test.ts"), "vitest",
                                               "./math")
    (root / "package.json").write_text(json.dumps({"devDependencies": {"jest": "29"}}))
    p = scaffold.plan(str(root), str(root / "lib" / "math.js"), "javascript")
    assert (p.framework, p.commonjs, p.module) == ("jest", True, "./math")


def test_go_and_rust_conventions(tmp_path):
    p = scaffold.plan(str(tmp_path), str(tmp_path / "calc" / "add.go"), "go")
    assert p.path == str(tmp_path / "calc" / "add_test.go")
    p = scaffold.plan(str(tmp_path), str(tmp_path / "src" / "lib.rs"), "rust")
    assert p.same_file and p.path == str(tmp_path / "src" / "lib.rs")


def test_header_skips_imports_the_file_already_has():
    p = conventions.TestPlan("/r/tests/test_m.py", "python", "m", "pytest")
    assert scaffold.header(p, ["f"], "import pytest\nfrom m import f\n") == ""
    assert scaffold.header(p, ["f"], "") == "import pytest\nfrom m import f\n"


def test_rust_module_name_avoids_an_existing_tests_module():
    p = conventions.TestPlan("/r/lib.rs", "rust", "", "rust", same_file=True)
    out = scaffold.assemble(p, ["    #[test]\n    fn t() {}\n"], [], "fn a() {}\n",
                            "mod tests { }\n")
    assert "mod generated_tests" in out
    assert "mod tests " in scaffold.assemble(p, ["    #[test]\n    fn t() {}\n"], [], "", "")


@pytest.mark.parametrize("source, text, commonjs", [
    ("shapes.js", "export function area() {}\n", False),
    ("shapes.js", "import fs from 'fs';\nfunction area() {}\n", False),
    ("shapes.js", "function area() {}\nmodule.exports = { area };\n", True),
    ("shapes.js", "function area() {}\n", True),  # nothing says: package.json decides
    ("shapes.mjs", "function area() {}\n", False),
    ("shapes.cjs", "export function area() {}\n", True),
])
def test_js_module_system_follows_the_file(tmp_path, source, text, commonjs):
    p = scaffold.plan(str(tmp_path), str(tmp_path / source), "javascript", text=text)
    assert p.commonjs is commonjs
    line = scaffold.header(p, ["area"])
    if commonjs:
        assert 'const { area } = require("./shapes");' in line
    else:
        assert f'import {{ area }} from "./{source}";' in line


@pytest.mark.parametrize("framework, body, ok", [
    ("pytest", "    assert add(1, 2) == 3\n", True),
    ("pytest", "    with pytest.raises(ValueError):\n        add(None, 1)\n", True),
    ("pytest", "    add(1, 2)\n", False),
    ("go", "\tif Add(1, 2) != 3 {\n\t\tt.Errorf(\"bad\")\n\t}\n", True),
    ("go", "\tAdd(1, 2)\n", False),
    ("rust", "        assert_eq!(add(1, 2), 3);\n", True),
    ("rust", "        let _ = add(1, 2);\n", False),
    ("jest", "    expect(add(1, 2)).toBe(3);\n", True),
    ("jest", "    expect(add(1, 2)) === 3;\n", False),
])
def test_has_assertion_knows_each_framework(framework, body, ok):
    lang = {"pytest": "python", "go": "go", "rust": "rust", "jest": "javascript"}[framework]
    p = conventions.TestPlan("/x", lang, "", framework)
    assert scaffold.has_assertion(body, p) is ok
