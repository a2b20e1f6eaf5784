"""The quality benchmark's fill-in tasks: holes are where and what they claim to be."""

from __future__ import annotations

import re

import pytest

from benchmarks import baselines, quality, tasks
from slm_lsp.models.registry import load_registry

ALL = tasks.build_tasks(8, split="all", seed=0)
LOCKED = tasks.build_tasks(8, split="locked", seed=0)
IDS = [t.id + ":" + t.path for t in ALL + LOCKED]


def _line_of(text: str, offset: int) -> tuple[str, str]:
    """The cursor's line in ``text``, split at ``offset``."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    return text[start:offset], text[offset:end]


def test_every_language_and_kind_has_the_same_number_of_tasks():
    for cut in (ALL, LOCKED):
        for lang in tasks.LANGUAGES:
            for kind in tasks.KINDS:
                assert sum(t.language == lang and t.kind == kind for t in cut) == 8


@pytest.mark.parametrize("task", ALL + LOCKED, ids=IDS)
def test_reinserting_the_expected_text_gives_back_the_original_file(task: tasks.Task):
    holed = task.holed
    assert holed[: task.offset] + task.expected + holed[task.offset:] == task.source
    assert task.source == (tasks.CORPUS / task.path).read_text(encoding="utf-8")
    assert task.expected.strip()


@pytest.mark.parametrize("task", ALL + LOCKED, ids=IDS)
def test_the_hole_is_of_its_kind(task: tasks.Task):
    before, after = _line_of(task.holed, task.offset)
    if task.kind == "line":
        assert before.strip() == "" and after == ""
        assert "\n" not in task.expected
        # The expected text is the rest of the original line.
        assert _line_of(task.source, task.offset)[1].rstrip() == task.expected
    elif task.kind == "midline":
        assert "\n" not in task.expected
        assert before.strip() and not re.match(r"\w", before[-1])
        assert after.strip(), "a mid-line hole has code to its right"
    else:
        assert before.strip() == "" and after.strip() == ""
        assert "\n" in task.expected or task.expected.strip()
        # The hole starts at a statement at the head of a block (function body, if, for ...).
        root = tasks.parser(task.language).parse(task.source.encode()).root_node
        start = len(task.source[: task.offset].encode())
        node = root.descendant_for_byte_range(start, start)
        chain = []
        while node is not None and node.start_byte == start:
            chain.append(node.type)
            node = node.parent
        assert {"block", "statement_block"} & {*chain, node.type}
        assert task.source[task.offset + len(task.expected):].split("\n", 1)[0].strip() in (
            "", "}")


@pytest.mark.parametrize("task", ALL + LOCKED, ids=IDS)
def test_the_position_is_the_offset(task: tasks.Task):
    lines = task.holed.split("\n")
    assert sum(len(line) + 1 for line in lines[: task.line]) + task.column == task.offset


def test_tasks_are_deterministic_for_a_seed_and_differ_between_seeds():
    a = [(t.path, t.offset) for t in tasks.build_tasks(5, split="test", seed=3)]
    b = [(t.path, t.offset) for t in tasks.build_tasks(5, split="test", seed=3)]
    c = [(t.path, t.offset) for t in tasks.build_tasks(5, split="test", seed=4)]
    assert a == b and a != c


def test_the_default_split_is_held_out_from_the_dev_files():
    test_paths = {t.path for t in tasks.build_tasks(10, seed=0)}
    assert test_paths and all("/test/" in p for p in test_paths)
    dev_files = {p.name for lang in tasks.LANGUAGES for p in tasks.corpus_files(lang, "dev")}
    assert dev_files and all("/dev/" not in p for p in test_paths)


def test_tasks_spread_over_files():
    picked = tasks.build_tasks(6, kinds=["line"], languages=["javascript"], split="test")
    assert len({t.path for t in picked}) >= 4


def test_kinds_are_told_apart_on_a_small_python_file():
    src = "def f(a, b):\n    total = add(a, b)\n    return total\n"
    lines = tasks.candidates(src, "python", "line")
    assert (17, "total = add(a, b)") in lines and (39, "return total") in lines
    assert tasks.candidates(src, "python", "midline") == [(29, "a, b")]
    assert tasks.candidates(src, "python", "block") == [
        (17, "total = add(a, b)\n    return total")]


def test_a_docstring_stays_in_the_prefix_of_a_block_hole():
    src = 'def f(x):\n    """Twice x."""\n    y = x * 2\n    return y\n'
    (offset, expected), = tasks.candidates(src, "python", "block")
    assert expected == "y = x * 2\n    return y"
    assert src[:offset].endswith('"""Twice x."""\n    ')


def test_scoring_counts_what_it_names():
    task = tasks.Task("t", "midline", "python", "x.py", "y = f(a, b) + 1\n", 6, "a, b")
    good = quality.score(task, "a, b")
    assert good["exact"] and good["edit_sim"] == 1.0 and not good["dup_suffix"]
    dup = quality.score(task, "a, b) + 1")
    assert dup["dup_suffix"] and dup["syntax_break"]
    assert quality.score(task, "<|endoftext|>")["leak"]
    assert quality.score(task, "  ")["empty"]
    assert quality.similarity("abc", "abd") == pytest.approx(2 / 3)


def test_the_paired_comparison_counts_each_task_once():
    ours = [{"edit_sim": v} for v in (0.5, 1.0, 0.2, 0.4)]
    base = [{"edit_sim": v} for v in (0.5, 0.5, 0.4, 0.2)]
    text = quality.paired(ours, base)
    # differences 0, +0.5, -0.2, +0.2: mean +0.125, sd 0.299, se 0.149
    assert text.startswith("task by task +0.125 ± 0.149")
    assert "n=4; better on 2, worse on 1" in text


def test_baseline_prompts_follow_their_clients():
    plain = load_registry().formats["plain"]
    fim = load_registry().formats["deepseek"]
    count = len  # one token per character is enough to check the windows
    prefix = "".join(f"line{i}\n" for i in range(400)) + "    x = "
    suffix = "1\n" + "".join(f"after{i}\n" for i in range(100))
    naive = baselines.naive(prefix, suffix, plain, count)
    assert naive.parts == ((prefix[-1500:], False),) and naive.stop_at_newline
    vim = baselines.llama_vim(prefix, suffix, plain, count, line_task=True)
    text = vim.parts[0][0]
    assert text.endswith("line399\n    x = ") and text.count("\n") == 256
    vim_fim = baselines.llama_vim(prefix, suffix, fim, count, line_task=False)
    assert [m for m, marker in vim_fim.parts if marker] == [
        fim.fim_prefix, fim.fim_suffix, fim.fim_middle]
    assert vim_fim.parts[3][0].count("\n") == 65  # the cursor line's rest + 64 lines
    llm = baselines.llm_ls(prefix, suffix, plain, count, context_window=100)
    assert len(llm.parts[0][0]) <= 100 and llm.parts[0][0].endswith("    x = ")
    llm_fim = baselines.llm_ls(prefix, suffix, fim, count, context_window=100)
    pre, suf = llm_fim.parts[1][0], llm_fim.parts[3][0]
    assert pre.endswith("    x = ") and suf.startswith("1\nafter0\n")
    assert len(pre) + len(suf) <= 97


def test_llama_vim_render_trims_the_indent_it_did_not_send_and_drops_repeats():
    prefix, suffix = "def f():\n    ", "\n    return 1\n"
    assert baselines.llama_vim_render("    x = 1\n\n", prefix, suffix, 4) == "x = 1"
    assert baselines.llama_vim_render("    return 1", prefix, suffix, 4) == ""


def test_a_baseline_with_nothing_before_the_cursor_answers_nothing(embedded_model):
    # The first line of a file is a task too; a model without BOS has no token to go on from.
    from slm_lsp.formats import PromptFormat

    runner = baselines.Runner(str(embedded_model), PromptFormat(name="plain"), n_ctx=256)
    try:
        req = baselines.naive("", "import os\n", runner.fmt, runner.count_tokens)
        assert runner.generate(req, 8)[0] == ""
        req = baselines.naive("import", " os\n", runner.fmt, runner.count_tokens)
        assert runner.generate(req, 8)[0].strip()  # and with something, it goes on
    finally:
        runner.close()
