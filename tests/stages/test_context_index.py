"""The workspace symbol index: extraction per language, ignores, caps, updates, imports."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from slm_lsp.context.ignore import GitIgnore, find_root
from slm_lsp.context.index import SelectionMemo, SymbolIndex
from slm_lsp.context.snippets import resolve_imports
from slm_lsp.documents import Document
from slm_lsp.languages import new_parser
from slm_lsp.syntax.symbols import extract, extract_imports

WORKSPACE = Path(__file__).resolve().parents[1] / "data" / "workspace"


def symbols(language_id: str, source: str):
    data = source.encode()
    return extract(new_parser(language_id).parse(data), data, language_id)


def texts(language_id: str, source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in symbols(language_id, source).definitions:
        out[d.name] = out.get(d.name, "") + d.text
    return out


@pytest.fixture(scope="module")
def index() -> SymbolIndex:
    ix = SymbolIndex(WORKSPACE, max_files=100)
    ix.build()
    return ix


# -- extraction ----------------------------------------------------------------------------------

def test_python_small_definitions_are_whole_and_constants_are_kept():
    defs = texts("python", 'LIMIT = 10\n\ndef add(a, b) -> int:\n    """Sum."""\n'
                           "    return a + b\n")
    assert defs["LIMIT"] == "LIMIT = 10"
    assert defs["add"] == 'def add(a, b) -> int:\n    """Sum."""\n    return a + b'


def test_python_large_definitions_keep_signature_docstring_and_method_signatures():
    body = "".join(f"    x{i} = {i}\n" for i in range(20))
    src = (f'def big(a: int, *, b=2) -> list[int]:\n    """Make a list.\n\n    More.\n    """\n'
           f"{body}    return []\n\n\n@decorate\nclass Shape(Base):\n    '''A shape.'''\n"
           f"    sides = 3\n\n    def area(self) -> float:\n{body.replace('    ', '        ')}"
           f"        return 0.0\n\n"
           f"    @property\n    def name(self) -> str:\n        return 'x'\n")
    defs = texts("python", src)
    assert defs["big"] == ('def big(a: int, *, b=2) -> list[int]:\n    """Make a list."""\n'
                           "    ...")
    assert defs["Shape"] == ("@decorate\nclass Shape(Base):\n    '''A shape.'''\n    sides = 3\n"
                             "    def area(self) -> float: ...\n"
                             "    def name(self) -> str: ...")


def test_javascript_functions_classes_and_arrow_constants():
    src = ("const fs = require('fs');\nfunction add(a, b) {\n  return a + b;\n}\n"
           "export const twice = (x) => x * 2;\nclass Stack {\n  push(v) { this.v = v; }\n}\n")
    defs = texts("javascript", src)
    assert set(defs) == {"add", "twice", "Stack"}  # a require() is an import, not a definition
    assert defs["twice"] == "export const twice = (x) => x * 2;"
    assert symbols("javascript", src).imports == ("fs",)


def test_typescript_interfaces_types_and_exports():
    src = ("import { a } from './a';\nexport interface Range { lo: number; hi: number }\n"
           "export type Id = string;\nexport function clamp(v: number): number {\n"
           "  return v;\n}\nexport default class Box<T> {\n  get(): T { return this.v; }\n}\n")
    defs = texts("typescript", src)
    assert defs["Range"].startswith("export interface Range {")
    assert defs["Id"] == "export type Id = string;"
    assert defs["clamp"].startswith("export function clamp(v: number): number {")
    assert "Box" in defs
    assert symbols("typescript", src).imports == ("./a",)


def test_go_types_keep_their_keyword_and_methods_group_under_the_receiver():
    data = (WORKSPACE / "go" / "geom.go").read_text()
    defs = symbols("go", data).definitions
    assert [(d.name, d.kind) for d in defs] == [("Vec", "type"), ("Vec", "function"),
                                                ("Add", "function")]
    assert defs[0].text.startswith("// Vec is a 2D vector.\ntype Vec struct {")
    assert defs[1].text.startswith("// Len is the vector's length.\nfunc (v Vec) Len() float64")


def test_rust_structs_impls_traits_enums_and_doc_comments():
    data = (WORKSPACE / "rust" / "src" / "circle.rs").read_text()
    defs = symbols("rust", data).definitions
    assert [(d.name, d.kind) for d in defs] == [("Circle", "type"), ("Circle", "impl"),
                                                ("Shape", "type"), ("Unit", "type")]
    assert defs[0].text.startswith("/// A circle by its radius.\npub struct Circle {")
    assert "pub fn area(&self) -> f64" in defs[1].text
    assert symbols("rust", "mod a;\nuse crate::a::{B, C};\n").imports == (
        "mod:a", "crate::a::{B, C}")


def test_java_classes_show_member_signatures_when_large():
    methods = "".join(f"  public int m{i}(int x) {{\n    return x + {i};\n  }}\n" for i in range(6))
    src = f"import a.b.C;\npublic class Calc {{\n  private int base;\n{methods}}}\n"
    (calc,) = symbols("java", src).definitions
    assert calc.text.splitlines()[:4] == ["public class Calc {", "    private int base;",
                                          "    public int m0(int x)", "    public int m1(int x)"]
    assert symbols("java", src).imports == ("a.b.C",)


def test_c_headers_skip_include_guards_and_keep_prototypes_and_typedefs():
    data = (WORKSPACE / "c" / "include" / "vec.h").read_text()
    defs = texts("c", data)
    assert set(defs) == {"vec2", "vec2_dot"}
    assert defs["vec2_dot"] == "double vec2_dot(vec2 a, vec2 b);"
    assert symbols("c", '#include <stdio.h>\n#include "vec.h"\n').imports == ("vec.h",)


def test_cpp_namespaces_and_classes():
    src = "namespace geo {\nclass Shape {\n public:\n  virtual double area() const;\n};\n" \
          "double twice(double x) { return 2 * x; }\n}\n"
    assert set(texts("cpp", src)) == {"Shape", "twice"}


def test_unknown_languages_and_missing_trees_give_nothing():
    assert extract(None, b"x", "python").definitions == ()
    assert extract_imports(None, b"x", "plaintext") == ()


# -- ignores -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "path", "is_dir", "ignored"), [
    ("*.log", "a/b/debug.log", False, True),
    ("*.log", "a/b/debug.logs", False, None),
    ("generated/", "src/generated", True, True),
    ("generated/", "src/generated", False, None),
    ("/docs/*.tmp", "docs/x.tmp", False, True),
    ("/docs/*.tmp", "src/docs/x.tmp", False, None),
    ("a/**/b", "a/x/y/b", True, True),
    ("**/cache", "deep/er/cache", True, True),
    ("out/**", "out/x/y.py", False, True),
    ("file[0-9].py", "file7.py", False, True),
    ("*.py\n!keep.py", "keep.py", False, False),
])
def test_gitignore_patterns(pattern, path, is_dir, ignored):
    assert GitIgnore(pattern).match(path, is_dir) is ignored


def test_vendored_generated_ignored_and_binary_files_are_not_indexed(index):
    files = set(index.files())
    assert "src/shapes/geometry.py" in files and "web/lib/math.ts" in files
    for skipped in ("node_modules/leftpad/index.js", "generated/big.py", "build/out.py",
                    "venv/lib/site.py", "src/shapes/data.py"):
        assert skipped not in files
    assert index.ignored("generated/big.py") and index.ignored("node_modules/leftpad/index.js")
    assert not index.ignored("src/shapes/units.py")
    assert index.lookup("generated_helper") == [] and index.lookup("leftPad") == []


def test_large_files_are_skipped(tmp_path):
    (tmp_path / "big.py").write_text("def huge():\n    pass\n" + "# pad\n" * 200_000)
    (tmp_path / "small.py").write_text("def tiny():\n    pass\n")
    ix = SymbolIndex(tmp_path)
    ix.build()
    assert ix.files() == ["small.py"]


# -- caps ----------------------------------------------------------------------------------------

def _many(tmp_path: Path, n: int) -> None:
    for i in range(n):
        (tmp_path / f"m{i:02d}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")


def test_the_scan_stops_at_the_file_cap(tmp_path):
    _many(tmp_path, 20)
    ix = SymbolIndex(tmp_path, max_files=5)
    ix.build()
    assert len(ix) == 5


def test_the_byte_cap_evicts_least_recently_used_files_but_keeps_open_buffers(tmp_path):
    _many(tmp_path, 20)
    ix = SymbolIndex(tmp_path, max_files=100, max_bytes=10**9)
    ix.build()
    per_file = ix.total_bytes / len(ix)
    ix.lookup("f0")  # recently used
    doc = Document(uri=(tmp_path / "open.py").as_uri(), text="def opened():\n    pass\n",
                   language_id="python")
    ix.update_document(doc)
    ix.flush()
    ix.max_bytes = int(per_file * 6)
    ix._put("m19.py", ix.entry("m19.py").symbols, buffer=False)  # any write applies the cap
    assert ix.total_bytes <= ix.max_bytes and len(ix) <= 6
    assert "open.py" in ix and "m00.py" in ix and "m19.py" in ix
    assert "m01.py" not in ix


# -- updates -------------------------------------------------------------------------------------

def test_open_buffers_override_the_disk_after_the_debounce(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text("def on_disk():\n    pass\n")
    ix = SymbolIndex(tmp_path, debounce_s=0.2)
    ix.build()
    doc = Document(uri=path.as_uri(), text="def in_buffer(a):\n    pass\n", language_id="python")
    ix.update_document(doc)
    ix._process(force=False)
    assert ix.lookup("on_disk"), "re-extracted before the document was quiet"
    time.sleep(0.25)
    ix._process(force=False)
    assert ix.lookup("on_disk") == [] and ix.lookup("in_buffer")[0][1].text.startswith(
        "def in_buffer(a):")
    ix.file_saved(str(path))  # the buffer still wins while open
    ix.flush()
    assert ix.lookup("in_buffer")
    ix.close_document(doc.uri)
    ix.flush()
    assert ix.lookup("on_disk") and not ix.lookup("in_buffer")


def test_the_buffer_is_read_from_its_current_tree_after_incremental_edits(tmp_path):
    doc = Document(uri=(tmp_path / "a.py").as_uri(), text="def one():\n    pass\n",
                   language_id="python")
    ix = SymbolIndex(tmp_path)
    doc.apply_change("two", (0, 4), (0, 7))
    ix.update_document(doc)
    doc.apply_change("three", (0, 4), (0, 7))  # later edits do not disturb the copied tree
    ix.flush()
    assert [d.name for _, d in ix.lookup("two")] == ["two"]


def test_saved_and_deleted_files(tmp_path):
    path = tmp_path / "m.go"
    path.write_text("package m\n\nfunc Old() {}\n")
    ix = SymbolIndex(tmp_path)
    ix.build()
    path.write_text("package m\n\nfunc New() {}\n")
    ix.file_saved(path.as_uri())
    ix.flush()
    assert ix.lookup("New") and not ix.lookup("Old")
    ix.remove(str(path))
    assert len(ix) == 0 and not ix.lookup("New")


def test_the_background_scan_runs_and_stops_promptly(tmp_path):
    _many(tmp_path, 30)
    ix = SymbolIndex(tmp_path, debounce_s=0.05)
    ix.start()
    assert ix.scanned.wait(10)
    assert len(ix) == 30
    doc = Document(uri=(tmp_path / "m00.py").as_uri(), text="def renamed():\n    pass\n",
                   language_id="python")
    ix.update_document(doc)
    deadline = time.monotonic() + 5
    while not ix.lookup("renamed") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ix.lookup("renamed")
    t0 = time.monotonic()
    ix.stop()
    assert time.monotonic() - t0 < 1.0 and not ix._thread.is_alive()


def test_stopping_in_the_middle_of_a_large_scan(tmp_path):
    import site

    root = Path(site.getsitepackages()[0])
    ix = SymbolIndex(root, max_files=100_000)
    ix.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    ix.stop()
    assert time.monotonic() - t0 < 1.0 and not ix._thread.is_alive()


# -- imports -------------------------------------------------------------------------------------

def _imports(index: SymbolIndex, rel: str, language_id: str) -> set[str]:
    data = (WORKSPACE / rel).read_bytes()
    tree = new_parser(language_id).parse(data)
    return set(resolve_imports(index, rel, language_id, extract_imports(tree, data,
                                                                        language_id)))


@pytest.mark.parametrize(("rel", "language_id", "expected"), [
    ("src/app/main.py", "python", {"src/shapes/geometry.py"}),
    ("src/shapes/geometry.py", "python", {"src/shapes/units.py"}),
    ("web/app.ts", "typescript", {"web/lib/math.ts"}),
    ("web/lib/index.ts", "typescript", {"web/lib/math.ts"}),
    ("web/legacy.js", "javascript", {"web/util.js"}),
    ("go/main.go", "go", {"go/geom.go"}),
    ("rust/src/lib.rs", "rust", {"rust/src/circle.rs"}),
    ("c/src/vec.c", "c", {"c/include/vec.h"}),
])
def test_imports_resolve_to_workspace_files(index, rel, language_id, expected):
    assert _imports(index, rel, language_id) == expected


def test_the_root_of_a_file_is_its_nearest_project_directory(tmp_path):
    assert find_root(WORKSPACE / "src" / "app" / "main.py") == WORKSPACE
    assert find_root(WORKSPACE / "rust" / "src" / "lib.rs") == WORKSPACE / "rust"
    (tmp_path / "loose.py").write_text("x = 1\n")
    assert find_root(tmp_path / "loose.py") == tmp_path


def test_the_selection_memo_stays_bounded():
    memo = SelectionMemo()
    for i in range(SelectionMemo.LIMIT):
        memo.keep_imports((f"f{i}.py", "python", (), 0), frozenset())
        memo.keep_selection(f"f{i}.py", (i,), ())
    memo.keep_selection("f0.py", ("again",), ())  # a file already kept replaces its entry
    assert len(memo.last) == SelectionMemo.LIMIT and memo.last["f0.py"][0] == ("again",)
    memo.keep_imports(("new.py", "python", (), 1), frozenset({"a.py"}))
    memo.keep_selection("new.py", ("k",), ())
    assert memo.imports == {("new.py", "python", (), 1): frozenset({"a.py"})}
    assert memo.last == {"new.py": (("k",), ())}
