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
