"""Syntax problems from the tree: ERROR and MISSING nodes with short messages."""

from __future__ import annotations

from slm_lsp.languages import new_parser
from slm_lsp.syntax.diagnostics import syntax_problems


def problems(text: str, lang: str = "python"):
    data = text.encode()
    return syntax_problems(new_parser(lang).parse(data), data)


def test_a_clean_file_has_no_problems():
    assert problems("def f(x):\n    return x\n") == []


def test_missing_closer_is_named():
    found = problems("int main() { return f(1; }\n", "c")
    assert any("missing" in p.message for p in found), found


def test_error_is_reported_on_its_first_line_only():
    text = "def f(:\n    return 1\nx = 2\n"
    found = problems(text)
    assert found
    for p in found:
        assert p.start.row == p.end.row
        assert p.message.startswith(("syntax error", "missing"))


def test_problem_bytes_match_points_with_multibyte_text():
    text = 's = "é😋"\nx = (1 +\n'
    found = problems(text)
    assert found
    data = text.encode()
    for p in found:
        line_start = data.rfind(b"\n", 0, p.start_byte) + 1
        assert p.start.column == p.start_byte - line_start
