"""A test that cannot run because a piece it needs is missing (an editor, the inference
server's packages): in CI (``CI=true``) it fails, naming the piece, so a run that tested
nothing of it cannot pass; elsewhere it skips with the reason (shown by ``-rs``, which
pyproject.toml's pytest options turn on)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether this is a CI run (``CI`` set to true, as CI services and `.ci/run` do)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(piece: str, how: str = "", *, test: str = "the test") -> NoReturn:
    """Fail (in CI) or skip (elsewhere) the test: ``piece`` is missing; ``how`` to get it;
    ``test`` says which test could not run."""
    cannot_run(f"{piece} is missing" + (f": {how}" if how else ""), test=test)


def cannot_run(reason: str, *, test: str = "the test") -> NoReturn:
    """Fail (in CI) or skip (elsewhere) the test, for ``reason``."""
    if in_ci():
        pytest.fail(f"CI=true and {test} cannot run: {reason}", pytrace=False)
    pytest.skip(reason)
