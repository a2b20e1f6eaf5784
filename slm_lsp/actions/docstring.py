"""Docstrings and doc comments: the project's style, a skeleton from the real signature, the
prompt that lets a model write the summary, and the text to insert.

Pure: a ``Definition`` and the document text in, an insertion (byte-free: a code-point offset
and the text) out. The model only writes the summary; parameter and return sections always
come from the signature, so they cannot be wrong.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..languages import rules_for
from ..languages.javascript import JsDoc

if TYPE_CHECKING:
    from ..languages.doc_comments import DocComment, Insertion, Style
    from .targets import ActionTarget as Definition

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+")
_NUMPY = re.compile(r"^\s*(Parameters|Returns)\s*\n\s*-{3,}", re.M)
_SPHINX = re.compile(r":(param|returns?|rtype)\b")
_GOOGLE = re.compile(r"^\s*(Args|Arguments|Returns|Raises):\s*$", re.M)
_CODEISH = re.compile(r"^\s*(def |class |return\b|import |from \S+ import|function |func |fn |"
                      r"public |private |const |let |var |#include|[{}();]+\s*$)")


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


def _convention(language_id: str) -> DocComment:
    """The language's doc comment convention (a ``/** */`` block when it names none)."""
    rules = rules_for(language_id)
    return rules.docstring if rules is not None and rules.docstring is not None else JsDoc()


def render(d: Definition, language_id: str, summary: str, *, text: str, body_offset: int,
           start_offset: int, style: Style = "google", unit: str = "    ") -> Insertion:
    """The docstring or doc comment for ``d`` with ``summary`` (or the skeleton's), placed
    where the language's convention wants it, indented like the code around it."""
    given, summary = summary, summary or summary_from_name(d)
    return _convention(language_id).render(d, given, summary, text=text,
                                           body_offset=body_offset,
                                           start_offset=start_offset, style=style, unit=unit)


def opening(d: Definition, language_id: str, *, text: str, body_offset: int,
            start_offset: int) -> tuple[str, str]:
    """The prompt's tail for a model to continue: (what goes before the summary, what follows
    it). Plain models get the head only; FIM models also get the tail as the suffix."""
    return _convention(language_id).opening(d, text=text, body_offset=body_offset,
                                            start_offset=start_offset)


def stops_for(language_id: str) -> tuple[str, ...]:
    """Where the summary ends for each convention."""
    return _convention(language_id).stops
