"""FIM models end to end, with the real DeepSeek-Coder and StarCoder tokenizers inside tiny
random-weight GGUFs: `slm-lsp prompt` tokenizes to the published layouts with single special
tokens, and the server's answers never carry a special token."""

from __future__ import annotations

import subprocess
import sys

import pytest
import pytest_lsp
from conftest import ROOT, server_command
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import capabilities, inline, open_doc, prepare

SRC = "import os\n\n\ndef total(values):\n    result = 0\n    \n    return result\n"
# (vocab, format, FIM ids in prompt order for PSM: prefix, suffix, middle)
CASES = [("deepseek-coder", "deepseek", (32016, 32015, 32017)),
         ("starcoder", "starcoder2", (1, 3, 2))]


def _run(env, *args):
    return subprocess.run([sys.executable, "-m", "slm_lsp", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


@pytest.fixture
def models_env(tmp_path, monkeypatch):
    import os

    env = dict(os.environ, SLM_LSP_MODELS_DIR=str(tmp_path / "models"))
    return env


@pytest.mark.parametrize(("vocab", "fmt", "ids"), CASES)
def test_prompt_tokenizes_to_the_published_fim_layout(vocab, fmt, ids, tiny_fim_model,
                                                      models_env, tmp_path):
    from llama_cpp import Llama

    model = tiny_fim_model(vocab)
    added = _run(models_env, "models", "add", str(model), "--format", fmt, "--id", f"t-{vocab}")
    assert added.returncode == 0, added.stderr
    src = tmp_path / "calc.py"
    src.write_text(SRC)
    out = _run(models_env, "prompt", f"{src}:6:5", "--model", f"t-{vocab}")
    assert out.returncode == 0, out.stderr
    prompt = out.stdout.split("# ---- exact prompt ----\n", 1)[1][:-1]
    llm = Llama(model_path=str(model), vocab_only=True, verbose=False)
    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
    pre, suf, mid = ids
    assert [t for t in tokens if t in ids] == [pre, suf, mid]  # once each, in PSM order
    i, j, k = tokens.index(pre), tokens.index(suf), tokens.index(mid)
    detok = lambda ts: llm.detokenize(ts).decode()  # noqa: E731
    assert i == 0
    assert detok(tokens[i + 1:j]) == "import os\n\n\ndef total(values):\n    result = 0\n"
    assert detok(tokens[j + 1:k]) == "\n    return result\n"
    assert detok(tokens[k + 1:]) == "    "  # the cursor's line, after the middle marker


@pytest.mark.parametrize(("vocab", "fmt", "ids"), CASES)
def test_a_format_whose_markers_are_not_single_tokens_is_refused(vocab, fmt, ids,
                                                                tiny_fim_model, models_env):
    model = tiny_fim_model("llama-spm")  # a vocabulary without any FIM tokens
    added = _run(models_env, "models", "add", str(model), "--format", fmt, "--id", "wrong")
    assert added.returncode != 0
    assert "Traceback" not in added.stderr and "token" in added.stderr


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command()))
async def fim_client(lsp_client: LanguageClient, tiny_fim_model, tmp_path_factory):
    prepare(lsp_client)
    model = tiny_fim_model("deepseek-coder")
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"),
        initialization_options={"model": str(model),  # the file name says deepseek-coder
                                "completion": {"maxTokens": 24, "timeBudgetMs": 60000}}))
    yield
    await lsp_client.shutdown_session()


async def test_server_answers_with_a_fim_model_and_never_leaks_special_tokens(
        fim_client: LanguageClient):
    uri = "file:///work/calc.py"
    open_doc(fim_client, uri, SRC)
    answered = []
    for line, col in ((5, 4), (4, 14), (6, 17), (3, 20)):
        result = await inline(fim_client, uri, line, col)
        assert result is not None
        answered += result.items
        for item in result.items:
            assert not any(m in item.insert_text for m in
                           ("<｜fim", "<fim_", "<|", "<｜end"))
            assert item.range.start == types.Position(line, col)
    # Plain text has no grammar, so no syntax filter: the random model's text comes through.
    open_doc(fim_client, "file:///work/notes.txt", "Some notes\nabout ", language="plaintext")
    result = await inline(fim_client, "file:///work/notes.txt", 1, 6)
    assert result is not None and result.items and result.items[0].insert_text
    answered += result.items
    for item in answered:
        assert not any(m in item.insert_text for m in ("<｜fim", "<fim_", "<|", "<｜end"))
    ready = [st for st in fim_client.statuses if st.state == "ready"]
    assert ready and "deepseek-coder" in ready[-1].model
