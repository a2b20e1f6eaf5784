"""The three actions computed with a scripted engine: what is offered, what is refused."""

from __future__ import annotations

import ast
import threading

import pytest

from slm_lsp.actions import compute, scaffold
from slm_lsp.actions.drafter import Cancelled, Drafter
from slm_lsp.engine.base import Cancel
from slm_lsp.models.registry import load_registry
from tests.support.fake_engine import FakeEngine

FORMATS = load_registry().formats


def drafter(rules, fmt="plain", cancel=None):
    engine = FakeEngine({"rules": rules})
    return Drafter(engine, FORMATS[fmt], cancel or Cancel(), None, 256), engine


BROKEN = ('label = "é😋"\n\n\ndef total(xs):\n    s = sum(xs\n    return s\n\n\n'
          'def other():\n    return 1\n')
# tree-sitter's recovery puts both lines of `total`'s body in one ERROR node: that is the block.
FIXED_BODY = "s = sum(xs)\n    return s\n"


def apply(text: str, outcome: compute.Outcome) -> str:
    for c in sorted(outcome.changes, key=lambda c: -c.start):
        text = text[:c.start] + c.text + text[c.end:]
    return text


def test_a_fix_that_parses_replaces_only_its_block():
    d, engine = drafter([{"match": "Corrected code:", "text": FIXED_BODY}])
    a = BROKEN.index("sum(")
    out = compute.compute_fix(BROKEN, "python", a, a + 3, "unclosed (", d)
    assert not out.refusal, out.refusal
    fixed = apply(BROKEN, out)
    ast.parse(fixed)
    assert fixed == BROKEN.replace("sum(xs\n", "sum(xs)\n")
    assert "Problem: unclosed (" in engine.prompts[0]


@pytest.mark.parametrize("answer,reason", [
    ("s = sum(xs\n    return s\n", "changed nothing"),
    ("s = sum(xs))))\n", "does not parse"),
    ("", "no code"),
    ("# s = sum(xs)\n", "comments"),
])
def test_a_bad_fix_is_refused_with_a_reason(answer, reason):
    d, _ = drafter([{"match": "Corrected code:", "text": answer}])
    a = BROKEN.index("sum(")
    out = compute.compute_fix(BROKEN, "python", a, a + 3, "unclosed (", d)
    assert out.empty
    assert out.refusal.startswith("no safe fix found") and reason in out.refusal


def test_a_fix_with_a_fim_model_fills_the_block_as_the_hole():
    d, engine = drafter([{"match": "<|fim_middle|>", "text": FIXED_BODY}], fmt="qwen")
    a = BROKEN.index("sum(")
    out = compute.compute_fix(BROKEN, "python", a, a + 3, "unclosed (", d)
    assert not out.refusal
    prompt = engine.prompts[0]
    assert prompt.startswith("<|fim_prefix|>") and "<|fim_suffix|>\n\ndef other():" in prompt
    ast.parse(apply(BROKEN, out))


def test_no_model_means_no_fix():
    d = Drafter(None, None, Cancel())
    out = compute.compute_fix(BROKEN, "python", 0, 1, "x", d)
    assert out.empty and "not available" in out.refusal


DOC_SRC = 'x = "é😋"\n\n\ndef mean(values, weights=None):\n    return sum(values) / len(values)\n'


def test_docstring_uses_the_models_summary_and_only_inserts():
    d, engine = drafter([{"match": '"""', "text": 'Return the average of the values."""'}])
    out = compute.compute_docstring(DOC_SRC, "python", DOC_SRC.index("mean"), d)
    assert out.source == "model"
    (change,) = out.changes
    assert change.start == change.end  # an insertion
    fn = ast.parse(apply(DOC_SRC, out)).body[1]
    doc = ast.get_docstring(fn)
    assert doc.startswith("Return the average of the values.")
    assert "values: The values." in doc and "weights: The weights." in doc
    assert engine.prompts[0].endswith('def mean(values, weights=None):\n    """')


def test_docstring_falls_back_to_a_skeleton_on_garbage():
    d, _ = drafter([{"match": '"""', "text": "return return ((("}])
    out = compute.compute_docstring(DOC_SRC, "python", DOC_SRC.index("mean"), d)
    assert out.source == "skeleton"
    doc = ast.get_docstring(ast.parse(apply(DOC_SRC, out)).body[1])
    assert doc.startswith("Mean.")


def test_documented_function_is_refused():
    text = 'def f():\n    """Done."""\n'
    d, engine = drafter([])
    out = compute.compute_docstring(text, "python", 4, d)
    assert out.empty and "already" in out.refusal and not engine.prompts


def test_tests_for_a_module_use_model_bodies_that_parse_and_skeletons_otherwise(tmp_path):
    src = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
    root = tmp_path
    plan = scaffold.plan(str(root), str(root / "src" / "calc" / "ops.py"), "python")
    d, engine = drafter([
        {"match": "def test_add():", "text": "assert add(1, 2) == 3\n\n\ndef other():\n"},
        {"match": "def test_sub():", "text": "sub(((\n"},
    ])
    out = compute.compute_tests(src, "python", None, plan, None, d)
    assert out.source == "mixed"
    assert out.file is not None and out.file.existing is None
    text = out.file.text
    tree = ast.parse(text)
    assert "from calc.ops import add, sub" in text
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert names == ["test_add", "test_sub"]
    assert "assert add(1, 2) == 3" in text
    assert 'pytest.skip("write the assertion")' in text
    assert "def other" not in text


def test_tests_append_to_an_existing_file_and_keep_it_parsing(tmp_path):
    existing = "from calc.ops import add\n\n\ndef test_old():\n    assert add(1, 1) == 2\n"
    plan = scaffold.plan(str(tmp_path), str(tmp_path / "calc" / "ops.py"), "python")
    d, _ = drafter([])
    src = "def add(a, b):\n    return a + b\n"
    out = compute.compute_tests(src, "python", 0, plan, existing, d)
    assert out.file.existing == existing
    ast.parse(existing + out.file.text)
    assert "from calc.ops import add" not in out.file.text  # already imported


def test_rust_tests_append_a_test_module_to_the_same_file(tmp_path):
    src = "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"
    plan = scaffold.plan(str(tmp_path), str(tmp_path / "src" / "lib.rs"), "rust")
    d, _ = drafter([{"match": "fn test_add()", "text": "assert_eq!(add(1, 2), 3);\n    }\n"}])
    out = compute.compute_tests(src, "rust", None, plan, None, d)
    (change,) = out.changes
    assert change.start == change.end == len(src)
    assert "#[cfg(test)]" in change.text and "assert_eq!(add(1, 2), 3);" in change.text
    from slm_lsp.languages import new_parser
    tree = new_parser("rust").parse((src + change.text).encode())
    assert not tree.root_node.has_error


def test_go_tests_use_the_files_package(tmp_path):
    src = "package calc\n\nfunc Add(a, b int) int { return a + b }\n"
    plan = scaffold.plan(str(tmp_path), str(tmp_path / "calc" / "add.go"), "go")
    d, _ = drafter([])
    out = compute.compute_tests(src, "go", None, plan, None, d)
    assert out.file.text.startswith("package calc\n")
    assert "func TestAdd(t *testing.T) {" in out.file.text


def test_cancel_stops_the_draft():
    cancel = Cancel()
    d, _ = drafter([{"match": "", "text": "x", "delay_s": 5}], cancel=cancel)
    timer = threading.Timer(0.1, cancel.set)
    timer.start()
    with pytest.raises(Cancelled):
        compute.compute_docstring(DOC_SRC, "python", DOC_SRC.index("mean"), d)


JS_SRC = "export function perimeter(w, h) {\n  return 2 * (w + h);\n}\n"


@pytest.mark.parametrize("body, kept", [
    ("expect(perimeter(1, 1)) === 2;\n", False),  # no matcher: it can never fail
    ("expect(perimeter(1, 1)).toBe(4);\n", True),
    ("expect(perimeter(1, 1)).not.toEqual(3);\n", True),
    ("expect(perimeter(1, 1)).toBe(4);\n    expect(perimeter(2, 1));\n", False),
    ("const p = perimeter(1, 1);\n", False),
])
def test_a_js_test_body_needs_a_matcher(tmp_path, body, kept):
    plan = scaffold.plan(str(tmp_path), str(tmp_path / "shapes.js"), "javascript", text=JS_SRC)
    d, _ = drafter([{"match": 'it("works"', "text": body + "  });\n});\n"}])
    out = compute.compute_tests(JS_SRC, "javascript", None, plan, None, d)
    text = out.file.text
    assert ('import { perimeter } from "./shapes.js";' in text) and "require(" not in text
    if kept:
        assert out.source == "model" and body.strip().split("\n")[0] in text
    else:
        assert out.source == "skeleton" and "=== 2" not in text
        assert 'it.todo("check perimeter(w, h)");' in text and "it(" not in text


def test_a_python_test_without_assert_becomes_a_skip(tmp_path):
    src = "def add(a, b):\n    return a + b\n"
    plan = scaffold.plan(str(tmp_path), str(tmp_path / "ops.py"), "python")
    d, _ = drafter([{"match": "def test_add():", "text": "add(1, 2)\n    print(add(2, 3))\n"}])
    out = compute.compute_tests(src, "python", None, plan, None, d)
    assert out.source == "skeleton"
    assert 'pytest.skip("write the assertion")' in out.file.text
    assert "print(" not in out.file.text
    ast.parse(out.file.text)
