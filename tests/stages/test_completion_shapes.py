"""The shape of an answer on an empty line, from the trigger to the filters: a whole block
where the block is empty, one statement among statements (or after a header whose block has
code) that never ends the block before its code, a header (code) above deeper code."""

from __future__ import annotations

from slm_lsp.completion.filters import clean
from slm_lsp.completion.snapshot import Snapshot
from slm_lsp.completion.trigger import Mode, decide
from slm_lsp.documents import Document
from slm_lsp.formats import PromptFormat
from slm_lsp.settings import Settings

PLAIN = PromptFormat(name="plain")


def _clean(src: str, raw: str, lang: str = "python") -> tuple[Snapshot, str]:
    offset = src.index("|")
    doc = Document(uri="file:///t", text=src.replace("|", ""), language_id=lang)
    snap = Snapshot.of(doc, offset, decide(doc, offset, invoked=True), path="t")
    return snap, clean(raw, snap, PLAIN, Settings(), ())


def test_an_empty_body_gets_the_block_among_statements_one_statement():
    raw = "y = x + 1\n    z = y * 2\n    return z\n"
    snap, text = _clean("def f(x):\n    |\n", raw)
    assert snap.trigger.mode is Mode.BLOCK and text == raw.rstrip()
    snap, text = _clean("def f(x):\n    |\n    print(x)\n", raw)
    assert snap.trigger.one_statement and text == "y = x + 1"


def test_above_deeper_code_the_answer_is_its_header_and_never_a_comment():
    src = "function f(c) {\n  c = 1;\n  |\n    c = 2;\n  }\n}\n"
    snap, text = _clean(src, "if (c > 0) {\n    c = 3;\n  }\n", "javascript")
    assert snap.trigger.header and text == "if (c > 0) {"
    _, text = _clean(src, "// a note\n  if (c > 0) {\n", "javascript")
    assert text == ""


def test_after_a_header_whose_block_has_code_one_new_statement_and_no_copy():
    src = "def f(x):|\n    return x * 2\n"
    snap, text = _clean(src, "\n    print(x)\n    return x * 2\n\ndef g():\n    pass\n")
    assert snap.trigger.one_statement and text == "\n    print(x)"
    # The model writing the block that is already there proposes nothing.
    _, text = _clean(src, "\n    return x * 2\n")
    assert text == ""


def test_a_statement_before_existing_code_never_makes_it_unreachable():
    among = "def f(x):\n    y = x * 2\n    |\n    print(y)\n    return y\n"
    for raw in ("return y\n", "raise ValueError(y)\n", "# done\n    return y\n"):
        snap, text = _clean(among, raw)
        assert snap.trigger.one_statement and text == "", raw
    _, text = _clean(among, "log(y)\n    return y\n")
    assert text == "log(y)"
    _, text = _clean("function f(a) {|\n  g(a);\n}\n", "\n  throw new Error(a);\n",
                     "javascript")
    assert text == ""
    # In an empty block the statement that ends it is the answer.
    _, text = _clean("def f(x):\n    |\n", "return x\n")
    assert text == "return x"
