"""The prompt format from the vocabulary: pure ranking rules with a table tokenizer, then the
real DeepSeek-Coder and StarCoder vocabularies (llama.cpp's vocab-only GGUFs) under neutral
file names, through the engine's own vocabulary load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from slm_lsp.engine.factory import check_file
from slm_lsp.errors import ModelLoadError
from slm_lsp.models import vocab
from slm_lsp.models.registry import load_registry

FORMATS = load_registry().formats


def table(*specials: str):
    """A tokenizer whose special tokens are ``specials`` (ids from 1); other text splits into
    one token per character."""
    ids = {s: i for i, s in enumerate(specials, 1)}

    def tokenize(text: str) -> list[int]:
        return [ids[text]] if text in ids else [1000 + ord(c) for c in text]

    return tokenize


DEEPSEEK = ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>")
QWEN = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|repo_name|>", "<|file_sep|>")
GEMMA = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_separator|>")
STARCODER2 = ("<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<repo_name>", "<file_sep>")


@pytest.mark.parametrize(("specials", "expected"), [
    pytest.param(DEEPSEEK, "deepseek", id="deepseek"),
    pytest.param(QWEN, "qwen", id="qwen-by-its-repo-markers"),
    pytest.param(GEMMA, "codegemma", id="codegemma-by-its-file-separator"),
    pytest.param(STARCODER2, "starcoder2", id="psm-before-spm"),
    pytest.param(STARCODER2[:3], "starcoder2", id="starcoder-without-repo-markers"),
    pytest.param(("<s>", "</s>"), "plain", id="no-fim-markers"),
])
def test_the_vocabulary_decides_the_format(specials, expected):
    choice = vocab.detect(table(*specials), {}, "model.gguf")
    assert choice.fmt.name == expected
    if expected == "plain":
        assert "none of the FIM markers" in choice.reason
    else:
        assert repr(FORMATS[expected].fim_prefix) in choice.reason


def test_missing_repository_markers_turn_that_layout_off():
    choice = vocab.detect(table(*STARCODER2[:3]), {}, "model.gguf")
    assert choice.fmt.file_sep == "" and choice.fmt.repo_header == ""
    assert choice.fmt.snippet_comment


def test_the_file_name_breaks_a_tie_and_only_a_tie():
    # Qwen's FIM markers without its repository markers: qwen and codegemma tie.
    tokenize = table(*QWEN[:3])
    assert vocab.detect(tokenize, {}, "model.gguf").fmt.name == "qwen"  # models.toml's order
    tied = vocab.detect(tokenize, {}, "codegemma-2b.gguf")
    assert tied.fmt.name == "codegemma" and "the file name chose it" in tied.reason
    # A name cannot override the vocabulary.
    assert vocab.detect(table(*DEEPSEEK), {}, "qwen2.5-coder-1.5b.gguf").fmt.name == "deepseek"
    assert vocab.detect(table(), {}, "deepseek-coder-1.3b-base.gguf").fmt.name == "plain"


def test_fim_token_ids_in_the_metadata_come_first():
    tokenize = table(*QWEN[:3])
    meta = {k: i for k, i in zip(vocab.FIM_KEYS, (1, 2, 3), strict=True)}
    choice = vocab.detect(tokenize, meta, "model.gguf")
    assert choice.fmt.name == "qwen" and "GGUF metadata names the FIM tokens" in choice.reason
    unknown = {k: i for k, i in zip(vocab.FIM_KEYS, (70, 71, 72), strict=True)}
    assert vocab.detect(table(), unknown, "model.gguf").reason.startswith(
        "its GGUF metadata names FIM tokens [70, 71, 72], but they are the markers of no format")


def test_a_named_format_that_does_not_fit_is_refused_naming_the_marker():
    with pytest.raises(vocab.FormatMismatch) as err:
        vocab.resolve("/models/x.gguf", FORMATS["deepseek"], table(*QWEN), metadata={},
                      model="deepseek-coder-1.3b-base")
    message = str(err.value)
    assert message.startswith("/models/x.gguf is not deepseek-coder-1.3b-base: ")
    assert repr(DEEPSEEK[0]) in message and "'qwen' format" in message
    assert isinstance(err.value, ModelLoadError)


# --- the real vocabularies, under neutral names -------------------------------------------------


@pytest.fixture
def neutral(tmp_path):
    """Copy a real vocabulary to a file name that says nothing of the model."""
    from support.vocab import require_vocab

    def copy(name: str, file_name: str) -> Path:
        target = tmp_path / file_name
        shutil.copyfile(require_vocab(name), target)
        return target

    pytest.importorskip("llama_cpp")
    return copy


@pytest.mark.parametrize(("name", "file_name", "expected", "markers"), [
    ("deepseek-coder", "model.gguf", "deepseek", DEEPSEEK),
    ("deepseek-coder", "sha256-" + "a1" * 32, "deepseek", DEEPSEEK),
    ("starcoder", "model.gguf", "starcoder2", STARCODER2[:3]),
    ("starcoder", "sha256-" + "5c" * 32, "starcoder2", STARCODER2[:3]),
])
def test_real_vocabularies_under_neutral_names_get_their_fim_format(neutral, name, file_name,
                                                                   expected, markers):
    choice = check_file(str(neutral(name, file_name)), None)
    assert choice.fmt.name == expected
    assert (choice.fmt.fim_prefix, choice.fmt.fim_suffix, choice.fmt.fim_middle) == markers
    assert "as single special tokens" in choice.reason or "metadata" in choice.reason


def test_a_vocabulary_without_fim_markers_gets_plain(neutral):
    choice = check_file(str(neutral("llama-spm", "model.gguf")), None)
    assert choice.fmt.name == "plain"


def test_a_named_format_is_checked_against_the_real_vocabulary(neutral):
    path = neutral("deepseek-coder", "model.gguf")
    assert check_file(str(path), FORMATS["deepseek"]).fmt.name == "deepseek"
    with pytest.raises(vocab.FormatMismatch, match="'<fim_prefix>'.*'deepseek' format"):
        check_file(str(path), FORMATS["starcoder2"], model="starcoder2-3b")


def test_fim_token_ids_in_a_real_ggufs_metadata_are_read(neutral, tmp_path):
    import gguf
    from support.vocab import read_metadata

    _, fields = read_metadata(neutral("starcoder", "source.gguf"))
    out = tmp_path / "model.gguf"
    writer = gguf.GGUFWriter(out, fields["general.architecture"].value)
    for key, field in fields.items():
        if key != "general.architecture":
            writer.add_key_value(key, field.value, field.type, sub_type=field.sub_type)
    for key, token in zip(vocab.FIM_KEYS, (1, 3, 2), strict=True):  # StarCoder's own ids
        writer.add_uint32(key, token)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    choice = check_file(str(out), None)
    assert choice.fmt.name == "starcoder2"
    assert choice.reason.startswith("its GGUF metadata names the FIM tokens '<fim_prefix>'")
