"""Refactorings in headless Neovim: the plugin, the real server and the embedded model.

"Rewrite selection as asked…" is a code action whose command the plugin handles: it asks for
the instruction with vim.ui.input (answered here by a stub, as a user would type it), then the
server rewrites the selection with the embedded instruct model and applies the edit, or says
why there is no safe rewrite.
"""

from __future__ import annotations

import ast
import time

from .test_neovim import MODEL_TIMEOUT_MS, editor  # noqa: F401 - the fixture

DOUBLED = ("def doubled(values):\n"
           "    out = []\n"
           "    for v in values:\n"
           "        out.append(v * 2)\n"
           "    return out\n"
           "\n"
           "\n"
           "print(doubled([1, 2, 3]))\n")

EXTRACT = ("def invoice(prices, quantity):\n"
           "    subtotal = sum(prices)\n"
           "    rate = 0.2 if subtotal > 10 else 0.1\n"
           "    discount = subtotal * rate\n"
           "    total = subtotal - discount\n"
           "    return round(total * quantity, 2)\n"
           "\n"
           "\n"
           "print(invoice([3.5, 4.25, 9.0], 2))\n")


def _code_action(ed, title: str, start: tuple[int, int], end: tuple[int, int]) -> None:
    ed.lua("""
        local title, s, e = ...
        vim.lsp.buf.code_action({
          apply = true,
          range = { start = s, ['end'] = e },
          filter = function(a) return (a.title or ''):find(title, 1, true) == 1 end,
        })""", title, list(start), list(end))


def test_rewrite_asks_for_the_instruction_and_changes_only_the_selection(editor):  # noqa: F811
    ed = editor({}, "doubled.py", DOUBLED)
    ed.wait_ready()
    ed.lua("""
        _G.asked = nil
        vim.ui.input = function(opts, on_confirm)
          _G.asked = opts.prompt
          on_confirm('use a list comprehension')
        end""")
    tick = ed.nvim.current.buffer.api.get_changedtick()
    _code_action(ed, "Rewrite selection", (2, 0), (4, 25))  # lines 2-4, 1-based rows
    ed.wait_lua(f"vim.api.nvim_buf_get_changedtick(0) ~= {tick} or "
                "vim.fn.execute('messages'):find('no safe rewrite', 1, true) ~= nil",
                MODEL_TIMEOUT_MS, "the rewrite or its refusal")
    time.sleep(0.3)
    assert ed.lua("return _G.asked") == "Rewrite selection as: "
    lines = ed.lines()
    after = "\n".join(lines) + "\n"
    if after == DOUBLED:
        assert "no safe rewrite" in ed.lua("return vim.fn.execute('messages')")
        return
    ast.parse(after)
    assert lines[0] == "def doubled(values):"
    assert lines[-4:] == ["    return out", "", "", "print(doubled([1, 2, 3]))"]
    assert all(line.startswith("    ") for line in lines[1:-4] if line.strip())


def test_extract_function_from_a_visual_selection(editor):  # noqa: F811
    ed = editor({}, "invoice.py", EXTRACT)
    ed.wait_ready()
    tick = ed.nvim.current.buffer.api.get_changedtick()
    _code_action(ed, "Extract function", (4, 0), (5, 31))
    ed.wait_lua(f"vim.api.nvim_buf_get_changedtick(0) ~= {tick}", MODEL_TIMEOUT_MS,
                "the extract function edit")
    time.sleep(0.3)
    after = "\n".join(ed.lines()) + "\n"
    tree = ast.parse(after)
    new = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name != "invoice"]
    assert len(new) == 1 and [a.arg for a in new[0].args.args] == ["subtotal", "rate"], after
    assert f"    total = {new[0].name}(subtotal, rate)\n" in after
    scope: dict = {}
    exec(compile(after.replace("print(", "result = ("), "after", "exec"), scope)
    before: dict = {}
    exec(compile(EXTRACT.replace("print(", "result = ("), "before", "exec"), before)
    assert scope["result"] == before["result"]
