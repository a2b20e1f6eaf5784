"""Trigger policy and token windows."""

from __future__ import annotations

import pytest

from slm_lsp.completion.trigger import Mode, decide
from slm_lsp.context.window import ANCHOR_LINES, anchor_step, build_window
from slm_lsp.documents import Document


def _at(text: str, marker: str = "|", lang: str = "python") -> tuple[Document, int]:
    off = text.index(marker)
    return Document(uri="file:///t", text=text.replace(marker, ""), language_id=lang), off


@pytest.mark.parametrize(("src", "invoked", "mode"), [
    ("def f():\n    |\n", False, Mode.BLOCK),
    ("def f(x):|\n", False, Mode.BLOCK),
    ("x = compu|te(1)\n", False, Mode.NONE),
    ("x = compu|te(1)\n", True, Mode.LINE),
    ("x = foo(|)\n", False, Mode.LINE),
    ("x = foo(a, |b)\n", False, Mode.LINE),
    ("# a comment ab|\n", False, Mode.LINE),
    ("s = 'some te|'\n", False, Mode.LINE),
    ("total = |\n", False, Mode.LINE),
    ("function f() {|\n}\n", False, Mode.BLOCK),
])
def test_trigger_modes(src, invoked, mode):
    lang = "javascript" if "function" in src else "python"
    doc, off = _at(src, lang=lang)
    assert decide(doc, off, invoked=invoked).mode is mode


def _count(text: str) -> int:
    return len(text.split())


def test_window_respects_budgets_and_cuts_at_lines():
    lines = [f"value_{i} = {i} + {i}" for i in range(400)]
    text = "\n".join(lines)
    off = text.index("value_300")
    w = build_window(text, off, _count, prefix_budget=200, suffix_budget=50)
    assert w.prefix_tokens <= 200 and w.suffix_tokens <= 50
    assert w.before_line == "" or w.before_line.startswith("value_")
    assert w.suffix.startswith("value_300") and w.suffix.endswith("\n")
    assert w.prefix + w.suffix in text


def test_window_head_is_stable_while_typing_and_moves_in_steps():
    lines = [f"value_{i} = {i} + {i}" for i in range(400)]
    text = "\n".join(lines) + "\n"
    heads = []
    for line in range(200, 240):
        off = sum(len(x) + 1 for x in lines[:line])
        w = build_window(text, off, _count, prefix_budget=200, suffix_budget=0)
        heads.append(w.first_line)
    assert all(h % ANCHOR_LINES == 0 for h in heads)
    assert len(set(heads)) <= -(-40 // ANCHOR_LINES) + 1
    # Typing on one line never moves the head.
    off = sum(len(x) + 1 for x in lines[:220])
    text2 = text[:off] + "new_name = compute(" + text[off:]
    a = build_window(text, off, _count, 200, 0)
    b = build_window(text2, off + len("new_name = compute("), _count, 200, 0)
    assert a.before_line == b.before_line


def test_a_short_window_keeps_most_of_its_lines():
    """A first answer's window of a few dozen tokens: snapping its head to a 16-line anchor
    could leave nothing but the cursor's line. Its step is at most half its lines."""
    lines = [f"value_{i} = {i} + {i}" for i in range(400)]
    text = "\n".join(lines) + "\n"
    for line in range(200, 240):
        off = sum(len(x) + 1 for x in lines[:line])
        w = build_window(text, off, _count, prefix_budget=48, suffix_budget=0)
        fit = 48 // 5  # whole lines of 5 tokens within the budget
        assert w.before_line.count("\n") > fit // 2, line
    assert [anchor_step(n) for n in (0, 1, 3, 4, 9, 31, 32, 400)] == [1, 1, 1, 2, 4, 8, 16, 16]


def test_the_head_stays_put_while_typing_and_moves_only_forward():
    """Typing into a real file with the real tokenizer: the cursor's line gains and loses
    tokens as BPE merges change, which without the previous head as a hint flips the window
    between two anchors (each flip a whole prompt to evaluate again)."""
    from pathlib import Path

    from benchmarks.replay import start_offset, typing_document
    from slm_lsp.context.window import Anchors, LineTokens
    from slm_lsp.engine.local import LocalEngine
    from slm_lsp.models.registry import choose_model

    pytest.importorskip("llama_cpp")
    choice = choose_model("")
    engine = LocalEngine(str(choice.path), choice.format)
    engine.load_vocab()
    counter = LineTokens(engine.count_tokens)
    root = Path(__file__).resolve().parents[2]
    text = (root / "benchmarks/corpus_typing/javascript/graceful-fs/polyfills.js").read_text()
    start = start_offset(text, engine.count_tokens, 1536 + 32)
    opened, typed = typing_document(text, start, 200)

    def heads(anchors: Anchors | None) -> list[int]:
        doc, off, firsts = opened, start, []
        for ch in typed:
            doc, off = doc[:off] + ch + doc[off:], off + 1
            hint = anchors.get("u") if anchors else None
            w = build_window(doc, off, counter, 1536, 0, hint=hint)
            assert w.prefix_tokens <= 1536
            if anchors:
                anchors.set("u", w.first_line)
            firsts.append(w.first_line)
        return firsts

    unhinted = heads(None)
    assert unhinted != sorted(unhinted)  # the flip this guards against happens here
    hinted = heads(Anchors())
    assert hinted == sorted(hinted)
    moves = sum(a != b for a, b in zip(hinted, hinted[1:], strict=False))
    assert moves <= 1 + typed.count("\n") // ANCHOR_LINES
    engine.close()


@pytest.mark.parametrize(("src", "lang", "one"), [
    # An empty body, or the end of a block: the block is written whole.
    ("def f():\n    |\n", "python", False),
    ("def f(x):\n    y = x\n    |\n\ndef g():\n    pass\n", "python", False),
    ("function f() {\n  |\n}\n", "javascript", False),
    # Code follows at the cursor's level: one statement among the others.
    ("def f(x):\n    |\n    return x\n", "python", True),
    ("def f(x):\n    y = 1\n    |\n\n    return y\n", "python", True),
    ("function f() {\n  |\n  return 1;\n}\n", "javascript", True),
    ("import os\n|\n\ndef main():\n    pass\n", "python", True),
    # At the end of a header whose block has code: one statement before it, not a second body.
    ("def f(x):|\n    return x\n", "python", True),
    ("if ready:|\n\n    go()\n", "python", True),
    ("function f(a) {|\n  return a;\n}\n", "javascript", True),
    # ... and whose block is empty: written whole.
    ("def f(x):|\n\ndef g():\n    pass\n", "python", False),
    ("function f(a) {|\n}\n", "javascript", False),
    ("def f(x):|\n", "python", False),
])
def test_one_statement_where_the_block_has_code_after_the_cursor(src, lang, one):
    doc, off = _at(src, lang=lang)
    trigger = decide(doc, off, invoked=True)
    assert trigger.mode is Mode.BLOCK
    assert trigger.one_statement is one


@pytest.mark.parametrize(("src", "lang"), [
    ("def f(x):\n    y = x\n    |\n        return y\n", "python"),
    ("function f(c) {\n  c = 1;\n  |\n    c = 2;\n  }\n}\n", "javascript"),
])
def test_an_empty_line_above_deeper_code_asks_for_its_header(src, lang):
    doc, off = _at(src, lang=lang)
    assert decide(doc, off, invoked=True).mode is Mode.LINE


def test_a_blank_line_without_indentation_inside_a_body_is_among_its_statements():
    doc, off = _at("def f(x):\n    y = x\n|\n    return y\n")
    trigger = decide(doc, off, invoked=True)
    assert trigger.mode is Mode.BLOCK and trigger.one_statement
