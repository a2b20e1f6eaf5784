"""The VS Code extension inside real VS Code: code-server 4.100.3 (VS Code 1.100) in headless
Chromium, the built .vsix installed, the real server and model.

tests/editor/setup_code_server.sh prepares code-server and puppeteer-core once per machine
(under ~/.cache/slm-lsp-test; with --warm, as CI's setup_editors.sh runs it, it also opens the
workbench once, so the first run's costs are paid there). Each step waits for what it needs to
see: code-server's /healthz, the workbench, the status bar item saying the model is ready, the
ghost text, the menu, the suggest widget's item (or its "No suggestions", a failure at once).
tests/editor/vscode/drive.mjs types as a user would: it opens a
Python file, types in a function body, waits for the ghost text and accepts it with Tab, then
runs "Generate docstring" from the quick-fix menu (Ctrl+.), saving after each step. This file
checks the saved file, the status bar and the screenshots (in the test's tmp_path).

The next edit test (drive.mjs with SCENARIO=next-edit) renames a parameter by typing its new
name over it, then for each next edit shown presses Tab (the cursor goes there, the text stays)
and Tab again (the edit is made), and saves; the report holds what the decorations showed.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .npm import NODE, NPM, NPX, npm_env, run_npm
from .system_packages import slm_lsp_on_path
from .unavailable import missing

ROOT = Path(__file__).resolve().parents[2]
SETUP = Path(__file__).resolve().parent / "setup_code_server.sh"
DRIVE = Path(__file__).resolve().parent / "vscode" / "drive.mjs"

SOURCE = '''import math


def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def area_of_circle(radius: float) -> float:
    """Return the area of a circle."""
    
'''
TYPE_LINE = 14  # the empty line of area_of_circle's body (1-based)
TYPED = "return "
DOC_LINE = 4  # def clamp
# On a new last line, then Ctrl+Space (not saved): a partly typed name of the file's own
# function, which the model completes whatever it wrote in the steps before.
SUGGEST_TYPED = "size = area_of_ci"
TYPED_WORD = SUGGEST_TYPED.split()[-1]


@pytest.fixture(scope="module")
def code_server() -> tuple[Path, Path]:
    """(code-server's package directory, puppeteer-core's directory), prepared once."""
    if None in (NODE, NPM, NPX):
        missing("node and npm", "run tests/editor/setup_editors.sh, or install Node.js")
    result = subprocess.run([str(SETUP)], stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=3600)
    if result.returncode == 2:  # it cannot install what is missing (not root): it said what
        missing("code-server's system packages", result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, f"setup failed\n{result.stderr[-5000:]}"
    package, driver = result.stdout.split()
    return Path(package), Path(driver)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"code-server exited {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"code-server did not answer at {url}")


def _run_in_code_server(code_server: tuple[Path, Path], vscode_vsix: Path, tmp_path: Path,
                        source_name: str, source_text: str, settings_extra: dict,
                        drive_env: dict) -> tuple[Path, subprocess.CompletedProcess]:
    """Install the .vsix, start code-server on a workspace holding the one source file, run
    drive.mjs with `drive_env`; returns the source's path and the drive's outcome."""
    package, driver = code_server
    entry = package / "out" / "node" / "entry.js"
    data, extensions = tmp_path / "user-data", tmp_path / "extensions"
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    source = workspace / source_name
    source.write_text(source_text)
    # The server: `slm-lsp` running this checkout's server, named in `slmLsp.server.path`
    # (the extension host takes PATH from the login shell, not from code-server's environment).
    slm_lsp_on_path(tmp_path / "bin")
    env = {**npm_env(),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "SLM_LSP_MODELS_DIR": os.environ.get(
               "SLM_LSP_MODELS_DIR", str(ROOT / "tests" / ".cache" / "no-models")),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    common = ["--user-data-dir", data, "--extensions-dir", extensions]
    run_npm([NODE, entry, *common, "--install-extension", vscode_vsix], env=env, timeout=300)
    assert any(p.name.startswith("slm-lsp.slm-lsp-") for p in extensions.iterdir())
    server_log = tmp_path / "server.log"
    settings = data / "User" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({
        "security.workspace.trust.enabled": False,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoUpdate": False,
        "editor.inlineSuggest.enabled": True,
        # Only the ghost text: the suggest widget would take the Tab.
        "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
        "editor.suggestOnTriggerCharacters": False,
        "files.autoSave": "off",
        "slmLsp.server.path": str(tmp_path / "bin" / "slm-lsp"),
        "slmLsp.server.args": ["--log-file", str(server_log)],
        "slmLsp.completion.maxTokens": 32,
        "slmLsp.completion.timeBudgetMs": 60000,
        # The full window at once, however slow the machine: a first answer from a short
        # window (sized by the measured speed) would make the model's answers depend on it.
        "slmLsp.completion.firstAnswerMs": 0,
        **settings_extra,
    }))

    port = _free_port()
    log = (tmp_path / "code-server.log").open("w")
    server = subprocess.Popen(
        [NODE, str(entry), *map(str, common), "--auth", "none", "--bind-addr",
         f"127.0.0.1:{port}", "--disable-telemetry", "--disable-update-check",
         "--disable-workspace-trust", "--disable-getting-started-override", str(workspace)],
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", server, 120)
        drive = subprocess.run(
            [NODE, str(DRIVE)], env={**env, "PUPPETEER_DIR": str(driver),
                                     "URL": f"http://127.0.0.1:{port}/?folder={workspace}",
                                     "FILE_NAME": source.name, "OUT_DIR": str(tmp_path),
                                     **drive_env},
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1200)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
    return source, drive


def test_ghost_text_accepted_with_tab_and_docstring_action_in_vscode(
        code_server: tuple[Path, Path], vscode_vsix: Path, tmp_path: Path):
    source, drive = _run_in_code_server(
        code_server, vscode_vsix, tmp_path, "geometry.py", SOURCE, {},
        {"TYPE_LINE": str(TYPE_LINE), "TYPED": TYPED, "DOC_LINE": str(DOC_LINE),
         "SUGGEST_TYPED": SUGGEST_TYPED})
    server_log = tmp_path / "server.log"
    report = json.loads((tmp_path / "report.json").read_text())
    server_text = server_log.read_text(errors="replace") if server_log.exists() else ""
    log_tail = server_text[-3000:]
    where = (f"\n--- drive (exit {drive.returncode})\n{drive.stderr[-4000:]}\n--- report\n"
             f"{json.dumps(report, indent=1)[-6000:]}\n--- server log\n{log_tail}"
             f"\n--- screenshots in {tmp_path}")
    print(f"screenshots and report: {tmp_path}", file=sys.stderr)
    assert report.get("ok"), where
    # Every request VS Code made was one the server could read (the inline requests made while
    # the suggest widget shows carry its selected item's range).
    assert "Invalid params" not in server_text, where

    # The status bar item showed the model ready.
    assert report["status"] and "codicon-sparkle" in report["status"]["html"], where
    assert (tmp_path / "vscode.png").stat().st_size > 10_000

    # The docstring action ran second: take its docstring out to see the file as it was saved
    # after the completion.
    text = source.read_text()
    tree = ast.parse(text)
    assert any("Generate docstring" in item for item in report["actionMenu"]), where
    assert report["actionChosen"], where
    clamp = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "clamp")
    assert ast.get_docstring(clamp), text
    first = clamp.body[0]
    all_lines = text.split("\n")
    lines = all_lines[: first.lineno - 1] + all_lines[first.end_lineno:]
    source_lines = SOURCE.split("\n")
    assert lines[: TYPE_LINE - 1] == source_lines[: TYPE_LINE - 1], "\n".join(lines)

    # The ghost text was accepted with Tab: the typed line now ends with what it showed.
    inline_part = "".join(report["ghost"]["inline"])
    assert inline_part or report["ghost"]["lines"], where
    typed_line = lines[TYPE_LINE - 1]
    assert typed_line.rstrip() == ("    " + TYPED + inline_part).rstrip(), (typed_line, where)
    extra = [line.rstrip() for line in report["ghost"]["lines"]]
    assert [line.rstrip() for line in lines[TYPE_LINE:TYPE_LINE + len(extra)]] == extra, where

    # The suggest widget kept our item after the partly typed word, and choosing it replaced
    # the word with the whole completion (the last line, not saved).
    ours = [row["label"] for row in report["suggestRows"] if row["snippet"]]
    assert ours and ours[0].startswith(TYPED_WORD), where
    head = SUGGEST_TYPED[:-len(TYPED_WORD)]
    inserted = [line for line in report["afterSuggest"] if line.startswith(head)]
    assert inserted and inserted[-1].startswith(head + ours[0].rstrip("…")), where
    assert not inserted[-1].startswith(head + TYPED_WORD * 2), where


SCALE = '''def scale(count, factor):
    """Scale count by factor."""
    doubled = count * 2
    return doubled * factor + count


print(scale(3, 4))
'''


def test_next_edit_shown_then_tab_goes_there_and_tab_makes_it_in_vscode(
        code_server: tuple[Path, Path], vscode_vsix: Path, tmp_path: Path):
    """Rename a parameter by typing its new name: the next edit (its first use) is shown at
    its line; Escape hides it and the palette's "Suggest the Next Edit" shows it again; Tab
    moves the cursor there without changing the text, Tab again renames the use; the next use
    follows the same way, then nothing more is proposed and Tab indents again."""
    source, drive = _run_in_code_server(
        code_server, vscode_vsix, tmp_path, "scale.py", SCALE,
        # No ghost text: the rename is typed and the Tabs are the next edit's.
        {"slmLsp.completion.automatic": False, "slmLsp.trace.server": "verbose"},
        {"SCENARIO": "next-edit", "RENAME_AT": "1:11", "RENAME_TO": "total"})
    report = json.loads((tmp_path / "report.json").read_text())
    server_log = tmp_path / "server.log"
    server_text = server_log.read_text(errors="replace") if server_log.exists() else ""
    # The extension's channel: the protocol trace, slmLsp/nextEdit requests and answers included.
    channel = "".join(p.read_text(errors="replace") for p in
                      (tmp_path / "user-data" / "logs").glob("*/exthost*/slm-lsp.slm-lsp/*.log"))
    where = (f"\n--- drive (exit {drive.returncode})\n{drive.stderr[-4000:]}\n--- report\n"
             f"{json.dumps(report, indent=1)[-6000:]}\n--- server log\n{server_text[-3000:]}"
             f"\n--- extension log\n{channel[-6000:]}\n--- screenshots in {tmp_path}")
    print(f"screenshots and report: {tmp_path}", file=sys.stderr)
    assert report.get("ok"), where
    assert "Invalid params" not in server_text, where
    assert "Sending request 'slmLsp/nextEdit" in channel, where
    assert report["renamed"][0] == "def scale(total, factor):", where

    edits = report["nextEdits"]
    assert len(edits) == 2, where
    first, second = edits
    # Shown: the label after the use's line, and the gutter marker.
    assert any("Tab: Rename `count` to `total`" in t for t in first["shown"]["texts"]), where
    assert first["shown"]["gutter"], where
    # Tab went to the use (line 3, `count` at column 15) and changed nothing.
    assert first["cursorAfterJump"] == "Ln 3, Col 15", where
    assert not first["changedByJump"], where
    assert any("Tab to accept" in t for t in first["shownAfterJump"]["texts"]), where
    # Tab again made it; the cursor is after the new name.
    assert first["linesAfterAccept"][2] == "    doubled = total * 2", where
    assert first["cursorAfterAccept"] == "Ln 3, Col 20", where
    assert second["cursorAfterJump"] == "Ln 4, Col 31", where
    assert second["linesAfterAccept"][3] == "    return doubled * factor + total", where
    # Escape hid the first one; the palette command brought it back.
    assert not any("Tab" in t for t in report["afterEscape"]["texts"]), where
    assert not any("Tab" in t for t in report["endShown"]["texts"]), where
    # With nothing shown, Tab indents (undone before the save).
    assert report["indented"][4] == "    ", where
    # The saved file: the parameter and its uses renamed, the docstring's word left alone.
    assert source.read_text() == SCALE.replace("scale(count", "scale(total").replace(
        "= count", "= total").replace("+ count", "+ total"), where
