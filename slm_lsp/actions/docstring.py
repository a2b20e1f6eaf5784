"""Docstrings and doc comments: the project's style, a skeleton from the real signature, the
prompt that lets a model write the summary, and the text to insert.

Pure: a ``Definition`` and the document text in, an insertion (byte-free: a code-point offset
and the text) out. The model only writes the summary; parameter and return sections always
come from the signature, so they cannot be wrong.
"""

from __future__ import annotations

import re

import attrs

from .targets import ActionTarget as Definition

Style = str  # "google", "numpy", "sphinx" (Python only)

_NUMPY = re.compile(r"^\s*(Parameters|Returns)\s*\n\s*-{3,}", re.M)
_SPHINX = re.compile(r":(param|returns?|rtype)\b")
_GOOGLE = re.compile(r"^\s*(Args|Arguments|Returns|Raises):\s*$", re.M)
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+")
_CODEISH = re.compile(r"^\s*(def |class |return\b|import |from \S+ import|function |func |fn |"
                      r"public |private |const |let |var |#include|[{}();]+\s*$)")
_QUOTES = {"python": '"""'}
COMMENT_LANGS = {"javascript", "javascriptreact", "typescript", "typescriptreact", "java",
                 "go", "rust"}


def detect_style(text: str) -> Style:
    """The docstring style the file already uses: numpy, sphinx or google (the default)."""
    docs = re.findall(r'"""(.*?)"""', text, re.S) + re.findall(r"'''(.*?)'''", text, re.S)
    votes = {"numpy": 0, "sphinx": 0, "google": 0}
    for doc in docs:
        if _NUMPY.search(doc):
            votes["numpy"] += 1
        elif _SPHINX.search(doc):
            votes["sphinx"] += 1
        elif _GOOGLE.search(doc):
            votes["google"] += 1
    best = max(votes, key=lambda k: (votes[k], k == "google"))
    return best if votes[best] else "google"


def words_of(name: str) -> list[str]:
    """``compute_area`` / ``computeArea`` / ``HTTPServer`` -> their words."""
    return [w for w in _WORDS.findall(name.replace("_", " "))]


def summary_from_name(d: Definition) -> str:
    """A plain summary line made from the name: ``load_config`` -> ``Load config.``."""
    words = words_of(d.name) or [d.name]
    if d.kind == "class":
        phrase = " ".join(words)
        return phrase[:1].upper() + phrase[1:] + "."
    phrase = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return phrase[:1].upper() + phrase[1:] + "."


def _python_sections(d: Definition, style: Style, indent: str) -> list[str]:
    lines: list[str] = []
    if style == "numpy":
        if d.params:
            lines += ["", "Parameters", "----------"]
            for p in d.params:
                lines += [f"{p}", f"    The {p.lstrip('*')}."]
        if d.returns:
            lines += ["", "Returns", "-------", "object", "    The result."]
    elif style == "sphinx":
        if d.params or d.returns:
            lines.append("")
        lines += [f":param {p.lstrip('*')}: The {p.lstrip('*')}." for p in d.params]
        if d.returns:
            lines.append(":returns: The result.")
    else:
        if d.params:
            lines += ["", "Args:"] + [f"    {p}: The {p.lstrip('*')}." for p in d.params]
        if d.returns:
            lines += ["", "Returns:", "    The result."]
    return lines


def clean_summary(raw: str, max_lines: int = 3) -> str:
    """The model's summary if it reads like prose, else "" (the caller uses the skeleton).

    Keeps the first paragraph, at most ``max_lines`` lines, without comment markers or quotes.
    """
    text = raw.replace("\r", "")
    for stop in ('"""', "'''", "*/"):
        text = text.split(stop, 1)[0]
    lines = []
    for line in text.strip("\n").split("\n"):
        line = re.sub(r"^\s*(///?|\*|#)\s?", "", line).rstrip()
        if not line.strip():
            if lines:
                break
            continue
        if _CODEISH.search(line) or re.match(r"^\s*(Args|Returns|Parameters|@param)\b", line):
            break
        lines.append(line.strip())
        if len(lines) >= max_lines:
            break
    summary = " ".join(lines).strip()
    summary = summary.replace("\\", "").replace("`", "'")
    if len(re.findall(r"[A-Za-z]", summary)) < 8 or len(summary) > 240:
        return ""
    if not summary.isprintable():
        return ""
    if not summary.endswith((".", "!", "?")):
        summary += "."
    return summary[0].upper() + summary[1:]


@attrs.frozen
class Insertion:
    """Text to insert at a code-point offset of the document."""

    offset: int
    text: str


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _indent_at(text: str, offset: int) -> str:
    start = _line_start(text, offset)
    line = text[start:]
    return line[: len(line) - len(line.lstrip(" \t"))]


def render(d: Definition, language_id: str, summary: str, *, text: str, body_offset: int,
           start_offset: int, style: Style = "google", unit: str = "    ") -> Insertion:
    """The docstring or doc comment for ``d`` with ``summary`` (or the skeleton's), placed
    where the language's convention wants it, indented like the code around it."""
    given, summary = summary, summary or summary_from_name(d)
    if language_id == "python":
        indent = _indent_at(text, body_offset)
        if not indent:  # a body on the signature's line is not offered; be safe anyway
            indent = _indent_at(text, start_offset) + unit
        sections = _python_sections(d, style, indent)
        if not sections:
            body = f'{indent}"""{summary}"""\n'
        else:
            lines = [f'{indent}"""{summary}'] + [f"{indent}{s}".rstrip() for s in sections]
            body = "\n".join(lines) + f'\n{indent}"""\n'
        return Insertion(_line_start(text, body_offset), body)
    indent = _indent_at(text, start_offset)
    where = _line_start(text, start_offset)
    if language_id == "go":
        if not given:
            first = f"{d.name} returns the result." if d.returns else f"{d.name} ..."
        elif summary.split(" ", 1)[0].rstrip(".,:") == d.name:
            first = summary
        else:
            first = f"{d.name} {summary[:1].lower()}{summary[1:]}"
        return Insertion(where, f"{indent}// {first}\n")
    if language_id == "rust":
        lines = [f"{indent}/// {summary}"]
        if d.params:
            lines += [f"{indent}///", f"{indent}/// # Arguments", f"{indent}///"]
            lines += [f"{indent}/// * `{p}` - The {p}." for p in d.params]
        return Insertion(where, "\n".join(lines) + "\n")
    lines = [f"{indent}/**", f"{indent} * {summary}"]
    tags = [f"@param {p.lstrip('.')} The {p.lstrip('.')}." for p in d.params]
    if d.returns:
        tags.append("@returns The result." if language_id != "java" else "@return the result")
    if tags:
        lines.append(f"{indent} *")
        lines += [f"{indent} * {t}" for t in tags]
    lines.append(f"{indent} */")
    return Insertion(where, "\n".join(lines) + "\n")


def opening(d: Definition, language_id: str, *, text: str, body_offset: int,
            start_offset: int) -> tuple[str, str]:
    """The prompt's tail for a model to continue: (what goes before the summary, what follows
    it). Plain models get the head only; FIM models also get the tail as the suffix."""
    if language_id == "python":
        head = text[:_line_start(text, body_offset)] + _indent_at(text, body_offset) + '"""'
        tail = '"""\n' + text[_line_start(text, body_offset):]
        return head, tail
    where = _line_start(text, start_offset)
    indent = _indent_at(text, start_offset)
    if language_id == "go":
        return text[:where] + f"{indent}// {d.name} ", "\n" + text[where:]
    if language_id == "rust":
        return text[:where] + f"{indent}/// ", "\n" + text[where:]
    return text[:where] + f"{indent}/**\n{indent} * ", f"\n{indent} */\n" + text[where:]


def stops_for(language_id: str) -> tuple[str, ...]:
    """Where the summary ends for each convention."""
    if language_id == "python":
        return ('"""', "\n\n", "Args:", "Parameters", ":param")
    if language_id in ("go", "rust"):
        return ("\n",)
    return ("*/", "@param", "@return", "\n\n")
