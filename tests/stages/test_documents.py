"""Documents: position conversion in each encoding, and incremental parsing == a fresh parse."""

from __future__ import annotations

import random

import pytest

from slm_lsp.documents import Document, chars_to_units, units_to_chars
from slm_lsp.languages import new_parser

LINE = "é😋slow"


@pytest.mark.parametrize(("encoding", "units", "chars"), [
    ("utf-8", 6, 2), ("utf-16", 3, 2), ("utf-32", 2, 2),
    ("utf-8", 2, 1), ("utf-16", 1, 1),
])
def test_client_units_map_to_code_points(encoding, units, chars):
    assert units_to_chars(LINE, units, encoding) == chars
    assert chars_to_units(LINE, chars, encoding) == units


def test_a_column_inside_a_surrogate_pair_rounds_down():
    # 😋 is two UTF-16 units; column 2 is between them.
    assert units_to_chars(LINE, 2, "utf-16") == 1
    assert units_to_chars(LINE, 4, "utf-8") == 1  # inside the 4 UTF-8 bytes of 😋


def test_out_of_range_positions_are_clamped():
    doc = Document(uri="file:///a.py", text="ab\ncd\n", language_id="python")
    assert doc.offset_at(-3, 5) == 0
    assert doc.offset_at(0, 99) == 2
    assert doc.offset_at(99, 0) == len(doc.text)
    assert doc.position_at(10_000) == (2, 0)


def test_position_round_trip_with_crlf_and_astral_chars():
    doc = Document(uri="file:///a.py", text="x = 1\r\ny = '😋'\r\nz", language_id="python",
                   encoding="utf-16")
    off = doc.offset_at(1, 7)  # after the emoji (2 units)
    assert doc.text[off] == "'"
    assert doc.position_at(off) == (1, 7)


SRC = '''import os


def f(x, y):
    """Add."""
    return x + y


class A:
    def m(self):
        return f(1, 2)
'''


def _random_edit(rng: random.Random, doc: Document) -> None:
    line = rng.randrange(doc.line_count)
    text = doc.line_text(line)
    a = rng.randrange(len(text) + 1)
    b = rng.randrange(a, len(text) + 1)
    insert = rng.choice(["", "x", "(", ")", ":\n    ", "é😋", "\n", "def g():\n  pass\n", "'"])
    unit = lambda s: chars_to_units(text, s, doc.encoding)  # noqa: E731
    doc.apply_change(insert, (line, unit(a)), (line, unit(b)))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_incremental_tree_equals_a_fresh_parse(encoding):
    rng = random.Random(7)
    doc = Document(uri="file:///a.py", text=SRC, language_id="python", encoding=encoding)
    parser = new_parser("python")
    for _ in range(200):
        _random_edit(rng, doc)
        fresh = parser.parse(doc.text.encode())
        assert str(doc.tree.root_node) == str(fresh.root_node)


def test_full_change_replaces_the_text():
    doc = Document(uri="file:///a.js", text="let a = 1;", language_id="javascript")
    doc.apply_change("const b = 2;\n", None, None)
    assert doc.text == "const b = 2;\n" and not doc.has_errors()


def test_a_language_without_grammar_keeps_text_only():
    doc = Document(uri="file:///a.txt", text="hello", language_id="plaintext")
    doc.apply_change(" world", (0, 5), (0, 5))
    assert doc.text == "hello world" and doc.tree is None
