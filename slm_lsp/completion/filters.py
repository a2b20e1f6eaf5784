"""After the model: the generated text made into a completion, and the candidates ranked.

The stop conditions given to the engine (``line_stop``, ``block_stop``) end a generation where
the filters would cut it anyway; ``clean`` runs every filter of ``postprocess`` in order.
"""

from __future__ import annotations

import math
import re

from ..engine.base import Generation
from ..formats import PromptFormat
from ..languages import rules_for
from ..settings import Settings
from . import postprocess
from .snapshot import Snapshot
from .trigger import Mode


def line_stop(text: str) -> bool:
    """A line is done once a line break follows some text (leading breaks do not count)."""
    return "\n" in text.lstrip("\n")


# The line being written, once its indentation and first word are (a character follows the word).
_FIRST_WORD = re.compile(r"[ \t]*\w+(?=\W)")


def block_stop(line_prefix: str, max_lines: int, one_statement: bool = False):
    """Stop once a line has left the block, or, among a block's statements, the statement
    being written (the filters would cut it anyway). A line that starts with a word is judged
    as soon as its indentation and that word are written: whether it is in the block, or a
    clause (``else``) of the statement, does not depend on the rest of it."""

    def left(done: str) -> bool:
        cut = postprocess.cut_block(done, line_prefix, max_lines)
        if one_statement:
            cut = postprocess.cut_one_statement(cut, line_prefix)
        return len(cut.rstrip()) < len(done.rstrip())

    def stop(text: str) -> bool:
        if "\n" not in text:
            return False
        done, _, last = text.rpartition("\n")
        if done.count("\n") + 1 >= max_lines or left(done):
            return True
        word = _FIRST_WORD.match(last)
        return word is not None and left(f"{done}\n{word.group()}")

    return stop


def complete_lines(gen: Generation) -> str:
    """The generated text; cut off by the time or token limit, only its complete lines."""
    raw = gen.text
    if gen.stop_reason in ("time", "length") and "\n" in raw:
        raw = raw[: raw.rfind("\n")]
    return raw


def kept_logprob(gen: Generation, text: str) -> float:
    """The mean log-probability of the tokens that wrote ``text`` (the head of the generated
    text the filters kept): the tokens up to where their text covers it."""
    need = len(text.strip())
    if not need:
        return float("-inf")
    probs: list[float] = []
    seen = 0
    for piece, lp in zip(gen.pieces, gen.logprobs, strict=False):
        seen += len(piece if probs else piece.lstrip())  # the filters drop leading space
        probs.append(lp)
        if seen >= need:
            break
    return sum(probs) / len(probs) if probs else float("-inf")


def rank_candidates(candidates: list[tuple[str, Generation]]) -> list[str]:
    """Filtered candidates: empty ones and duplicates dropped; the first (the greedy answer)
    stays first when it survived the filters, the others follow by the mean log-probability
    of their kept tokens. (Measured on the dev split: ranking the greedy answer among the
    others by log-probability lost edit similarity on Gemma 3 270M and gained nothing on
    SmolLM2; see benchmarks/confidence.py.)"""
    scored: dict[str, tuple[float, str]] = {}
    for i, (text, gen) in enumerate(candidates):
        key = "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip()
        if not key:
            continue
        score = float("inf") if i == 0 else kept_logprob(gen, text)
        if key not in scored or score > scored[key][0]:
            scored[key] = (score, text)
    return [text for _, text in sorted(scored.values(), key=lambda st: -st[0])]


def gate_confidence(gen: Generation, text: str, threshold: float) -> str:
    """Keep the head of ``text`` whose lines the model was confident about.

    A line is kept while the geometric mean probability of its tokens is at least
    ``threshold``; 0 turns gating off.
    """
    if threshold <= 0 or not gen.pieces:
        return text
    lines: list[list[float]] = [[]]
    for piece, lp in zip(gen.pieces, gen.logprobs, strict=False):
        parts = piece.split("\n")
        lines[-1].append(lp)
        for _ in parts[1:]:
            lines.append([])
    kept = 0
    for probs in lines:
        if probs and math.exp(sum(probs) / len(probs)) < threshold:
            break
        kept += 1
    return "\n".join(text.split("\n")[:kept])


def clean(raw: str, snap: Snapshot, fmt: PromptFormat, settings: Settings,
          markers: tuple[str, ...]) -> str:
    """All filters, in order, on the raw model text."""
    trig = snap.trigger
    unit = postprocess.detect_indent_unit(snap.text[:20000])
    text = postprocess.cut_markers(raw, markers + tuple(fmt.stop))
    text = postprocess.realign(text, trig.line_prefix, unit)
    if trig.mode is Mode.LINE:
        text = postprocess.first_line(text, trig.line_suffix)
        text = postprocess.cut_at_outer_closer(text, trig.line_suffix)
    else:
        text = postprocess.cut_block(text, trig.line_prefix, settings.completion.max_lines)
        if trig.one_statement:
            text = postprocess.cut_one_statement(text, trig.line_prefix)
            if postprocess.ends_flow(text):
                return ""  # the code after the cursor would never run
        text = postprocess.cut_repetition(text)
        rules = rules_for(snap.language_id)
        if rules is not None and rules.indentation_blocks:
            text = postprocess.drop_dangling_header(
                postprocess.cut_bad_dedent(text, trig.line_prefix))
    next_lines = snap.suffix.split("\n")[1:6]
    text = postprocess.drop_suffix_overlap(text, trig.line_suffix, next_lines)
    text = postprocess.balance_closers(text, trig.line_suffix)
    text = postprocess.normalize_indent(text, unit)
    text = postprocess.trim_trailing_space(text)
    if trig.mode is Mode.BLOCK and not postprocess.is_empty(text):
        text = postprocess.cut_at_construct_end(text, snap.prefix, snap.suffix,
                                                snap.language_id, snap.tree)
    if postprocess.is_empty(text):
        return ""
    if (trig.mode is Mode.BLOCK or trig.header) and postprocess.only_comments(
            text, snap.language_id):
        return ""  # comments write no code (fill no empty body, head no block)
    return postprocess.keep_parsing(text, snap.prefix, snap.suffix, snap.language_id,
                                    snap.baseline_errors, snap.tree)

