"""The pure parts of model next edits: Sweep's prompt bytes, the window, the answer's first
change, and the filters (no-op, reversal, parse, a rewrite cut short)."""

from __future__ import annotations

from slm_lsp.models.registry import choose_model, format_from_name, load_registry
from slm_lsp.nextedit import model as m
from slm_lsp.nextedit.edits import Edit, diff_edit

URI = "file:///proj/pkg/calc.py"

BEFORE = """def total(items, count):
    s = 0
    for i in range(count):
        s += items[i]
    return s / count
"""
# The user renamed the parameter `count` to `n` in the signature only.
AFTER = BEFORE.replace("items, count)", "items, n)")
EDIT = diff_edit(URI, 2, BEFORE, AFTER)


def test_sweep_prompt_bytes_are_the_trained_layout() -> None:
    text = AFTER
    history = m.snapshots(text, [EDIT])
    last = (history[-1][0], history[-1][1])
    window = m.window_at(text, text.index("range"), m.SWEEP_ABOVE, m.SWEEP_BELOW, last)
    changes = [m.change_of(before, e, "pkg/calc.py") for before, e, _ in history]
    parts = m.sweep_parts("pkg/calc.py", changes, window)
    assert "".join(t for t, _ in parts) == (
        "<|file_sep|>pkg/calc.py.diff\n"
        "original:\n"
        "def total(items, count):\n"
        "updated:\n"
        "def total(items, n):\n"
        "<|file_sep|>original/pkg/calc.py\n"
        f"{BEFORE}"
        "<|file_sep|>current/pkg/calc.py\n"
        f"{AFTER}"
        "<|file_sep|>updated/pkg/calc.py\n"
    )
    # Only the markers are special: code that contains marker text stays text.
    assert [t for t, special in parts if special] == ["<|file_sep|>"] * 4


def test_sweep_window_is_ten_lines_each_side_of_the_cursor_line() -> None:
    text = "".join(f"line {i}\n" for i in range(40))
    w = m.window_at(text, text.index("line 20"), m.SWEEP_ABOVE, m.SWEEP_BELOW)
    assert w.text == "".join(f"line {i}\n" for i in range(10, 31))
    assert text[w.start:w.end] == w.text and w.original == w.text
    top = m.window_at(text, 3, 10, 10)
    assert top.text.splitlines()[0] == "line 0" and top.text.splitlines()[-1] == "line 10"
    end = m.window_at("a\nb", 3, 10, 10)
    assert end.text == "a\nb"


def test_original_window_is_the_window_before_the_last_change_only_when_inside() -> None:
    text = "".join(f"x{i} = {i}\n" for i in range(30))
    edit = Edit(URI, 2, text.index("x25"), "x25", "y25")
    after = edit.applied(text)
    inside = m.window_at(after, after.index("x20"), 10, 10, (text, edit))
    assert inside.original == text[inside.start:inside.end] and inside.text != inside.original
    outside = m.window_at(after, after.index("x3 "), 3, 3, (text, edit))
    assert outside.original == outside.text


def test_snapshots_go_back_as_far_as_the_edits_undo() -> None:
    first = diff_edit(URI, 2, BEFORE, AFTER)
    third = AFTER.replace("range(count)", "range(n)")
    second = diff_edit(URI, 3, AFTER, third)
    assert [(b, e) for b, e, _ in m.snapshots(third, [first, second])] == [
        (BEFORE, first), (AFTER, second)]
    stale = Edit(URI, 1, 0, "zzz", "qqq")  # not this text's history
    assert [e for _, e, _ in m.snapshots(third, [stale, first, second])] == [first, second]


def test_unified_hunk() -> None:
    text = "a\nb\nc\nd\ne\n"
    edit = Edit(URI, 2, text.index("c"), "c", "C")
    assert m.unified_hunk(text, edit, "f.py", context=1) == (
        "--- a/f.py\n+++ b/f.py\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d")


def test_first_change_narrows_to_the_characters_that_differ() -> None:
    window = "    for i in range(count):\n        s += items[i]\n    return s / count\n"
    rewritten = window.replace("range(count)", "range(n)").replace("/ count", "/ n")
    a, b, new = m.first_change(window, rewritten)
    assert (window[a:b], new) == ("count", "n") and window[:a].endswith("range(")
    assert m.first_change(window, window) is None
    call = 'r = request("GET", url)\n'
    a, b, new = m.first_change(call, call.replace("GET", "POST"))  # whole words
    assert (call[a:b], new) == ("GET", "POST")
    a, b, new = m.first_change(call, call.replace("url)", "url, 5)"))  # an insertion stays one
    assert (call[a:b], new) == ("", ", 5")
    assert m.first_change(window, window.rstrip("\n")) is None  # the last line break kept


def test_sweep_answer_gives_the_rename_at_its_next_use() -> None:
    text = AFTER
    history = m.snapshots(text, [EDIT])
    window = m.window_at(text, 0, 10, 10, (history[-1][0], history[-1][1]))
    answer = AFTER.replace("range(count)", "range(n)").replace("/ count", "/ n")
    p = m.proposal_from(URI, 2, text, "python", window, answer, EDIT)
    assert p is not None
    assert (text[p.start:p.end], p.text, p.source, p.reason) == ("count", "n", "model", "model")
    assert text[:p.start].endswith("range(") and p.label == "Change `count` to `n`"


def test_filters_drop_the_last_edit_undone() -> None:
    text = AFTER
    window = m.window_at(text, 0, 10, 10)
    # The model writes the signature back as it was: the user's edit undone.
    undone = m.judged(URI, 2, text, "python", window, BEFORE, EDIT)
    assert undone == (None, "it undoes the last edit")
    assert m.is_reversal(text, EDIT.start, EDIT.end, EDIT.old, EDIT)
    # The same change where the user did not just edit is not a reversal.
    assert not m.is_reversal(text, text.index("count"), text.index("count") + 5, "n", EDIT)
    # A change beside the last edit that leaves it alone is not one either.
    assert not m.is_reversal(text, 0, 3, "async def", EDIT)


def test_filters_drop_code_that_does_not_parse_no_ops_and_cut_rewrites() -> None:
    text = AFTER
    window = m.window_at(text, 0, 10, 10)
    broken = AFTER.replace("range(count):", "range(n:")
    assert m.judged(URI, 2, text, "python", window, broken, EDIT) == (None, "it does not parse")
    assert not m.parses(text, text.index("):"), text.index("):") + 2, ":", "python")
    assert m.proposal_from(URI, 2, text, "python", window, AFTER, EDIT) is None  # no-op
    cut_short = "".join(AFTER.splitlines(keepends=True)[:3])
    assert m.drops_tail(AFTER, cut_short)
    assert m.judged(URI, 2, text, "python", window, cut_short, EDIT)[1] == \
        "the rewrite stops short of the window"
    assert not m.parses("x = 1\n", 0, 1, "y", "no-such-language")


def test_answers_are_cut_at_stops_and_fences() -> None:
    assert m.cut("a\nb\n<|file_sep|>zzz", ("<|file_sep|>", "</s>")) == "a\nb\n"
    assert m.fenced_code("```python\nx = 1\n```\nmore") == "x = 1\n"
    assert m.fenced_code("x = 1\n```") == "x = 1\n"


def test_labels() -> None:
    assert m.label_of("count", "n") == "Change `count` to `n`"
    assert m.label_of("", "n, ") == "Insert `n,`"
    assert m.label_of("x\ny", "z") == "Edit code"


def test_prompt_path() -> None:
    assert m.prompt_path("file:///home/u/proj/pkg/my%20calc.py") == "pkg/my calc.py"


def test_sweep_model_is_catalogued_as_a_next_edit_model_never_the_completion_model() -> None:
    registry = load_registry()
    spec = registry.models["sweep-next-edit-1.5b"]
    assert spec.next_edit and spec.repo == "sweepai/sweep-next-edit-1.5B"
    assert spec.file == "sweep-next-edit-1.5b.q8_0.v2.gguf"
    assert len(spec.sha256) == 64 and spec.size == 1_537_269_856
    fmt = registry.formats[spec.format]
    assert fmt.next_edit == m.SWEEP and not fmt.is_fim and fmt.file_sep == m.FILE_SEP
    assert format_from_name(spec.file).name == spec.format
    assert format_from_name("my-sweep-next-edit-1.5b.Q4_K_M.gguf").name == spec.format
    assert choose_model("").id != spec.id


def test_a_free_rewrite_must_carry_the_last_edit_on() -> None:
    rename = Edit(URI, 2, 10, "count", "n")
    assert m.follows("count", "n", rename)  # the next use renamed
    assert not m.follows("return s / count\n", "", rename)  # a line deleted
    assert not m.follows("s = 0", "s = 1", rename)  # something else
    dropped = Edit(URI, 2, 10, ", verbose", "")
    assert m.follows(", verbose=True", "", dropped) and not m.follows("x", "y", dropped)
    assert m.follows("a", "b", Edit(URI, 2, 0, " ", "  "))  # no words: no constraint
    text = AFTER
    window = m.window_at(text, 0, 10, 10)
    other = AFTER.replace("s = 0", "s = 1")
    assert m.judged(URI, 2, text, "python", window, other, EDIT, free=True) == (
        None, "it does not carry the last edit on")
    assert m.judged(URI, 2, text, "python", window, other, EDIT)[0] is not None  # Sweep's
