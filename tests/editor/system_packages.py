"""System packages for the editor tests: installed from Debian when missing.

The editor tests run real editors (Emacs from Debian, Chromium for code-server). CI runs as
root with the Debian package registry reachable, so a missing package is installed; where
apt-get cannot install (not root, no apt-get) the test fails in CI and skips elsewhere, saying
what to install (``unavailable.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import unavailable

_UPDATED = False


def installed(package: str) -> bool:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                            capture_output=True, text=True, check=False)
    return result.returncode == 0 and "ok installed" in result.stdout


def require_debian_packages(*packages: str) -> None:
    """Install the missing ``packages`` with apt-get, or fail (CI) or skip saying how."""
    global _UPDATED
    if shutil.which("dpkg-query") is None:
        missing = list(packages)
    else:
        missing = [p for p in packages if not installed(p)]
    if not missing:
        return
    hint = f"apt-get install {' '.join(missing)}"
    if shutil.which("apt-get") is None or shutil.which("dpkg-query") is None:
        unavailable.missing(", ".join(missing), f"no apt-get to install them ({hint})")
    if os.geteuid() != 0:
        unavailable.missing(", ".join(missing), f"not root to install them: run `sudo {hint}`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    if not _UPDATED:
        subprocess.run(["apt-get", *lock, "update", "-qq"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=sys.stderr, timeout=900)
        _UPDATED = True
    subprocess.run(["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends",
                    *missing], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=sys.stderr, timeout=1800)


def slm_lsp_on_path(directory: Path) -> str:
    """A PATH whose `slm-lsp` runs this checkout's server with this Python (as an installed
    `slm-lsp` would), so documented snippets that say `"slm-lsp"` are tested as written."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "slm-lsp"
    root = Path(__file__).resolve().parents[2]
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{root}${{PYTHONPATH:+:$PYTHONPATH}}" '
                      f'exec "{sys.executable}" -m slm_lsp "$@"\n')
    script.chmod(0o755)
    return os.pathsep.join([str(directory), os.environ.get("PATH", "")])
