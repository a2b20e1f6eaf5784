"""Baselines on the same GGUF, loaded in the benchmark process: how simpler clients prompt and cut.

- **naive**: the last ~1,500 characters of the prefix; the answer is cut at the first newline.
- **llm-ls**: huggingface/llm-ls's ``build_prompt``: walking out from the cursor's line, one
  prefix line then one suffix line at a time while they fit ``context_window`` tokens (minus 3
  for the FIM markers), FIM when the model has it; for a model without FIM, prefix lines only.
  Its ``should_complete`` picks single-line for a cursor inside code (a blank line in a body
  included), so the answer is cut at the first newline.
- **llama.vim**: ggml-org/llama.vim's ``llama#fim``: ``n_prefix`` = 256 lines before the cursor's
  line, ``n_suffix`` = 64 lines after it, the cursor's line split at the cursor (a whitespace-only
  line is sent empty and its indentation trimmed from the answer, as ``fim_render`` does); FIM
  when available, else the prefix only. For line and mid-line tasks generation stops at a
  newline; for blocks it runs to the token limit and trailing empty lines are dropped, and an
  answer that only repeats the rest of the line or the next lines is discarded (``fim_render``).

Generation is greedy with the same token limit as the server, and special tokens end it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from slm_lsp.formats import PromptFormat

NAIVE_CHARS = 1500
LLM_LS_CONTEXT_WINDOW = 1024  # llm.nvim / llm-vscode default contextWindow
LLAMA_VIM_PREFIX_LINES = 256
LLAMA_VIM_SUFFIX_LINES = 64
BASELINES = ("naive", "llm-ls", "llama.vim")
_CONTROL = 1 << 3  # LLAMA_TOKEN_ATTR_CONTROL: special tokens end a generation


@dataclass(frozen=True)
class Request:
    """A prompt (parts: text, is_marker) and how to cut the answer."""

    parts: tuple[tuple[str, bool], ...]
    stop_at_newline: bool  # generation ends at the first newline
    first_line_only: bool  # the answer is cut at the first newline after generation
    trim_indent: int = 0  # llama.vim: leading whitespace to drop from the answer's first line


def _fim(fmt: PromptFormat, pre: str, suf: str) -> tuple[tuple[str, bool], ...]:
    """The format's FIM layout with its markers as special tokens."""
    marks = {"fim_prefix": fmt.fim_prefix, "fim_suffix": fmt.fim_suffix,
             "fim_middle": fmt.fim_middle}
    values = {"pre": pre, "suf": suf}
    parts: list[tuple[str, bool]] = []
    rest = fmt.template
    while rest:
        i = rest.find("{")
        if i < 0:
            parts.append((rest, False))
            break
        if i:
            parts.append((rest[:i], False))
        j = rest.index("}", i)
        name = rest[i + 1:j]
        if name in marks:
            parts.append((marks[name], True))
        else:
            parts.append((values[name], False))
        rest = rest[j + 1:]
    return tuple(p for p in parts if p[0])


def naive(prefix: str, suffix: str, fmt: PromptFormat, count_tokens) -> Request:
    return Request(((prefix[-NAIVE_CHARS:], False),), stop_at_newline=True,
                   first_line_only=True)


def llm_ls(prefix: str, suffix: str, fmt: PromptFormat, count_tokens,
           context_window: int = LLM_LS_CONTEXT_WINDOW) -> Request:
    before_lines = prefix.split("\n")
    after_lines = suffix.split("\n")
    # Lines keep their newline, as ropey's lines do; the cursor's line is split at the cursor.
    before = [line + "\n" for line in before_lines[:-1]] + [before_lines[-1]]
    after = [line + "\n" for line in after_lines[:-1]] + [after_lines[-1]]
    before.reverse()
    if fmt.is_fim:
        remaining = context_window - 3
        pre: list[str] = []
        suf: list[str] = []
        for i in range(max(len(before), len(after))):
            if i < len(before):
                cost = count_tokens(before[i])
                if cost > remaining:
                    break
                remaining -= cost
                pre.append(before[i])
            if i < len(after):
                cost = count_tokens(after[i])
                if cost > remaining:
                    break
                remaining -= cost
                suf.append(after[i])
        parts = _fim(fmt, "".join(reversed(pre)), "".join(suf))
    else:
        remaining = context_window
        pre = []
        for line in before:
            cost = count_tokens(line)
            if cost > remaining:
                break
            remaining -= cost
            pre.append(line)
        parts = (("".join(reversed(pre)), False),)
    return Request(parts, stop_at_newline=False, first_line_only=True)


def llama_vim(prefix: str, suffix: str, fmt: PromptFormat, count_tokens, *,
              line_task: bool) -> Request:
    before_lines = prefix.split("\n")
    after_lines = suffix.split("\n")
    line_prefix, line_suffix = before_lines[-1], after_lines[0]
    trim = 0
    if not (line_prefix + line_suffix).strip():
        trim = len(line_prefix + line_suffix)
        line_prefix = line_suffix = ""
    lines_prefix = before_lines[:-1][-LLAMA_VIM_PREFIX_LINES:]
    lines_suffix = after_lines[1:LLAMA_VIM_SUFFIX_LINES + 1]
    pre = "\n".join(lines_prefix) + "\n"
    suf = line_suffix + "\n" + "\n".join(lines_suffix) + "\n"
    if fmt.is_fim:
        # llama.cpp's /infill appends the `prompt` (the cursor's line) to the prefix.
        parts = _fim(fmt, pre + line_prefix, suf)
    else:
        parts = ((pre + line_prefix, False),)
    return Request(parts, stop_at_newline=line_task, first_line_only=False, trim_indent=trim)


def llama_vim_render(answer: str, prefix: str, suffix: str, trim: int) -> str:
    """What llama.vim's ``fim_render`` shows for a raw answer."""
    content = answer.split("\n")
    while content and content[-1] == "":
        content.pop()
    if not content:
        return ""
    after = suffix.split("\n")
    line_suffix = after[0]
    line_prefix = prefix.split("\n")[-1]
    if trim:
        # A whitespace-only line: the answer's own indentation becomes the line's.
        lead = len(content[0]) - len(content[0].lstrip(" \t"))
        line_prefix, line_suffix = content[0][: min(lead, trim)][: len(line_prefix)], ""
        content[0] = content[0][min(lead, trim):]
    if len(content) > 1 and content[0] == "" and content[1:] == after[1:len(content)]:
        return ""
    if len(content) == 1 and content[0] == line_suffix:
        return ""
    nxt = next((line for line in after[1:] if line.strip()), None)
    if nxt is not None and line_prefix + content[0] == nxt and len(content) == 1:
        return ""
    return "\n".join(content)


def build(name: str, prefix: str, suffix: str, fmt: PromptFormat, count_tokens, *,
          line_task: bool) -> Request:
    if name == "naive":
        return naive(prefix, suffix, fmt, count_tokens)
    if name == "llm-ls":
        return llm_ls(prefix, suffix, fmt, count_tokens)
    if name == "llama.vim":
        return llama_vim(prefix, suffix, fmt, count_tokens, line_task=line_task)
    raise ValueError(name)


class Runner:
    """The model loaded once with llama-cpp-python, greedy generation of requests."""

    def __init__(self, path: str, fmt: PromptFormat, *, n_ctx: int = 2048, n_threads: int = 0):
        # The engine's loader: the same llama.cpp parameters as the server (it avoids the AMX
        # weight buffers that crash some virtualised CPUs).
        from slm_lsp.engine.native import new_llama, physical_cores

        self.fmt = fmt
        self.llm = new_llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads or physical_cores(),
                         n_batch=256, verbose=False)
        self._eos = self.llm.token_eos()

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _tokens(self, parts: tuple[tuple[str, bool], ...], room: int) -> list[int]:
        llm = self.llm
        tokens: list[int] = []
        for text, marker in parts:
            tokens += llm.tokenize(text.encode("utf-8"), add_bos=False, special=marker)
        if llm._model.add_bos_token() and llm.token_bos() >= 0:
            tokens.insert(0, llm.token_bos())
        if len(tokens) > room:
            tokens = tokens[len(tokens) - room:]
        return tokens

    def generate(self, request: Request, max_tokens: int) -> tuple[str, float]:
        """The raw answer and the wall time of prompt evaluation plus decoding, in ms."""
        llm = self.llm
        t0 = time.perf_counter()
        tokens = self._tokens(request.parts, llm.n_ctx() - max_tokens - 1)
        if not tokens:  # nothing before the cursor and no BOS: nothing to continue
            return "", (time.perf_counter() - t0) * 1000
        out = bytearray()
        n = 0
        for tok in llm.generate(tokens, top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0,
                                reset=True):
            if tok == self._eos or llm._model.token_get_attr(tok) & _CONTROL:
                break
            out += llm.detokenize([tok])
            n += 1
            if request.stop_at_newline and b"\n" in out:
                out = out[: out.index(b"\n")]
                break
            if n >= max_tokens:
                break
        ms = (time.perf_counter() - t0) * 1000
        text = out.decode("utf-8", "replace")
        if request.first_line_only:
            text = text.split("\n", 1)[0]
        return text, ms

    def close(self) -> None:
        self.llm.close()
