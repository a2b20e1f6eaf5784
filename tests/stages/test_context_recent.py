"""The ring of recently edited places: chunks taken on leaving a place, bounded, deduplicated,
selected under a budget without what the window already shows."""

from __future__ import annotations

from slm_lsp.context.recent import RecentPlaces, select

A = "\n".join(f"a{i} = {i}" for i in range(100)) + "\n"
B = "\n".join(f"function b{i}() {{ return {i}; }}" for i in range(100)) + "\n"


def ring(capacity=8):
    texts = {"file:///a.py": A, "file:///b.js": B, "file:///c.py": "x = 1\n"}
    return RecentPlaces(texts.get, capacity=capacity, chunk_lines=10), texts


def test_a_place_enters_the_ring_when_the_user_leaves_it():
    r, texts = ring()
    r.visit("file:///a.py", "a.py", "python", 50)
    r.visit("file:///a.py", "a.py", "python", 53)  # still the same place: nothing yet
    assert len(r) == 0
    texts["file:///a.py"] = A.replace("a51 = 51", "a51 = 'edited'")
    r.visit("file:///c.py", "c.py", "python", 0)
    (chunk,) = r.chunks()
    assert chunk.path == "a.py" and chunk.first_line == 48
    assert "a51 = 'edited'" in chunk.text and chunk.text.count("\n") == 10


def test_overlapping_chunks_are_replaced_and_the_ring_is_bounded():
    r, _ = ring(capacity=3)
    for line in (10, 12 + 20, 14, 90, 70, 50):
        r.visit("file:///a.py", "a.py", "python", line)
        r.visit("file:///c.py", "c.py", "python", 0)
    firsts = [c.first_line for c in r.chunks() if c.uri == "file:///a.py"]
    assert len(r) == 3 and len(firsts) == len(set(firsts))
    assert firsts[-1] == 45  # the newest last
    r.visit("file:///a.py", "a.py", "python", 46)
    r.visit("file:///c.py", "c.py", "python", 0)
    assert [c.first_line for c in r.chunks() if c.uri == "file:///a.py"].count(45) == 0
    assert [c.first_line for c in r.chunks() if c.uri == "file:///a.py"][-1] == 41


def test_select_keeps_the_language_the_budget_and_skips_the_window():
    r, _ = ring()
    r.visit("file:///a.py", "a.py", "python", 10)
    r.visit("file:///b.js", "b.js", "javascript", 10)
    r.visit("file:///a.py", "a.py", "python", 80)
    r.visit("file:///c.py", "c.py", "python", 0)
    words = lambda text: len(text.split())  # noqa: E731
    picked = select(r.chunks(), "file:///c.py", "python", 0, 5, 10_000, words)
    assert [s.path for s in picked] == ["a.py", "a.py"]  # no JavaScript in a Python prompt
    assert "a10 = 10" in picked[0].text and "a80 = 80" in picked[1].text  # oldest first
    # The current document's chunk that overlaps its window is already in the prompt.
    picked = select(r.chunks(), "file:///a.py", "python", 70, 90, 10_000, words)
    assert [("a10 = 10" in s.text) for s in picked] == [True]
    # Over budget: the newest that fits.
    picked = select(r.chunks(), "file:///c.py", "python", 0, 5, 35, words)
    assert len(picked) == 1 and "a80 = 80" in picked[0].text


def test_closing_a_document_drops_its_chunks():
    r, _ = ring()
    r.visit("file:///a.py", "a.py", "python", 10)
    r.visit("file:///b.js", "b.js", "javascript", 10)
    r.visit("file:///c.py", "c.py", "python", 0)
    r.forget("file:///a.py")
    assert [c.uri for c in r.chunks()] == ["file:///b.js"]
    r.forget("file:///c.py")  # the current place: nothing to push
    r.visit("file:///b.js", "b.js", "javascript", 90)
    assert [c.uri for c in r.chunks()] == ["file:///b.js"]
