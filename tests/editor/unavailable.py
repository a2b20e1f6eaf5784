"""An editor test that cannot run: in CI (``CI=true``) it fails, naming the missing piece, so a
run with no editor tested cannot pass; elsewhere it skips with the reason (shown by ``-rs``,
which pyproject.toml's pytest options turn on).

CI prepares the editors first (`.ci/run` runs tests/editor/setup_editors.sh, whose failure
fails the run); a test that still finds a piece missing says which.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether this is a CI run (``CI`` set to true, as CI services and `.ci/run` do)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(piece: str, how: str = "") -> NoReturn:
    """Fail (in CI) or skip (elsewhere) the test: ``piece`` is missing; ``how`` to get it."""
    reason = f"{piece} is missing" + (f": {how}" if how else "")
    if in_ci():
        pytest.fail(f"CI=true and the editor test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)
