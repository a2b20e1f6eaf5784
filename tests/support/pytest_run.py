"""Run one test file through pytest itself, in a child process, with ``CI`` set or unset: how
the tests of "fails in CI, skips elsewhere" see what CI would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_test_file(path: Path, ci: str | None, timeout: float) -> subprocess.CompletedProcess[str]:
    """``pytest`` on ``path`` (from its folder, the project importable), with ``CI=ci`` (None:
    without ``CI``), its report of failures, errors and skips in the output."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider",
                           str(path)], cwd=path.parent, env=env, capture_output=True, text=True,
                          timeout=timeout)
