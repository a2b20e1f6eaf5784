"""Names for extracted code: the model's proposal if it is a fresh, valid identifier in the
language's style, else a plain fallback (``extracted``, ``extracted_1``...)."""

from __future__ import annotations

import keyword
import re
from typing import TYPE_CHECKING

from .flow import FAMILY

if TYPE_CHECKING:
    from tree_sitter import Tree

_JS_KEYWORDS = set("""break case catch class const continue debugger default delete do else
export extends false finally for function if import in instanceof new null return super switch
this throw true try typeof var void while with yield let static enum await implements package
protected interface private public arguments eval undefined NaN Infinity""".split())
_GO_KEYWORDS = set("""break case chan const continue default defer else fallthrough for func go
goto if import interface map package range return select struct switch type var append cap
close complex copy delete imag len make new panic print println real recover bool byte error
float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr
true false nil iota any comparable min max clear""".split())
_RUST_KEYWORDS = set("""as break const continue crate else enum extern false fn for if impl in
let loop match mod move mut pub ref return self Self static struct super trait true type unsafe
use where while async await dyn abstract become box do final macro override priv typeof
unsized virtual yield try union""".split())
FALLBACK = "extracted"




def _text(node) -> str:
    return node.text.decode("utf-8", "replace") if node.text else ""


def names_in(tree: Tree) -> set[str]:
    """Every identifier-like word in the document: a fresh name collides with none of them."""
    out: set[str] = set()
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.child_count == 0:
            if "identifier" in n.type or n.type in ("self", "this"):
                out.add(_text(n))
        else:
            stack.extend(n.children)
    return out


def reserved(language_id: str) -> set[str]:
    family = FAMILY.get(language_id, "")
    if family == "python":
        import builtins

        return set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | {"self",
                                                                                      "cls"}
    if family == "js":
        return _JS_KEYWORDS | {"console", "window", "document", "globalThis", "require",
                               "module", "exports", "Math", "JSON", "Object", "Array",
                               "String", "Number", "Promise"}
    if family == "go":
        return _GO_KEYWORDS
    return _RUST_KEYWORDS


def style(candidate: str, language_id: str) -> str:
    """``candidate`` in the language's convention for functions and variables."""
    words = [w for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", candidate) if w]
    if not words:
        return ""
    family = FAMILY.get(language_id, "")
    if family in ("python", "rust"):
        return "_".join(w.lower() for w in words)
    head, *rest = words
    return head.lower() + "".join(w[:1].upper() + w[1:].lower() for w in rest)


def fresh_name(proposal: str, taken: set[str], language_id: str) -> tuple[str, bool]:
    """The model's proposal if it is a fresh, valid identifier (in the language's style), else
    the fallback (``extracted``, ``extracted_1``...). The flag says whether it was the model's."""
    banned = taken | reserved(language_id)
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", proposal or "")
    if m:
        name = style(m.group(1), language_id)
        if 2 <= len(name) <= 40 and name.isidentifier() and name not in banned and \
                not name[0].isdigit():
            return name, True
    name, i = FALLBACK, 1
    sep = "_" if FAMILY.get(language_id) in ("python", "rust") else ""
    while name in banned:
        name = f"{FALLBACK}{sep}{i}"
        i += 1
    return name, False
