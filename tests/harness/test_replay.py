"""The pure parts of the typing replay used by the latency and soak benchmarks."""

from __future__ import annotations

import math

import pytest

from benchmarks.replay import (
    corpus_files,
    keystrokes,
    matching_prefix,
    percentile,
    span_end,
    start_offset,
    type_through,
    typing_document,
    utf16_position,
)
from benchmarks.startup import heavy_imports, parse_importtime

TEXT = "import os\n\ndef f(x):\n    return x + 1\n\nprint(f(2))\n"


def test_typing_document_cuts_whole_lines_and_keeps_the_rest():
    start = TEXT.index("def")
    opened, typed = typing_document(TEXT, start, 5)
    assert typed == "def f(x):"
    assert opened == "import os\n\n\n    return x + 1\n\nprint(f(2))\n"
    assert opened[:start] + typed + opened[start:] == TEXT


def test_a_span_never_ends_with_code_right_of_the_cursor():
    for start in (0, TEXT.index("def"), TEXT.index("    return")):
        for count in range(1, 40):
            end = span_end(TEXT, start, count)
            assert end == len(TEXT) or TEXT[end] == "\n"


def test_typing_every_keystroke_rebuilds_the_file():
    start = TEXT.index("def")
    opened, typed = typing_document(TEXT, start, 20)
    doc = opened
    keys = keystrokes(TEXT, start, 20)
    assert "".join(k.char for k in keys) == typed
    for key in keys:
        assert (key.line, key.character) == utf16_position(doc, key.offset)
        doc = doc[:key.offset] + key.char + doc[key.offset:]
    assert doc == TEXT
    assert [k.version for k in keys] == list(range(2, 2 + len(keys)))


def test_positions_are_in_utf16_units():
    text = "é😋x = 1\n"
    assert utf16_position(text, 2) == (0, 3)  # é is 1 unit, the emoji 2
    keys = keystrokes("a😋bc\n", 3, 1)
    assert (keys[0].char, keys[0].line, keys[0].character) == ("c", 0, 4)


@pytest.mark.parametrize("values, q, expected", [
    ([5.0], 50, 5.0),
    ([1, 2, 3, 4], 50, 2.5),
    ([1, 2, 3, 4, 5], 95, 4.8),
    ([3, 1, 2], 0, 1),
    ([3, 1, 2], 100, 3),
    (list(range(101)), 95, 95.0),
])
def test_percentile_interpolates_linearly(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan():
    assert math.isnan(percentile([], 50))


def test_type_through_keeps_the_rest_of_a_matching_suggestion():
    assert type_through("return x", "r") == "eturn x"
    assert type_through("return x", "ret") == "urn x"


def test_type_through_breaks_on_a_different_character_or_at_the_end():
    assert type_through("return x", "x") == ""
    assert type_through("x", "x") == ""  # fully typed: nothing left to show
    assert type_through("", "a") == ""


def test_matching_prefix_counts_what_the_file_continues_with():
    assert matching_prefix("return x\n", "return y") == 7
    assert matching_prefix("abc", "abc") == 3
    assert matching_prefix("", "abc") == 0


def test_start_offset_is_the_first_line_with_a_full_prefix_window():
    text = "".join(f"line{i}\n" for i in range(100))
    count = lambda s: s.count("\n")  # noqa: E731 - one "token" per line
    start = start_offset(text, count, 30)
    assert text[:start].count("\n") == 30 and text[start - 1] == "\n"
    assert start_offset(text, count, 1000) == text.rindex("\n", 0, len(text) - 1) + 1


def test_the_corpus_has_python_and_javascript_with_their_licences():
    files = corpus_files()
    assert {f.suffix for f in files} >= {".py", ".js"}
    for f in files:
        assert any(p.name.startswith("LICENSE") for p in f.parent.iterdir())


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     numpy.core
import time:       200 |        300 |   numpy
import time:        50 |        350 | slm_lsp.engine
import time:        10 |         10 |   json.decoder
import time:        20 |         30 | json
"""


def test_importtime_lines_are_parsed_with_their_parents():
    rows = parse_importtime(IMPORTTIME)
    assert rows[0] == (100, 2, "numpy.core", "numpy")
    assert rows[1] == (300, 1, "numpy", "slm_lsp.engine")
    assert rows[2][3] is None


def test_heavy_imports_name_the_module_of_ours_that_pulled_them_in():
    heavy = heavy_imports(parse_importtime(IMPORTTIME), exclude=frozenset({"json"}))
    assert heavy[0] == (0.3, "numpy", "slm_lsp.engine")
    assert all(name != "json" for _, name, _ in heavy)


def test_own_modules_are_ranked_by_self_time():
    from benchmarks.startup import own_self_times

    text = IMPORTTIME + "import time:      900 |        900 | slm_lsp.server\n"
    assert own_self_times(text) == [(0.9, "slm_lsp.server"), (0.05, "slm_lsp.engine")]
