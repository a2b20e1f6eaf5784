"""Prompt rendering in each family's layout (as text; token ids are checked with the real
vocabularies in test_fim_vocab.py)."""

from __future__ import annotations

import pytest

from slm_lsp.context.window import Window
from slm_lsp.engine.base import Snippet
from slm_lsp.models.registry import load_registry
from slm_lsp.prompts.fim import render

FORMATS = load_registry().formats
W = Window(before_line="def f(x):\n", line_prefix="    ret", suffix="\n\nprint(f(2))\n",
           first_line=0, prefix_tokens=0, suffix_tokens=0)


def test_qwen_layout_matches_the_published_text():
    p = render(FORMATS["qwen"], W, language_id="python")
    assert p.text == ("<|fim_prefix|>def f(x):\n<|fim_suffix|>\n\nprint(f(2))\n"
                      "<|fim_middle|>    ret")


def test_qwen_repo_level_layout():
    p = render(FORMATS["qwen"], W, language_id="python", path="pkg/a.py", repo="proj",
               snippets=(Snippet("pkg/b.py", "def g():\n    return 1"),))
    assert p.text == ("<|repo_name|>proj\n<|file_sep|>pkg/b.py\ndef g():\n    return 1\n"
                      "<|file_sep|>pkg/a.py\n<|fim_prefix|>def f(x):\n<|fim_suffix|>"
                      "\n\nprint(f(2))\n<|fim_middle|>    ret")


def test_starcoder2_repo_level_layout():
    p = render(FORMATS["starcoder2"], W, language_id="python", path="a.py", repo="proj",
               snippets=(Snippet("b.py", "X = 1\n"),))
    assert p.text == ("<repo_name>proj<file_sep>b.py\nX = 1\n<file_sep>a.py\n<fim_prefix>"
                      "def f(x):\n<fim_suffix>\n\nprint(f(2))\n<fim_middle>    ret")


def test_deepseek_marks_files_with_path_comments():
    p = render(FORMATS["deepseek"], W, language_id="python", path="a.py",
               snippets=(Snippet("b.py", "X = 1"),))
    assert p.text == ("#b.py\nX = 1\n\n<｜fim▁begin｜>#a.py\ndef f(x):\n<｜fim▁hole｜>"
                      "\n\nprint(f(2))\n<｜fim▁end｜>    ret")


def test_spm_puts_the_suffix_first():
    p = render(FORMATS["starcoder2-spm"], W, language_id="python")
    assert p.text == ("<fim_prefix><fim_suffix>\n\nprint(f(2))\n<fim_middle>def f(x):\n    ret")


def test_plain_format_is_the_prefix_with_snippets_as_comments():
    p = render(FORMATS["plain"], W, language_id="javascript",
               snippets=(Snippet("lib.js", "function g() {}"),))
    assert p.text == "// lib.js:\n// function g() {}\n\ndef f(x):\n    ret"
    assert not p.is_fim


@pytest.mark.parametrize("name", ["deepseek", "starcoder2", "qwen", "codegemma", "codellama"])
def test_markers_are_separate_parts_and_code_never_is(name):
    fmt = FORMATS[name]
    evil = Window(before_line=f"x = '{fmt.fim_middle}'\n", line_prefix="y", suffix="",
                  first_line=0, prefix_tokens=0, suffix_tokens=0)
    p = render(fmt, evil, language_id="python")
    markers = [t for t, is_marker in p.parts if is_marker]
    assert markers == [fmt.fim_prefix, fmt.fim_suffix, fmt.fim_middle]
    code = "".join(t for t, is_marker in p.parts if not is_marker)
    assert fmt.fim_middle in code  # the user's text stays text


def test_the_head_is_byte_identical_while_typing():
    fmt = FORMATS["qwen"]
    a = render(fmt, W, language_id="python")
    typed = Window(W.before_line, W.line_prefix + "urn x", W.suffix, 0, 0, 0)
    b = render(fmt, typed, language_id="python")
    assert b.text.startswith(a.text)


class _WordEngine:
    """Counts one token per word: enough to check budgets."""

    def count_tokens(self, text: str) -> int:
        return len(text.split())


@pytest.mark.parametrize("budget", [None, 64])
def test_a_model_without_fim_gets_the_suffix_budget_for_its_prefix(budget):
    from slm_lsp.completion.prompt import build_prompt
    from slm_lsp.completion.snapshot import Snapshot
    from slm_lsp.completion.trigger import decide
    from slm_lsp.documents import Document
    from slm_lsp.settings import Settings

    lines = [f"value_{i} = {i} + {i}" for i in range(400)]  # five tokens a line
    text = "\n".join(lines) + "\n"
    offset = text.index("value_300")
    doc = Document(uri="file:///w/a.py", text=text, version=1, language_id="python")
    snap = Snapshot.of(doc, offset, decide(doc, offset, invoked=True), path="a.py")
    settings = Settings()
    plain = build_prompt(snap, FORMATS["plain"], _WordEngine(), settings, budget=budget)
    fim = build_prompt(snap, FORMATS["qwen"], _WordEngine(), settings, budget=budget)
    total = (budget or settings.context.prefix_tokens + settings.context.suffix_tokens)
    prefix_of = lambda p: p.text.split("<|fim_suffix|>")[0]  # noqa: E731
    assert len(plain.text.split()) > len(prefix_of(fim).split())
    assert total // 2 < len(plain.text.split()) <= total
    assert plain.text.endswith("value_299 = 299 + 299\n")
