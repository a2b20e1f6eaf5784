"""npm, npx and node as the VS Code tests run them: CI mode, quiet, failing with their output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "editors" / "vscode"
NPM, NPX, NODE = shutil.which("npm"), shutil.which("npx"), shutil.which("node")


def npm_env() -> dict[str, str]:
    return {**os.environ, "CI": "true", "NO_UPDATE_NOTIFIER": "1", "npm_config_fund": "false",
            "npm_config_audit": "false", "npm_config_update_notifier": "false",
            # The real-server activation test runs this repository's server with this Python.
            "SLM_LSP_REPO": str(REPO), "SLM_LSP_PYTHON": sys.executable}


def run_npm(args: list, cwd: Path | None = None, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run an npm/npx/node command; fails the test with its output when it exits non-zero."""
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env or npm_env(),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}")
    return result
