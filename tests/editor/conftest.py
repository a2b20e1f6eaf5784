"""The VS Code extension, built once per test session: the build tests and the UI test share
one copy of editors/vscode with its locked dependencies installed (`npm ci` runs once), and one
.vsix packaged from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .npm import EXTENSION, NPM, NPX, run_npm
from .unavailable import missing


@pytest.fixture(scope="session")
def vscode_extension(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the extension's sources (a developer's node_modules and out/ are left alone)
    with its locked dependencies installed; the packages come from npm's cache when warm."""
    if NPM is None or NPX is None:
        missing("npm (with npx)", "run tests/editor/setup_editors.sh, or install Node.js")
    work = tmp_path_factory.mktemp("vscode") / "vscode"
    shutil.copytree(EXTENSION, work,
                    ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    run_npm([NPM, "ci", "--prefer-offline"], work, timeout=900)
    return work


@pytest.fixture(scope="session")
def vscode_vsix(vscode_extension: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension packaged from this checkout, as `vsce package` makes it."""
    out = tmp_path_factory.mktemp("vsix") / "slm-lsp.vsix"
    run_npm([NPX, "--no-install", "vsce", "package", "--out", out], vscode_extension,
            timeout=600)
    return out
