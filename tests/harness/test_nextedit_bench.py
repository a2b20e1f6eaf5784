"""The next-edit replay benchmark's labels, scores and frozen data (pure logic)."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from benchmarks import nextedit as ne
from benchmarks import nextedit_data
from benchmarks import nextedit_labels as nl

# The lock itself, pinned: new sequences take a new lock and this digest in one reviewed commit
# (and their figures are then not comparable with the earlier ones).
LOCK_SHA256 = "cb652b2d835a7ba41997546a6eacf2585f72d83bfa2baa4cbfe879e95517564e"

RENAME_DIFF = """\
diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1 +1 @@
-def f(count):
+def f(total):
@@ -3 +3 @@
-    x = count + 1
+    x = total + 1
@@ -5 +5 @@
-    return count * x
+    return total * x
"""
RENAME_BEFORE = "def f(count):\n    # scale\n    x = count + 1\n    # done\n    return count * x\n"


def hunks_of(diff: str, path: str = "m.py") -> list[nl.Hunk]:
    return nl.parse_diff(diff)[path]


def result_for(text: str, start: int, end: int, new: str, uri: str = "file:///m.py",
               version: int = 2) -> dict:
    a, b = nl.position_of(text, start), nl.position_of(text, end)
    return {"uri": uri, "version": version, "newText": new, "label": "x", "source": "syntax",
            "reason": "rename",
            "range": {"start": {"line": a[0], "character": a[1]},
                      "end": {"line": b[0], "character": b[1]}}}


def test_a_diff_parses_into_hunks_that_replay_to_the_new_file():
    hunks = hunks_of(RENAME_DIFF)
    assert [(h.old_start, h.old_count) for h in hunks] == [(1, 1), (3, 1), (5, 1)]
    steps = nl.apply_hunks(RENAME_BEFORE, hunks)
    last_text, last = steps[-1]
    assert last.applied(last_text) == RENAME_BEFORE.replace("count", "total")
    # the smallest character change of each hunk
    assert [(c.old, c.new) for _, c in steps] == [("count", "total")] * 3
    assert steps[1][0][steps[1][1].start:steps[1][1].end] == "count"


def test_a_hunk_whose_old_lines_are_not_there_is_refused():
    bad = RENAME_DIFF.replace("-    x = count + 1", "-    y = count + 1")
    with pytest.raises(ValueError):
        nl.apply_hunks(RENAME_BEFORE, hunks_of(bad))


def test_the_same_identifier_replacement_after_an_earlier_hunk_is_a_rename_follow_up():
    labels = nl.label(RENAME_BEFORE, hunks_of(RENAME_DIFF), "python", single_file=True)
    assert labels[0].follows is None and labels[0].made_pairs == [("count", "total")]
    assert [lab.follows for lab in labels[1:]] == ["rename", "rename"]
    assert labels[2].source == 0 and labels[2].pairs == [("count", "total")]
    # the first hunk implies the others; after the last, nothing of the commit follows
    assert [lab.after for lab in labels] == [None, None, "last"]


def test_a_hunk_that_changes_more_than_the_renamed_words_is_no_rename_follow_up():
    diff = RENAME_DIFF.replace("+    x = total + 1", "+    x = total + 2")
    labels = nl.label(RENAME_BEFORE, hunks_of(diff), "python", single_file=False)
    assert [lab.follows for lab in labels] == [None, None, "rename"]
    assert labels[-1].after is None  # another source file of the commit may follow


def test_a_word_changed_in_comments_or_strings_is_no_rename():
    before = 'x = 1  # the count\ny = "count"\nz = 2  # count\n'
    diff = """\
diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1,2 +1,2 @@
-x = 1  # the count
-y = "count"
+x = 1  # the total
+y = "total"
@@ -3 +3 @@
-z = 2  # count
+z = 2  # total
"""
    labels = nl.label(before, hunks_of(diff), "python", single_file=True)
    assert [lab.follows for lab in labels] == [None, None]
    assert labels[0].made_pairs == [] and labels[0].after == "implies-nothing"
    assert "count" not in nl.mask(before, "python")


def test_calls_changed_after_their_definition_are_signature_follow_ups_definition_first():
    before = ("a = g(1)\n\n\ndef g(x):\n    return x\n\n\nb = g(2)\nc = h(3)\n")
    diff = """\
diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1 +1 @@
-a = g(1)
+a = g(1, 0)
@@ -4 +4 @@
-def g(x):
+def g(x, y):
@@ -8,2 +8,2 @@
-b = g(2)
-c = h(3)
+b = g(2, 0)
+c = h(4)
"""
    hunks = hunks_of(diff)
    order = nl.user_order(before, hunks, "python")
    assert order == [1, 0, 2]  # the definition first, then top to bottom
    labels = nl.label(before, hunks, "python", single_file=True, order=order)
    assert labels[0].changed_signatures == ["g"]
    assert [(lab.follows, lab.function, lab.source) for lab in labels] == [
        (None, "", None), ("signature", "g", 0), ("signature", "g", 0)]
    steps = nl.apply_hunks(before, hunks, order)
    text, change = steps[-1]
    assert change.applied(text) == before.replace("g(1)", "g(1, 0)").replace(
        "g(x)", "g(x, y)").replace("g(2)", "g(2, 0)").replace("h(3)", "h(4)")


def test_definitions_are_found_per_language():
    assert nl.definitions("func (c *Command) Run(a int, b string) {}", 0, 40, "go") == {
        "Run": "(aint,bstring)"}
    ts = "class A {\n  async fetch(url: string, opts?: O): Promise<R> {\n  }\n}\n"
    assert nl.definitions(ts, 0, len(ts), "typescript") == {"fetch": "(url:string,opts?:O)"}
    js = "const go = async (a, b) => a\nfunction run(x) {}\nif (x) {}\n"
    assert nl.definitions(js, 0, len(js), "javascript") == {"go": "(a,b)", "run": "(x)"}
    assert nl.calls("def g(x):\n    g(1)\n    o.g(2, 3)\n", 0, 40, "g") == ["(1)", "(2,3)"]


def test_an_edit_with_no_replacement_and_nothing_pending_implies_nothing():
    before = "a = 1\nb = 2\nc = 3\n"
    diff = """\
diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1,0 +2 @@
+print(a)
@@ -3 +4 @@
-c = 3
+c = 4
"""
    labels = nl.label(before, hunks_of(diff), "python", single_file=False)
    assert [lab.after for lab in labels] == ["implies-nothing", None]


# -- scores ---------------------------------------------------------------------------------------

def _after_first():
    steps = nl.apply_hunks(RENAME_BEFORE, hunks_of(RENAME_DIFF))
    before, change = steps[0]
    text = change.applied(before)
    return before, text, change, steps[1][1], [c for _, c in steps[1:]]


def test_the_next_hunk_proposed_is_the_right_place_and_text():
    before, text, change, nxt, rest = _after_first()
    assert text == steps_text_after_first()
    row = ne.score_step(before, text, change, nxt, rest,
                        result_for(text, nxt.start, nxt.end, "total"), "file:///m.py", 2)
    assert row["proposed"] and row["place"] and row["text"] and row["any_remaining"]
    assert not row["reversal"]


def steps_text_after_first() -> str:
    return RENAME_BEFORE.replace("def f(count)", "def f(total)")


def test_a_later_hunk_is_right_among_the_remaining_but_not_the_next_place():
    before, text, change, nxt, rest = _after_first()
    later = rest[1]
    row = ne.score_step(before, text, change, nxt, rest,
                        result_for(text, later.start, later.end, "total"), "file:///m.py", 2)
    assert not row["place"] and not row["text"] and row["any_remaining"]


def test_the_right_place_with_the_wrong_text_is_place_right_only():
    before, text, change, nxt, rest = _after_first()
    row = ne.score_step(before, text, change, nxt, rest,
                        result_for(text, nxt.start, nxt.end, "amount"), "file:///m.py", 2)
    assert row["place"] and not row["text"]


def test_part_of_a_hunk_is_text_right():
    before = "x = count + count\n"
    change = nl.Change(0, "x = count + count", "x = total + total", 0, len(before))
    # after some other edit: the hunk is next; a proposal renaming one of its two uses
    row = ne.score_step(before, before, change, change, [change],
                        result_for(before, 4, 9, "total"), "file:///m.py", 2)
    assert row["place"] and row["text"]


def test_undoing_the_edit_just_made_is_a_reversal():
    before, text, change, nxt, rest = _after_first()
    undo = result_for(text, change.start, change.start + len(change.new), change.old)
    row = ne.score_step(before, text, change, nxt, rest, undo, "file:///m.py", 2)
    assert row["reversal"] and not row["place"]
    # undoing only the changed word of a larger edit is one too
    before2 = "x = count + 1\n"
    change2 = nl.Change(0, "x = count + 1", "y = total + 2", 0, len(before2) - 1)
    text2 = change2.applied(before2)
    row = ne.score_step(before2, text2, change2, None, [],
                        result_for(text2, 4, 9, "count"), "file:///m.py", 2)
    assert row["reversal"]


def test_null_is_quiet_and_an_edit_elsewhere_is_wrong():
    before, text, change, nxt, rest = _after_first()
    assert ne.score_step(before, text, change, nxt, rest, None, "file:///m.py", 2) == {
        "proposed": False}
    other = result_for(text, nxt.start, nxt.end, "total", uri="file:///other.py")
    row = ne.score_step(before, text, change, nxt, rest, other, "file:///m.py", 2)
    assert row["proposed"] and row["elsewhere"] and not row["place"]
    stale = result_for(text, nxt.start, nxt.end, "total", version=1)
    assert not ne.score_step(before, text, change, nxt, rest, stale, "file:///m.py", 2)["place"]


def test_the_summary_counts_shares_and_standard_errors():
    rows = [{"proposed": True, "place": True, "text": True, "any_remaining": True,
             "reversal": False, "follows": "rename", "after": None, "ms": 1.0, "cpu_s": 0.0,
             "method_missing": False},
            {"proposed": False, "follows": "rename", "after": None, "ms": 3.0, "cpu_s": 0.0,
             "method_missing": False},
            {"proposed": True, "place": False, "text": False, "any_remaining": False,
             "reversal": True, "follows": None, "after": "last", "ms": 2.0, "cpu_s": 0.0,
             "method_missing": False},
            {"proposed": False, "follows": None, "after": "implies-nothing", "ms": 4.0,
             "cpu_s": 0.0, "method_missing": True}]
    fig = ne.summarize(rows)
    assert fig["rename follow-up"]["n"] == 2
    assert fig["rename follow-up"]["place"]["share"] == 0.5
    assert fig["rename follow-up"]["place"]["se"] == pytest.approx(0.5 / 2 ** 0.5)
    assert fig["nothing follows"]["n"] == 2 and fig["nothing follows"]["quiet"]["share"] == 0.5
    assert fig["reversals"] == {"n": 2, "hits": 1, "share": 0.5,
                                "se": pytest.approx(0.5 / 2 ** 0.5)}
    assert fig["latency"]["p50_ms"] == 2.5 and fig["method_missing"] == 1
    assert "WARNING" in ne.report(fig)


# -- the frozen data -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sequences():
    return nextedit_data.load("all")


def test_the_data_matches_its_lock_and_the_lock_is_the_reviewed_one():
    assert nextedit_data.check() == ""
    lock = nextedit_data.DATA / nextedit_data.LOCK
    assert hashlib.sha256(lock.read_bytes()).hexdigest() == LOCK_SHA256


def test_changed_data_is_refused(tmp_path):
    shutil.copytree(nextedit_data.DATA, tmp_path / "d")
    assert nextedit_data.check(tmp_path / "d") == ""
    data = tmp_path / "d" / nextedit_data.file_name("test")
    data.write_bytes(data.read_bytes() + b"\0")
    with pytest.raises(ValueError):
        nextedit_data.load("dev", tmp_path / "d")
    data.unlink()
    assert nextedit_data.check(tmp_path / "d") == "missing: test.jsonl.gz"


def test_the_splits_share_no_repository():
    dev, test = nextedit_data.load("dev"), nextedit_data.load("test")
    assert dev and test and not {s["repo"] for s in dev} & {s["repo"] for s in test}


@pytest.mark.parametrize("split", nextedit_data.SPLITS)
def test_each_split_has_enough_follow_ups_and_quiet_edits(split):
    labels = [lab for s in nextedit_data.load(split) for lab in s["labels"]]
    assert sum(lab["follows"] is not None for lab in labels) >= 100
    assert sum(lab["after"] is not None for lab in labels) >= 200


def test_the_data_is_bounded(sequences):
    for s in sequences:
        assert s["license"] and s["commit"] and len(s["hunks"]) <= 15
        assert s["before"].count("\n") <= 3000


def test_the_stored_labels_are_the_labelers(sequences):
    for s in sequences[::7]:
        hunks = [nl.Hunk.from_json(h) for h in s["hunks"]]
        assert s["order"] == nl.user_order(s["before"], hunks, s["language"])
        labels = nl.label(s["before"], hunks, s["language"], s["single_file"], s["order"])
        assert [lab.to_json() for lab in labels] == s["labels"]


def test_the_true_next_hunk_scores_right_on_every_follow_up_and_its_undo_reverses(sequences):
    for index, s in enumerate(sequences):
        hunks, steps, order = ne.steps_of(s)
        for i, (before, change) in enumerate(steps[:-1]):
            text = change.applied(before)
            nxt = steps[i + 1][1]
            rest = ne.remaining_changes(s, hunks, order, i)
            assert rest[0] == nxt
            if s["labels"][i + 1]["follows"]:
                right = result_for(text, nxt.start, nxt.end, nxt.new, uri=f"u{index}")
                row = ne.score_step(before, text, change, nxt, rest, right, f"u{index}", 2)
                assert row["place"] and row["text"] and not row["reversal"], (index, i)
            if change.old != change.new:
                undo = result_for(text, change.start, change.start + len(change.new),
                                  change.old, uri=f"u{index}")
                row = ne.score_step(before, text, change, nxt, rest, undo, f"u{index}", 2)
                assert row["reversal"], (index, i)
