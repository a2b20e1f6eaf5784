#!/usr/bin/env python3
"""See Neovim get and accept an inline completion from slm-lsp, headless, in a few seconds.

    python editors/neovim/scripts/try_inline.py                 # server: slm-lsp on PATH
    python editors/neovim/scripts/try_inline.py --cmd "python -m slm_lsp" --fallback

Starts `nvim --headless --clean` with only this plugin (XDG directories in a temporary
directory), opens a small Python file, enters insert mode on an empty line of a function body,
waits for the suggestion, presses <Tab> and prints the buffer before and after.
Needs Neovim 0.10+ (0.12+ for the built-in inline completion) and the server.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[1]

SAMPLE = '''import math


def area_of_circle(radius: float) -> float:
    """Return the area of a circle."""
    
'''
LINE = 6  # 1-based: the empty body line

DRIVER = r"""
local out, line, timeout = vim.env.TRY_OUT, tonumber(vim.env.TRY_LINE), 120000
local started = vim.uv.hrtime()
local before = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
local function finish(result)
  result.before = before
  result.after = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  result.path = require('slm_lsp').inline_path()
  result.seconds = (vim.uv.hrtime() - started) / 1e9
  local f = assert(io.open(out, 'w'))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd('qa!')
end
-- Check {cond} every 50 ms, then run {next}; give up after the timeout.
local function poll(what, cond, next)
  local t0 = vim.uv.hrtime()
  local function tick()
    if cond() then
      return next()
    end
    if (vim.uv.hrtime() - t0) / 1e6 > timeout then
      return finish({ error = 'timed out waiting for ' .. what })
    end
    vim.defer_fn(tick, 50)
  end
  tick()
end
local impl = require('slm_lsp').inline_path() == 'native' and require('slm_lsp.inline')
  or require('slm_lsp.fallback')
poll('the model', function()
  return (require('slm_lsp.status').last or {}).state == 'ready'
end, function()
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  vim.api.nvim_feedkeys('A', 'n', false)
  poll('a suggestion', function() return impl.visible(0) end, function()
    local tick = vim.api.nvim_buf_get_changedtick(0)
    vim.api.nvim_feedkeys(vim.keycode('<Tab>'), 'm', false)
    poll('the accept', function() return vim.api.nvim_buf_get_changedtick(0) ~= tick end,
      function() vim.defer_fn(function() finish({}) end, 100) end)
  end)
end)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nvim", default=os.environ.get("NVIM_BIN") or shutil.which("nvim"),
                        help="the nvim binary (default: $NVIM_BIN, else nvim on PATH)")
    parser.add_argument("--cmd", default="slm-lsp", help="how to start the server")
    parser.add_argument("--fallback", action="store_true",
                        help="use the plugin's own ghost text even on Neovim 0.12+")
    args = parser.parse_args()
    if not args.nvim:
        print("no nvim found: pass --nvim /path/to/nvim", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="slm-lsp-try-") as tmp:
        tmp_path = Path(tmp)
        sample = tmp_path / "geometry.py"
        sample.write_text(SAMPLE)
        setup = {"cmd": shlex.split(args.cmd)}
        if args.fallback:
            setup["fallback"] = True
        init = tmp_path / "init.lua"
        init.write_text(
            f"vim.opt.runtimepath:prepend({json.dumps(str(PLUGIN))})\n"
            "vim.opt.swapfile = false\n"
            f"require('slm_lsp').setup(vim.json.decode({json.dumps(json.dumps(setup))}))\n")
        driver = tmp_path / "driver.lua"
        driver.write_text(DRIVER)
        out = tmp_path / "result.json"
        env = dict(os.environ, TRY_OUT=str(out), TRY_LINE=str(LINE))
        for name in ("CONFIG", "DATA", "STATE", "CACHE"):
            env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
        try:
            subprocess.run(
                [args.nvim, "--headless", "--clean", "-u", str(init), str(sample),
                 "-c", f"luafile {driver}"],
                cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            print("nvim did not finish in 300 s", file=sys.stderr)
            return 1
        if not out.exists():
            log = tmp_path / "state" / "nvim" / "lsp.log"
            print("nvim exited without a result", file=sys.stderr)
            if log.exists():
                print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
            return 1
        result = json.loads(out.read_text())
    print(f"--- before (inline path: {result['path']})\n{result['before']}")
    if result.get("error"):
        print(f"--- {result['error']}", file=sys.stderr)
        return 1
    print(f"--- after <Tab> ({result['seconds']:.1f} s)\n{result['after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
