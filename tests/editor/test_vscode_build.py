"""The VS Code extension builds, lints, passes its unit tests and packages into a .vsix.

Runs the extension's own npm scripts on the session's copy of editors/vscode (``conftest.py``:
`npm ci` once, shared with the UI test). Needs npm (``conftest.py`` says when it is missing).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .npm import NPM, run_npm


def test_compiles(vscode_extension: Path):
    run_npm([NPM, "run", "compile"], vscode_extension, timeout=300)
    for module in ("extension", "server", "settings", "status", "commands", "pull"):
        assert (vscode_extension / "out" / f"{module}.js").is_file(), module


def test_lints(vscode_extension: Path):
    run_npm([NPM, "run", "lint"], vscode_extension, timeout=300)


def test_unit_tests_pass(vscode_extension: Path):
    result = run_npm([NPM, "test"], vscode_extension, timeout=300)
    # node's test runner reports its counts; make sure tests ran and none failed.
    assert "# fail 0" in result.stdout
    real = [line for line in result.stdout.splitlines()
            if line.endswith("- the activated extension with the real server")]
    assert real and real[0].startswith("ok "), "the activation test against the real server ran"
    passed = [line for line in result.stdout.splitlines() if line.startswith("# pass ")]
    assert passed and int(passed[-1].split()[-1]) > 0, result.stdout[-2000:]


def test_packages_a_vsix(vscode_vsix: Path):
    assert vscode_vsix.is_file()
    with zipfile.ZipFile(vscode_vsix) as archive:
        names = set(archive.namelist())
    assert "extension/package.json" in names
    assert "extension/out/extension.js" in names
    assert any(n.startswith("extension/node_modules/vscode-languageclient/") for n in names)
    assert not any(n.startswith("extension/src/") or "/out/test/" in n for n in names)
