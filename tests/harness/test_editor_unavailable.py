"""An editor test whose editor is missing fails in CI, naming the piece, and skips elsewhere with
the reason (tests/editor/unavailable.py): run through pytest itself, as CI runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.pytest_run import run_test_file

TEST = '''
from tests.editor.unavailable import missing


def test_needs_an_editor():
    missing("the-editor", "apt-get install the-editor")
'''


def run(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_needs.py").write_text(TEST)
    return run_test_file(tmp_path / "test_needs.py", ci, timeout=120)


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_a_missing_editor_fails_the_run_naming_it(tmp_path: Path, ci: str):
    result = run(tmp_path, ci)
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
    assert "the-editor is missing: apt-get install the-editor" in result.stdout


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_outside_ci_a_missing_editor_skips_with_the_reason(tmp_path: Path, ci: str | None):
    result = run(tmp_path, ci)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "the-editor is missing: apt-get install the-editor" in result.stdout
