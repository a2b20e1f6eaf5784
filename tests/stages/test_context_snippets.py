"""Snippet selection: names near the cursor, ranking, the token budget and stability."""

from __future__ import annotations

from pathlib import Path

import pytest

from slm_lsp.context.index import SymbolIndex
from slm_lsp.context.snippets import names_near, select_snippets
from slm_lsp.context.window import build_window
from slm_lsp.documents import Document
from slm_lsp.formats import PromptFormat
from slm_lsp.prompts.fim import render

WORKSPACE = Path(__file__).resolve().parents[1] / "data" / "workspace"
MAIN = WORKSPACE / "src" / "app" / "main.py"


def tokens(text: str) -> int:
    """A stand-in tokenizer: one token per 4 characters, rounded up."""
    return -(-len(text) // 4)


@pytest.fixture()
def index() -> SymbolIndex:
    ix = SymbolIndex(WORKSPACE, max_files=100)
    ix.build()
    return ix


def select(index, text: str, offset: int, path: Path = MAIN, language_id: str = "python",
           budget: int = 400, tree=None):
    return select_snippets(index, text, offset, language_id, str(path), budget, tokens,
                           tree=tree)


def at(text: str, needle: str) -> int:
    return text.index(needle) + len(needle)


def test_the_imported_definition_wins_over_a_same_named_one_elsewhere(index):
    text = MAIN.read_text()
    snippets = select(index, text, at(text, "height)\n    "))
    assert [s.path for s in snippets] == ["src/shapes/geometry.py"]
    assert "def area_of_rectangle(width: float, height: float) -> float:" in snippets[0].text


def test_definitions_from_one_file_share_a_snippet_in_file_order(index):
    text = MAIN.read_text()
    (snippet,) = select(index, text, at(text, "height)\n    "))
    assert snippet.text.index("def area_of_rectangle") < snippet.text.index("class Point:")
    assert "def distance_to(self, other: Point) -> float: ..." in snippet.text


def test_same_directory_ranks_before_elsewhere(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "pkg" / "near.py").write_text("def helper(a):\n    return a\n")
    (tmp_path / "other" / "far.py").write_text("def helper(a, b):\n    return b\n")
    (tmp_path / "other" / "far2.py").write_text("def tool():\n    return 1\n")
    ix = SymbolIndex(tmp_path)
    ix.build()
    text = "def run():\n    helper(1)\n    tool()\n"
    snippets = select(ix, text, len(text), tmp_path / "pkg" / "cur.py")
    assert [s.path for s in snippets] == ["other/far2.py", "pkg/near.py"]


def test_the_budget_keeps_the_closest_reference_and_whole_definitions_only(tmp_path):
    for name in ("alpha", "beta", "gamma"):
        (tmp_path / f"{name}.py").write_text(
            f"def {name}(x):\n    '''The {name} step.'''\n    return x\n")
    ix = SymbolIndex(tmp_path)
    ix.build()
    text = "def run(x):\n    x = alpha(x)\n    x = gamma(x)\n    x = beta(x)\n    \n"
    one = tokens("beta.py\n" + (tmp_path / "beta.py").read_text())
    snippets = select(ix, text, len(text) - 1, tmp_path / "cur.py", budget=one)
    assert [s.path for s in snippets] == ["beta.py"]  # referenced on the line above
    assert snippets[0].text == (tmp_path / "beta.py").read_text()
    snippets = select(ix, text, len(text) - 1, tmp_path / "cur.py", budget=2 * one + 1)
    assert sorted(s.path for s in snippets) == ["beta.py", "gamma.py"]
    assert sum(tokens(f"{s.path}\n{s.text}") for s in snippets) <= 2 * one + 1
    assert select(ix, text, len(text) - 1, tmp_path / "cur.py", budget=one - 1) == ()


def test_own_definitions_builtins_and_the_word_being_typed_are_skipped(tmp_path):
    (tmp_path / "lib.py").write_text("def local_helper():\n    pass\n\n\ndef print():\n    pass\n"
                                     "\n\ndef partial_name():\n    pass\n")
    ix = SymbolIndex(tmp_path)
    ix.build()
    text = "def local_helper():\n    pass\n\n\ndef run():\n    local_helper()\n    print(1)\n" \
           "    partial_name"
    assert select(ix, text, len(text), tmp_path / "cur.py") == ()
    names = names_near(Document(uri="file:///x.py", text=text, language_id="python").tree,
                       text.encode(), len(text.encode()), "python")
    assert "local_helper" in names and "print" not in names and "partial_name" not in names


def test_languages_do_not_mix(index):
    text = "function run() {\n  return area_of_rectangle(1, 2);\n}\n"
    path = WORKSPACE / "web" / "other.js"
    assert select(index, text, len(text) - 2, path, language_id="javascript") == ()


def test_typescript_and_rust_select_their_imports(index):
    ts = (WORKSPACE / "web" / "app.ts").read_text()
    (snippet,) = select(index, ts, at(ts, "return v"), WORKSPACE / "web" / "app.ts",
                        language_id="typescript")
    assert snippet.path == "web/lib/math.ts" and "export function clamp(" in snippet.text
    rs = (WORKSPACE / "rust" / "src" / "lib.rs").read_text()
    (snippet,) = select(index, rs, at(rs, ".sum()"), WORKSPACE / "rust" / "src" / "lib.rs",
                        language_id="rust")
    assert snippet.path == "rust/src/circle.rs" and "impl Circle {" in snippet.text


def _prompt_head(snippets) -> str:
    fmt = PromptFormat(name="qwen", template="{fim_prefix}{pre}{fim_suffix}{suf}{fim_middle}",
                       fim_prefix="<|fim_prefix|>", fim_suffix="<|fim_suffix|>",
                       fim_middle="<|fim_middle|>", repo_header="<|repo_name|>{repo}\n",
                       file_sep="<|file_sep|>", file_header="{path}\n")
    window = build_window("x = 1\n", 6, tokens, 100, 100)
    prompt = render(fmt, window, language_id="python", path="src/app/main.py",
                    snippets=snippets, repo="workspace")
    return prompt.text.split("<|fim_prefix|>")[0]


def test_typing_inside_a_function_keeps_the_snippets_byte_identical(index):
    text = MAIN.read_text()
    doc = Document(uri=MAIN.as_uri(), text=text, language_id="python", encoding="utf-32")
    line, col = 7, 4  # the empty line in report()
    first = select(index, doc.text, doc.offset_at(line, col), tree=doc.tree)
    assert first, "nothing selected"
    head = _prompt_head(first)
    typed = "scaled = corner.scaled(2.0)\n    if total > 10:\n        total = round(total)"
    for ch in typed:
        doc.apply_change(ch, (line, col), (line, col))
        line, col = (line + 1, 0) if ch == "\n" else (line, col + 1)
        snippets = select(index, doc.text, doc.offset_at(line, col), tree=doc.tree)
        assert snippets == first, f"changed after typing {ch!r} at {line}:{col}"
        assert _prompt_head(snippets) == head


def test_a_newly_used_name_changes_the_selection(index):
    text = MAIN.read_text()
    doc = Document(uri=MAIN.as_uri(), text=text, language_id="python", encoding="utf-32")
    before = select(index, doc.text, doc.offset_at(7, 4), tree=doc.tree)
    doc.apply_change("to_metres(total, 'cm')\n    ", (7, 4), (7, 4))
    after = select(index, doc.text, doc.offset_at(8, 4), tree=doc.tree)
    assert [s.path for s in before] == ["src/shapes/geometry.py"]
    assert [s.path for s in after] == ["src/shapes/units.py", "src/shapes/geometry.py"]


def test_a_change_in_a_selected_file_is_seen(index):
    text = MAIN.read_text()
    first = select(index, text, at(text, "height)\n    "))
    geometry = WORKSPACE / "src" / "shapes" / "geometry.py"
    new = geometry.read_text().replace("def area_of_rectangle(width: float, height: float)",
                                       "def area_of_rectangle(w: int, h: int)")
    index.update_document(Document(uri=geometry.as_uri(), text=new, language_id="python"))
    index.flush()
    second = select(index, text, at(text, "height)\n    "))
    assert first != second and "def area_of_rectangle(w: int, h: int)" in second[0].text


def test_no_index_or_no_budget_means_no_snippets(index):
    text = MAIN.read_text()
    assert select_snippets(None, text, 10, "python", str(MAIN), 400, tokens) == ()
    assert select(index, text, at(text, "height)\n    "), budget=0) == ()


def test_half_typed_code_keeps_the_previous_selection(tmp_path):
    # A real file whose error recovery regroups the whole module while `x = ` is half typed.
    import shutil

    import pygls

    shutil.copytree(Path(pygls.__file__).parent, tmp_path / "pygls")
    path = tmp_path / "pygls" / "lsp" / "server.py"
    doc = Document(uri=path.as_uri(), text=path.read_text(), language_id="python",
                   encoding="utf-32")
    ix = SymbolIndex(tmp_path)
    ix.build()
    line, col = doc.line_col(doc.text.index("def __init__("))
    line += 2
    col = len(doc.line_text(line))
    first = None
    broken = 0
    for ch in "\n        x = self.protocol":
        doc.apply_change(ch, (line, col), (line, col))
        line, col = (line + 1, 0) if ch == "\n" else (line, col + 1)
        broken += doc.tree.root_node.has_error
        snippets = select(ix, doc.text, doc.offset_at(line, col), path, tree=doc.tree)
        assert first is None or snippets == first, f"changed after typing {ch!r}"
        first = snippets
    assert first and broken, "nothing selected, or the code always parsed: nothing checked"
