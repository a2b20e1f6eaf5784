"""Positions and the line index stay exact while costing nothing per character."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from slm_lsp.documents import Document, chars_to_units, units_to_chars, window_around


def _naive_units(ch: str, encoding: str) -> int:
    if encoding == "utf-32":
        return 1
    if encoding == "utf-16":
        return 2 if ord(ch) > 0xFFFF else 1
    return len(ch.encode("utf-8"))


def _naive_to_chars(line: str, units: int, encoding: str) -> int:
    count = 0
    for i, ch in enumerate(line):
        count += _naive_units(ch, encoding)
        if count > units:
            return i
        if count == units:
            return i + 1
    return len(line)


LINES = st.text(alphabet=st.sampled_from("ab é😋\t{}"), max_size=30)
ENCODINGS = st.sampled_from(["utf-8", "utf-16", "utf-32"])


@settings(deadline=None)  # a shared, busy machine
@given(LINES, st.integers(0, 80), ENCODINGS)
def test_units_to_chars_matches_counting_one_by_one(line, units, encoding):
    expected = 0 if units <= 0 else _naive_to_chars(line, units, encoding)
    assert units_to_chars(line, units, encoding) == expected


@settings(deadline=None)
@given(LINES, st.integers(0, 40), ENCODINGS)
def test_chars_to_units_matches_counting_one_by_one(line, chars, encoding):
    expected = sum(_naive_units(c, encoding) for c in line[:chars])
    assert chars_to_units(line, chars, encoding) == expected


def _starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


EDIT = st.tuples(st.integers(0, 60), st.integers(0, 8),
                 st.text(alphabet=st.sampled_from("ab\n\r é"), max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab\n\r é"), max_size=60), st.lists(EDIT, max_size=6))
def test_the_line_index_updated_in_place_equals_a_fresh_one(text, edits):
    doc = Document(uri="file:///a.txt", text=text, language_id="plaintext", encoding="utf-32")
    for at, length, new in edits:
        a = min(at, len(doc.text))
        b = min(a + length, len(doc.text))
        start, end = doc.line_col(a), doc.line_col(b)
        doc.apply_change(new, start, end)
        assert doc._line_starts == _starts(doc.text)


def test_a_window_is_cut_at_lines_and_keeps_the_cursor():
    text = "".join(f"line {i}\n" for i in range(100_000))
    offset = text.index("line 50000\n") + 3
    window, start = window_around(text, offset, 1000, 500)
    assert text[start:start + len(window)] == window
    assert window.startswith("line ") and window.endswith("\n")
    assert len(window) <= 1500 and text[offset] == window[offset - start]
    one_line = "x" * 1_000_000
    window, start = window_around(one_line, 500_000, 1000, 500)
    assert len(window) == 1500 and start == 499_000
