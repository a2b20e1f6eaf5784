"""Rewrite selection as asked, the checks around the model: what is kept of its answer, the
selection's indentation, and the refusals. The model's answers here are fixed strings (the
end-to-end test runs the real embedded model); real tree-sitter grammars."""

from __future__ import annotations

import pytest

from slm_lsp.actions.rewrite import compute_rewrite

SRC = ("def doubled(values):\n"
       "    out = []\n"
       "    for v in values:\n"
       "        out.append(v * 2)\n"
       "    return out\n")
A = SRC.index("    out = []")
B = SRC.index("    return out")


class Answer:
    """Stands in for the chat model: answers every question with ``text``."""

    def __init__(self, text: str):
        self.text = text
        self.questions: list[str] = []

    def ask(self, question: str, max_tokens: int) -> str:
        self.questions.append(question)
        return self.text


def rewrite(answer: str, text: str = SRC, a: int = A, b: int = B, lang: str = "python"):
    chat = Answer(answer)
    out = compute_rewrite(text, lang, a, b, "use a list comprehension", chat)
    return out, chat


def test_the_fenced_code_replaces_exactly_the_selection_with_its_indentation():
    out, chat = rewrite("Sure! Here it is:\n```python\nout = [v * 2 for v in values]\n```\n"
                        "This is faster.")
    (change,) = out.changes
    assert (change.start, change.end) == (A, B)
    assert change.text == "    out = [v * 2 for v in values]\n"
    # The model saw the selection dedented, and the instruction.
    assert "```python\nout = []\nfor v in values:\n    out.append(v * 2)\n```" in \
        chat.questions[0]
    assert "use a list comprehension" in chat.questions[0]


def test_an_answer_without_a_fence_is_taken_whole():
    out, _ = rewrite("out = list(map(lambda v: v * 2, values))")
    assert out.changes[0].text == "    out = list(map(lambda v: v * 2, values))\n"


@pytest.mark.parametrize("answer,reason", [
    ("```python\nout = [v * 2 for v in values\n```", "does not parse in place"),
    ("```python\nresult = [v * 2 for v in values]\n```", "no longer sets `out`"),
    ("```python\ndef doubled(values):\n    return [v * 2 for v in values]\n```",
     "wrote `doubled` again"),
    ("```python\nout = []\nfor v in values:\n    out.append(v * 2)\n```", "changed nothing"),
    ("I cannot help with that.", "does not parse"),
    ("```python\n```", "wrote no code"),
])
def test_unsafe_answers_are_refused_with_the_reason(answer, reason):
    out, _ = rewrite(answer)
    assert not out.changes
    assert out.refusal.startswith("no safe rewrite: ") and reason in out.refusal, out.refusal


def test_a_mid_line_selection_keeps_the_line_around_it():
    text = "def f(xs):\n    return sum([x * x for x in xs])\n"
    a = text.index("[x * x")
    b = text.index("])") + 1
    out, _ = rewrite("```python\n(x * x for x in xs)\n```", text, a, b)
    (change,) = out.changes
    after = text[:change.start] + change.text + text[change.end:]
    assert after == "def f(xs):\n    return sum((x * x for x in xs))\n"


def test_javascript_rewrites_are_checked_with_their_grammar():
    text = ("function total(xs) {\n"
            "  let s = 0;\n"
            "  for (const x of xs) s += x;\n"
            "  return s;\n"
            "}\n")
    a, b = text.index("  let s"), text.index("  return s;")
    good, _ = rewrite("```javascript\nlet s = xs.reduce((a, x) => a + x, 0);\n```", text, a, b,
                      "javascript")
    assert good.changes[0].text == "  let s = xs.reduce((a, x) => a + x, 0);\n"
    bad, _ = rewrite("```javascript\nconst total = xs.reduce((a, x) => a + x, 0);\n```", text,
                     a, b, "javascript")
    assert "no longer sets `s`" in bad.refusal


def test_nothing_to_ask_is_refused_before_the_model():
    assert "no instruction" in compute_rewrite(SRC, "python", A, B, "  ", Answer("x")).refusal
    assert "select the code" in compute_rewrite(SRC, "python", A, A, "x", Answer("x")).refusal
    assert "cannot be checked" in compute_rewrite("x", "plaintext", 0, 1, "x",
                                                     Answer("x")).refusal


def test_a_rewrite_must_leave_the_selection_the_way_it_did():
    text = ("def fact(n):\n"
            "    if n <= 1:\n"
            "        return 1\n"
            "    return n * fact(n - 1)\n")
    a = text.index("    if n")
    nested = ("```python\ndef factorial(n):\n    if n <= 1:\n        return 1\n"
              "    return n * factorial(n - 1)\n```")
    out, _ = rewrite(nested, text, a, len(text))
    assert "drops the selection's `return`" in out.refusal
    loop = "```python\nresult = 1\nfor i in range(2, n + 1):\n    result *= i\nreturn result\n```"
    good, _ = rewrite(loop, text, a, len(text))
    after = text[:a] + good.changes[0].text
    scope: dict = {}
    exec(after, scope)
    assert scope["fact"](5) == 120
    early = "```python\nreturn [v * 2 for v in values]\n```"
    assert "adds a `return`" in rewrite(early)[0].refusal


def test_a_downloaded_instruct_model_is_never_the_completion_default(tmp_path, monkeypatch):
    from slm_lsp.models.registry import choose_model, load_registry

    monkeypatch.setenv("SLM_LSP_MODELS_DIR", str(tmp_path))
    instruct = [s for s in load_registry().models.values() if s.instruct]
    assert {s.id for s in instruct} == {"deepseek-coder-1.3b-instruct",
                                        "qwen2.5-coder-1.5b-instruct"}
    for spec in instruct:
        assert spec.repo and spec.file.endswith(".gguf")
        (tmp_path / spec.file).write_bytes(b"GGUF")
    assert not choose_model("").id.endswith("instruct")
    assert choose_model("qwen2.5-coder-1.5b-instruct").id == "qwen2.5-coder-1.5b-instruct"


def test_the_rewrite_model_is_the_completion_model_however_each_setting_names_it(tmp_path):
    """``actions.rewriteModel`` naming the model that completes (by its id, its path, a link
    to it) means that model does the rewrites: none is loaded beside it."""
    import shutil
    from types import SimpleNamespace

    from slm_lsp.engine.base import ModelInfo
    from slm_lsp.engine.host import Loaded, serves
    from slm_lsp.models.registry import EMBEDDED_ID, choose_model, load_registry

    gguf = choose_model(EMBEDDED_ID).path

    def loaded(model_id: str, path: str) -> Loaded:
        engine = SimpleNamespace(info=ModelInfo(name=model_id, path=path, n_ctx=2048))
        return Loaded(engine, load_registry().formats["plain"], model_id, False)

    by_id, by_path = loaded(EMBEDDED_ID, str(gguf)), loaded(gguf.name, str(gguf))
    link, copy = tmp_path / "link.gguf", tmp_path / "copy.gguf"
    link.symlink_to(gguf)
    shutil.copyfile(gguf, copy)
    for completion in (by_id, by_path):
        for wanted in (EMBEDDED_ID, str(gguf), str(link)):
            assert serves(completion, wanted), (completion.model_id, wanted)
        assert not serves(completion, str(copy))  # another file: loaded beside
        assert not serves(completion, "no-such-model")
    remote = loaded("qwen2.5-coder:1.5b-base", "http://127.0.0.1:8080")
    assert not serves(remote, str(gguf))
    assert not serves(None, EMBEDDED_ID)
