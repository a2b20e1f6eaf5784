"""A real inference server that cannot start (its packages missing, or the process dying at
once) fails the backend tests in CI, with the reason and the server's own output, and skips them
elsewhere (tests/backends/real_server.py): run through pytest itself, as CI runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.pytest_run import run_test_file

TEST = '''
from pathlib import Path

from tests.backends import real_server


def test_needs_a_real_server(tmp_path):
    if {no_extra!r}:
        real_server.SERVER_EXTRA = ("no_such_server_package",)
    real_server.start_real_server(model=Path("/nonexistent/model.gguf"))
'''
WHY = {
    "dies": ["llama_cpp.server could not start: llama_cpp.server exited with",
             "Model path does not exist: /nonexistent/model.gguf"],
    "no extra": ["llama-cpp-python's server extra (no_such_server_package) is missing"],
}


def run(tmp_path: Path, ci: str | None, case: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_needs.py").write_text(TEST.format(no_extra=case == "no extra"))
    return run_test_file(tmp_path / "test_needs.py", ci, timeout=180)


@pytest.mark.parametrize("case", list(WHY))
def test_in_ci_a_server_that_cannot_start_fails_the_run_saying_why(tmp_path: Path, case: str):
    result = run(tmp_path, "true", case)
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
    assert "CI=true and the real inference server test cannot run" in result.stdout
    for why in WHY[case]:
        assert why in result.stdout, result.stdout


@pytest.mark.parametrize("case", list(WHY))
def test_outside_ci_a_server_that_cannot_start_skips_saying_why(tmp_path: Path, case: str):
    result = run(tmp_path, None, case)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    for why in WHY[case]:
        assert why in result.stdout, result.stdout
