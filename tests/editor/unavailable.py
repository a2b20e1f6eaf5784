"""An editor test that cannot run: in CI (``CI=true``) it fails, naming the missing piece, so a
run with no editor tested cannot pass; elsewhere it skips with the reason
(``tests/support/unavailable.py``, shared with the real inference server's tests).

CI prepares the editors first (`.ci/run` runs tests/editor/setup_editors.sh, whose failure
fails the run); a test that still finds a piece missing says which.
"""

from __future__ import annotations

from typing import NoReturn

from tests.support import unavailable


def missing(piece: str, how: str = "") -> NoReturn:
    """Fail (in CI) or skip (elsewhere) the editor test: ``piece`` is missing; ``how`` to get
    it."""
    unavailable.missing(piece, how, test="the editor test")
