"""The edit history of next edits: each change an ``Edit``, a burst merged into one."""

from __future__ import annotations

import random

from slm_lsp.nextedit.edits import diff_edit
from slm_lsp.nextedit.history import EditHistory, fast_diff


def test_fast_diff_gives_diff_edits_answer():
    rng = random.Random(7)
    alphabet = "ab\né😋"
    for _ in range(2000):
        before = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        after = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        assert fast_diff("u", 2, before, after) == diff_edit("u", 2, before, after), (
            before, after)


class Typist:
    """Changes a text as an editor does, and tells the history of each one."""

    def __init__(self, text: str, history: EditHistory, uri: str = "file:///a.py"):
        self.text, self.history, self.uri, self.version = text, history, uri, 1
        history.opened(uri, text)

    def replace(self, a: int, b: int, new: str, at: float = 0.0) -> None:
        self.text = self.text[:a] + new + self.text[b:]
        self.version += 1
        self.history.changed(self.uri, self.version, self.text, at)

    def type_over(self, a: int, b: int, new: str) -> None:
        self.replace(a, b, new[0])
        for i, ch in enumerate(new[1:], 1):
            self.replace(a + i, a + i, ch)


def test_a_name_typed_over_letter_by_letter_is_one_edit():
    history = EditHistory()
    text = "def f(count):\n    return count + 1\n"
    t = Typist(text, history)
    a = text.index("count")
    t.type_over(a, a + 5, "total")
    (edit,) = history.recent()
    assert (edit.start, edit.old, edit.new, edit.version) == (a, "count", "total", 6)
    assert edit.applied(text) == t.text


def test_the_letter_kept_at_the_end_of_a_name_does_not_split_the_burst():
    # `count` replaced by `t` is the deletion of `coun`; `otal` then goes after the `t`.
    history = EditHistory()
    text = "x = count\n"
    t = Typist(text, history)
    t.type_over(4, 9, "total")
    (edit,) = history.recent()
    assert (edit.start, edit.old, edit.new) == (4, "count", "total")


def test_backspaces_and_retyping_merge_and_typing_then_deleting_leaves_nothing():
    history = EditHistory()
    t = Typist("a = 1\n", history)
    t.replace(5, 5, "x")
    t.replace(6, 6, "y")
    t.replace(6, 7, "")
    t.replace(5, 6, "")
    assert history.recent() == []
    t.replace(4, 5, "2")
    t.replace(5, 5, "3")
    t.replace(5, 6, "")  # backspace over the 3
    (edit,) = history.recent()
    assert (edit.start, edit.old, edit.new) == (4, "1", "2")


def test_edits_apart_or_in_other_documents_are_separate_and_ten_are_kept_oldest_first():
    history = EditHistory()
    t = Typist("a = 1\nb = 2\n", history)
    u = Typist("c = 3\n", history, uri="file:///b.py")
    t.replace(4, 5, "9")
    u.replace(4, 5, "8")
    t.replace(5, 5, "0")  # touches t's first edit, but another document's came between
    t.replace(11, 12, "7")  # another line: a new edit
    assert [(e.uri[-4:], e.old, e.new) for e in history.recent()] == [
        ("a.py", "1", "9"), ("b.py", "3", "8"), ("a.py", "", "0"), ("a.py", "2", "7")]
    for i in range(20):  # one change every minute: no burst
        t.replace(0, 1, "xy"[i % 2], at=1000.0 + 60 * i)
    assert len(history.recent()) == 10
    assert [e.new for e in history.recent()] == ["xy"[i % 2] for i in range(10, 20)]


def test_a_pause_ends_a_burst():
    history = EditHistory()
    t = Typist("v = 1\n", history)
    t.replace(4, 5, "2", at=0.0)
    t.replace(5, 5, "3", at=100.0)
    assert len(history.recent()) == 2


def test_a_letter_typed_before_the_same_letter_stays_in_the_burst():
    # Typing `]` just before a `]` reads as an insertion after it; the burst goes on.
    history = EditHistory()
    text = "x: List[_T]\n"
    t = Typist(text, history)
    a = text.index("_T")
    t.replace(a, a + 2, "")
    for i, ch in enumerate("Item]"):
        t.replace(a + i, a + i, ch)
    (edit,) = history.recent()
    assert edit.applied(text) == t.text
    assert (edit.start, edit.old) == (a, "_T")


def test_letters_typed_that_end_like_the_text_replaced_stay_in_the_burst():
    history = EditHistory()
    text = "for name in dir(plugin):\n"
    t = Typist(text, history)
    a = text.index("name")
    t.replace(a, a + len("name in dir(plugin)"), "")
    for i, ch in enumerate("attr_name in dir(plugin)"):
        t.replace(a + i, a + i, ch)
    (edit,) = history.recent()
    assert edit.applied(text) == t.text
