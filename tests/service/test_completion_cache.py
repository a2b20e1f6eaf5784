"""The completion cache: type-through of the suggestion shown, and an LRU keyed by context."""

from __future__ import annotations

from slm_lsp.completion.cache import CompletionCache

URI = "file:///w/a.py"


def test_typing_the_start_of_the_shown_suggestion_serves_the_rest() -> None:
    cache = CompletionCache()
    cache.remember(URI, "x = ", "\n", "line", "compute(a, b)")
    assert cache.lookup(URI, "x = comp", "\n", "line") == "ute(a, b)"


def test_typing_something_else_than_the_suggestion_serves_nothing() -> None:
    cache = CompletionCache()
    cache.remember(URI, "x = ", "\n", "line", "compute(a, b)")
    assert cache.lookup(URI, "x = cx", "\n", "line") is None


def test_typing_the_whole_suggestion_serves_nothing() -> None:
    cache = CompletionCache()
    cache.remember(URI, "x = ", "\n", "line", "ab")
    assert cache.lookup(URI, "x = ab", "\n", "line") is None


def test_type_through_needs_the_same_text_after_the_cursor() -> None:
    cache = CompletionCache()
    cache.remember(URI, "x = ", "\n", "line", "compute(a, b)")
    assert cache.lookup(URI, "x = comp", "\ny = 2\n", "line") is None


def test_the_same_context_gets_the_same_answer_back() -> None:
    cache = CompletionCache()
    cache.remember(URI, "def f():\n    ", "\n", "block", "return 1")
    assert cache.lookup("file:///w/other.py", "def f():\n    ", "\n", "block") == "return 1"
    assert cache.lookup(URI, "def f():\n    ", "\n", "line") is None  # another mode


def test_the_least_recently_used_context_goes_first_beyond_capacity() -> None:
    cache = CompletionCache(capacity=2)
    cache.remember(URI, "a", "", "line", "1", shown=False)
    cache.remember(URI, "b", "", "line", "2", shown=False)
    assert cache.lookup(URI, "a", "", "line") == "1"  # "a" is now the most recent
    cache.remember(URI, "c", "", "line", "3", shown=False)
    assert len(cache) == 2
    assert cache.lookup(URI, "b", "", "line") is None
    assert cache.lookup(URI, "a", "", "line") == "1"
    assert cache.lookup(URI, "c", "", "line") == "3"


def test_a_completion_not_shown_serves_its_context_but_no_type_through() -> None:
    cache = CompletionCache()
    cache.remember(URI, "x = ", "\n", "line", "compute()", shown=False)
    assert cache.lookup(URI, "x = ", "\n", "line") == "compute()"
    assert cache.lookup(URI, "x = co", "\n", "line") is None


def test_forgetting_a_document_ends_its_type_through() -> None:
    cache = CompletionCache()
    cache.remember(URI, "x = ", "\n", "line", "compute()")
    cache.forget(URI)
    assert cache.lookup(URI, "x = co", "\n", "line") is None
