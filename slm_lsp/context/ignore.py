"""What the workspace index does not read: vendored, generated and git-ignored files.

``GitIgnore`` implements the common ``.gitignore`` syntax with fnmatch semantics: ``*``, ``?``,
``[...]``, ``**`` segments, ``!`` re-inclusion, a trailing ``/`` for directories, and patterns
anchored to their file's directory when they contain a ``/``. The last matching rule wins.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT_MARKERS = (".git", "pyproject.toml", "package.json", "setup.py", "go.mod", "Cargo.toml")
IGNORED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "venv", ".venv", "__pycache__", "dist", "build",
    "target", "vendor", "third_party", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", "site-packages", ".idea", "bower_components", ".next", ".gradle",
})
GENERATED = re.compile(r"(\.min\.js|_pb2\.py|\.pb\.go|_pb2_grpc\.py|\.generated\.\w+)$")


# -- .gitignore ---------------------------------------------------------------------------------

def _translate(pattern: str) -> str:
    """A gitignore glob as a regex over '/'-separated paths."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            if pattern[i] == "\\" and i + 1 < n:
                i += 1
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


class GitIgnore:
    """The rules of one ``.gitignore`` file (fnmatch-style globs, ``**``, ``!``, ``/``)."""

    def __init__(self, text: str):
        self.rules: list[tuple[re.Pattern[str], bool, bool]] = []  # (regex, negated, dir_only)
        for raw in text.splitlines():
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            line = line[1:] if negated else line
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            body = _translate(line.lstrip("/"))
            regex = re.compile(("" if anchored else "(?:.*/)?") + body + "$")
            self.rules.append((regex, negated, dir_only))

    def match(self, rel: str, is_dir: bool) -> bool | None:
        """True (ignored), False (re-included) or None (no rule), for a path under its dir."""
        verdict = None
        for regex, negated, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if regex.match(rel):
                verdict = not negated
        return verdict


def find_root(path: str | Path) -> Path:
    """The workspace root of a file: its nearest parent holding a project marker (``.git``,
    ``pyproject.toml``, ``package.json``, ...), else the file's own directory."""
    start = Path(path).resolve()
    start = start if start.is_dir() else start.parent
    for d in (start, *start.parents):
        if any((d / m).exists() for m in ROOT_MARKERS):
            return d
    return start
