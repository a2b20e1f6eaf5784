"""Emacs with eglot, as docs/editors.md documents it: `emacs --batch`, the real server and model.

Debian's `emacs-nox` (Emacs 28) and `elpa-eglot` (eglot 1.9) are installed when missing (see
tests/editor/system.py). The elisp snippet from docs/editors.md is loaded as written, with
`slm-lsp` on PATH running this checkout's server; tests/editor/emacs/driver.el then connects,
types a partial word and runs `completion-at-point`, applies the docstring code action, and
types a syntax error for flymake. It writes what happened as JSON; this file checks it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .system_packages import require_debian_packages, slm_lsp_on_path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "editors.md"
DRIVER = Path(__file__).resolve().parent / "emacs" / "driver.el"

SOURCE = '''import os


def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def list_names(root):
    names = 
    return names
'''


def documented_snippet() -> str:
    """The elisp block of the Emacs section of docs/editors.md."""
    text = DOCS.read_text()
    section = re.search(r"^## Emacs.*?$(.*?)(?=^## )", text, re.M | re.S)
    assert section, "docs/editors.md has no Emacs section"
    block = re.search(r"```elisp\n(.*?)```", section.group(1), re.S)
    assert block, "the Emacs section has no elisp block"
    return block.group(1)


@pytest.fixture(scope="module")
def emacs_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the driver once; every test below reads its report."""
    require_debian_packages("emacs-nox", "elpa-eglot")
    emacs = shutil.which("emacs")
    assert emacs, "emacs-nox is installed but `emacs` is not on PATH"
    tmp = tmp_path_factory.mktemp("emacs")
    work = tmp / "project"
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=False)  # a project for eglot
    source = work / "names.py"
    source.write_text(SOURCE)
    snippet = tmp / "snippet.el"
    snippet.write_text(documented_snippet())
    out = tmp / "report.json"
    env = {**os.environ,
           "PATH": slm_lsp_on_path(tmp / "bin"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "HOME": str(tmp / "home"),
           "SLM_LSP_MODELS_DIR": os.environ.get(
               "SLM_LSP_MODELS_DIR", str(ROOT / "tests" / ".cache" / "no-models")),
           "SLM_TEST_FILE": str(source), "SLM_TEST_OUT": str(out)}
    (tmp / "home").mkdir()
    result = subprocess.run([emacs, "--batch", "-l", str(snippet), "-l", str(DRIVER)],
                            cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=900)
    log = f"--- emacs exited {result.returncode}\n{result.stderr[-6000:]}"
    assert out.exists(), log
    report = json.loads(out.read_text())
    report["log"] = log
    return report


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def test_emacs_and_eglot_are_the_versions_the_docs_name():
    require_debian_packages("emacs-nox", "elpa-eglot")
    out = subprocess.run(["emacs", "--batch", "--eval", "(princ emacs-version)"],
                         capture_output=True, text=True, timeout=120)
    assert _version(re.match(r"\d+\.\d+", out.stdout).group()) >= (28, 1), out.stdout
    eglot = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "elpa-eglot"],
                           capture_output=True, text=True, timeout=60).stdout
    assert _version(re.match(r"\d+\.\d+", eglot).group()) >= (1, 9), eglot
    assert "Emacs 28" in DOCS.read_text() and "eglot 1.9" in DOCS.read_text()


def test_eglot_connects_with_the_documented_snippet(emacs_run: dict):
    assert emacs_run.get("major-mode") == "python-mode", emacs_run["log"]
    assert "slm-lsp" in emacs_run.get("contact", ""), emacs_run
    assert emacs_run.get("managed") is True, emacs_run["log"]
    assert emacs_run.get("ready") is True, emacs_run["log"]


def _apply(text: str, edit: dict) -> str:
    lines = text.split("\n")

    def offset(pos: dict) -> int:  # ASCII text: every position encoding agrees
        return sum(len(x) + 1 for x in lines[: pos["line"]]) + pos["character"]

    rng = edit["range"]
    return text[: offset(rng["start"])] + edit["newText"] + text[offset(rng["end"]):]


def test_completion_at_point_after_a_partial_word_inserts_the_completion(emacs_run: dict):
    assert "completion-error" not in emacs_run, emacs_run
    before = emacs_run["before-completion"]
    assert "    names = sor\n" in before
    items = json.loads(emacs_run["completion-response"])["items"]
    assert items, "the server answered no item"
    item = items[0]
    new_text = item["textEdit"]["newText"]
    assert item["label"].startswith("sor") and new_text.startswith("sor")
    after = emacs_run["after-completion"]
    assert after == _apply(before, item["textEdit"]), (
        f"--- before\n{before}\n--- after\n{after}\n--- item\n{item}")
    assert after != before


def test_the_docstring_code_action_applies_after_eglot_asks(emacs_run: dict):
    assert "action-error" not in emacs_run, emacs_run
    assert emacs_run["confirmations"], "eglot applied a server edit without asking"
    before, after = emacs_run["before-action"], emacs_run["after-action"]
    assert after != before, "the docstring edit was not applied"
    tree = ast.parse(after)
    clamp = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "clamp")
    assert ast.get_docstring(clamp), after
    lines = after.split("\n")
    node = clamp.body[0]
    assert "\n".join(lines[: node.lineno - 1] + lines[node.end_lineno:]) == before, \
        f"more than a docstring changed:\n{after}"


def test_the_syntax_error_shows_in_flymake(emacs_run: dict):
    assert "diagnostics-error" not in emacs_run, emacs_run
    assert "eglot-flymake-backend" in emacs_run["flymake-backends"]
    broken_line = emacs_run["final"].split("\n").index("def broken(:") + 1
    errors = [d for d in emacs_run["diagnostics"] if d[1].endswith("error")]
    assert errors, emacs_run["diagnostics"]
    assert any(abs(line - broken_line) <= 1 for line, _, _ in errors), (
        broken_line, emacs_run["diagnostics"])
