"""The VS Code extension builds, lints, passes its unit tests and packages into a .vsix.

Runs the extension's own npm scripts on a copy of editors/vscode (so a developer's node_modules
and out/ are left alone). Needs npm; the packages come from npm's cache when it is warm.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "editors" / "vscode"
NPM = shutil.which("npm")
NPX = shutil.which("npx")

pytestmark = pytest.mark.skipif(NPM is None or NPX is None, reason="npm is not on PATH")


def _run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true", "NO_UPDATE_NOTIFIER": "1", "npm_config_fund": "false",
           "npm_config_audit": "false", "npm_config_update_notifier": "false",
           # The real-server activation test runs this repository's server with this Python.
           "SLM_LSP_REPO": str(REPO), "SLM_LSP_PYTHON": sys.executable}
    result = subprocess.run(
        args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
    )
    return result


@pytest.fixture(scope="module")
def extension(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the extension's sources with its locked dependencies installed (`npm ci`)."""
    work = tmp_path_factory.mktemp("vscode") / "vscode"
    shutil.copytree(
        EXTENSION, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix")
    )
    _run([NPM, "ci", "--prefer-offline"], work, timeout=600)
    return work


def test_compiles(extension: Path):
    _run([NPM, "run", "compile"], extension, timeout=300)
    for module in ("extension", "server", "settings", "status", "commands", "pull"):
        assert (extension / "out" / f"{module}.js").is_file(), module


def test_lints(extension: Path):
    _run([NPM, "run", "lint"], extension, timeout=300)


def test_unit_tests_pass(extension: Path):
    result = _run([NPM, "test"], extension, timeout=300)
    # node's test runner reports its counts; make sure tests ran and none failed.
    assert "# fail 0" in result.stdout
    real = [line for line in result.stdout.splitlines()
            if line.endswith("- the activated extension with the real server")]
    assert real and real[0].startswith("ok "), "the activation test against the real server ran"
    passed = [line for line in result.stdout.splitlines() if line.startswith("# pass ")]
    assert passed and int(passed[-1].split()[-1]) > 0, result.stdout[-2000:]


def test_packages_a_vsix(extension: Path, tmp_path: Path):
    vsix = tmp_path / "slm-lsp.vsix"
    _run([NPX, "--no-install", "vsce", "package", "--out", str(vsix)], extension, timeout=300)
    assert vsix.is_file()
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
    assert "extension/package.json" in names
    assert "extension/out/extension.js" in names
    assert any(n.startswith("extension/node_modules/vscode-languageclient/") for n in names)
    assert not any(n.startswith("extension/src/") or "/out/test/" in n for n in names)
