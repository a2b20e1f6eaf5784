"""Docstrings: style detection, summaries, skeletons and where they go."""

from __future__ import annotations

import ast

import pytest

from slm_lsp.actions import docstring
from slm_lsp.actions.targets import definition_at
from slm_lsp.languages import new_parser


def target(text: str, lang: str, needle: str):
    tree = new_parser(lang).parse(text.encode())
    d = definition_at(tree, len(text[:text.index(needle)].encode()), lang)
    data = text.encode()
    body = len(data[:d.body_byte].decode())
    start = len(data[:d.start_byte].decode())
    return d, body, start


@pytest.mark.parametrize("doc,style", [
    ('"""Sum.\n\n    Parameters\n    ----------\n    a : int\n    """', "numpy"),
    ('"""Sum.\n\n    :param a: first\n    :returns: total\n    """', "sphinx"),
    ('"""Sum.\n\n    Args:\n        a: first\n    """', "google"),
    ('"""Sum."""', "google"),
])
def test_style_is_detected_from_the_files_docstrings(doc, style):
    text = f"def other(a):\n    {doc}\n    return a\n"
    assert docstring.detect_style(text) == style


@pytest.mark.parametrize("name,summary", [
    ("load_config", "Load config."),
    ("parseHTTPHeader", "Parse HTTP header."),
    ("x", "X."),
])
def test_summary_from_name(name, summary):
    d, _, _ = target(f"def {name}():\n    pass\n", "python", name)
    assert docstring.summary_from_name(d) == summary


@pytest.mark.parametrize("style,expect", [
    ("google", ["Args:", "        radius: The radius.", "Returns:"]),
    ("numpy", ["Parameters", "    ----------", "    radius"]),
    ("sphinx", [":param radius: The radius.", ":returns: The result."]),
])
def test_python_skeleton_lists_the_real_parameters_in_the_style(style, expect):
    text = 'x = "é😋"\n\nclass C:\n    def area(self, radius):\n        return radius\n'
    d, body, start = target(text, "python", "area")
    ins = docstring.render(d, "python", "", text=text, body_offset=body, start_offset=start,
                           style=style)
    after = text[:ins.offset] + ins.text + text[ins.offset:]
    tree = ast.parse(after)
    fn = tree.body[1].body[0]
    doc = ast.get_docstring(fn, clean=False)
    assert doc is not None and doc.startswith("Area.")
    for piece in expect:
        assert piece in doc
    assert ins.text.startswith('        """')  # the body's indentation


def test_model_summary_is_kept_and_sections_still_come_from_the_signature():
    text = "def scale(v, k):\n    return v * k\n"
    d, body, start = target(text, "python", "scale")
    ins = docstring.render(d, "python", "Multiply a vector by a factor.", text=text,
                           body_offset=body, start_offset=start)
    assert ins.text.startswith('    """Multiply a vector by a factor.\n')
    assert "v: The v." in ins.text and "k: The k." in ins.text


@pytest.mark.parametrize("raw,summary", [
    (" Return the sum of two numbers.\n\n    Args:", "Return the sum of two numbers."),
    ("Compute the mean\n    of the values", "Compute the mean of the values."),
    ('"""', ""),
    ("    return a + b", ""),
    ("a\n", ""),
    (" * Adds things up and returns\n * the total */", "Adds things up and returns the total."),
])
def test_clean_summary_keeps_prose_and_drops_code(raw, summary):
    assert docstring.clean_summary(raw) == summary


@pytest.mark.parametrize("lang,text,needle,first_line", [
    ("typescript", "export function add(a: number, b: number) {\n  return a + b;\n}\n", "add",
     "/**"),
    ("go", "package p\n\nfunc Add(a, b int) int { return a + b }\n", "Add", "// Add"),
    ("rust", "pub fn add(a: i32) -> i32 { a }\n", "add", "/// "),
    ("java", "class A {\n    int m(int a) { return a; }\n}\n", "m(", "    /**"),
])
def test_comment_conventions_go_above_the_declaration(lang, text, needle, first_line):
    d, body, start = target(text, lang, needle)
    ins = docstring.render(d, lang, "", text=text, body_offset=body, start_offset=start)
    assert ins.text.startswith(first_line)
    line_start = text.rfind("\n", 0, start) + 1
    assert ins.offset == line_start
    parser = new_parser(lang)
    after = text[:ins.offset] + ins.text + text[ins.offset:]
    assert not parser.parse(after.encode()).root_node.has_error


def test_opening_for_a_plain_model_ends_inside_the_docstring():
    text = "def f(a, b):\n    return a\n"
    d, body, start = target(text, "python", "f(")
    head, tail = docstring.opening(d, "python", text=text, body_offset=body, start_offset=start)
    assert head == 'def f(a, b):\n    """'
    assert tail.startswith('"""\n    return a')
