"""The real vocabularies and the tiny random-weight models built around them.

These pin the facts the prompt layer relies on: each FIM marker in ``models.toml`` is exactly
one special token of the real vocabulary, with the published id, it is a control token (so it
is never rendered into completion text), and a whole PSM prompt tokenizes as marker, code,
marker, code, marker.
"""

from __future__ import annotations

import io
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import gguf
import pytest

from slm_lsp.models.registry import load_registry
from tests.support import vocab as vocab_mod
from tests.support.tiny_gguf import N_CTX, N_LAYER, TEXT_TYPES, require_tiny_model, tiny_model
from tests.support.vocab import VOCABS, read_metadata, reference_cases, require_vocab

# Published ids of the FIM markers (the models' tokenizer.json files).
FIM_IDS = {
    "deepseek": ("deepseek-coder", {"fim_prefix": 32016, "fim_suffix": 32015, "fim_middle": 32017}),
    "starcoder2": ("starcoder", {"fim_prefix": 1, "fim_suffix": 3, "fim_middle": 2}),
}
PRE = "def f(x):\n    "
SUF = "\n    return y"


def _llama_cpp():
    return pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")


@pytest.fixture(scope="module")
def loaded():
    """Tiny models loaded once per module, by vocabulary name."""
    llama_cpp = _llama_cpp()
    models: dict[str, object] = {}

    def get(vocab: str):
        if vocab not in models:
            path = require_tiny_model(vocab)
            models[vocab] = llama_cpp.Llama(model_path=str(path), n_ctx=512, verbose=False)
        return models[vocab]

    yield get
    for llm in models.values():
        llm.close()


# --- (a) vocabularies ------------------------------------------------------------------------


@pytest.mark.parametrize("name", VOCABS)
def test_vocab_file_is_the_named_tokenizer_without_weights(name: str) -> None:
    n_tensors, fields = read_metadata(require_vocab(name))
    assert fields["general.name"].value == name
    assert len(fields["tokenizer.ggml.tokens"].value) > 30_000
    assert n_tensors == 0


@pytest.mark.parametrize("name", ["deepseek-coder", "llama-spm"])
def test_read_metadata_agrees_with_gguf_reader(name: str) -> None:
    path = require_vocab(name)
    reader = gguf.GGUFReader(path)
    _, fields = read_metadata(path)
    assert list(fields) == [k for k in reader.fields if not k.startswith("GGUF.")]
    for key, field in fields.items():
        expected = reader.fields[key]
        assert [field.type] + ([field.sub_type] if field.sub_type else []) == expected.types, key
        assert field.value == expected.contents(), key


def test_extract_takes_only_the_vocab_files_from_an_sdist(tmp_path: Path) -> None:
    sdist = tmp_path / "llama_cpp_python-9.9.9.tar.gz"
    members = {
        "llama_cpp_python-9.9.9/vendor/llama.cpp/models/ggml-vocab-starcoder.gguf": b"sc",
        "llama_cpp_python-9.9.9/vendor/llama.cpp/models/ggml-vocab-starcoder.gguf.out": b"1 2\n",
        "llama_cpp_python-9.9.9/vendor/llama.cpp/models/ggml-vocab-falcon.gguf": b"other vocab",
        "llama_cpp_python-9.9.9/vendor/llama.cpp/README.md": b"readme",
        "llama_cpp_python-9.9.9/tests/models/ggml-vocab-qwen2.gguf": b"wrong directory",
    }
    with tarfile.open(sdist, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    dest = tmp_path / "cache"
    dest.mkdir()

    found = vocab_mod.extract_vocabs(sdist, dest)

    assert sorted(p.name for p in found) == [
        "ggml-vocab-starcoder.gguf",
        "ggml-vocab-starcoder.gguf.out",
    ]
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in found)
    assert (dest / "ggml-vocab-starcoder.gguf").read_bytes() == b"sc"


def test_vocab_dir_from_the_environment_wins(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "ggml-vocab-qwen2.gguf").write_bytes(b"local copy")
    monkeypatch.setenv(vocab_mod.ENV_DIR, str(tmp_path))
    assert vocab_mod.vocab_path("qwen2") == tmp_path / "ggml-vocab-qwen2.gguf"
    with pytest.raises(ValueError, match="unknown vocabulary"):
        vocab_mod.vocab_path("gpt-5")


def test_concurrent_lookups_fetch_once(tmp_path: Path, monkeypatch) -> None:
    calls: list[Path] = []

    def slow_fetch(dest: Path) -> list[Path]:
        calls.append(dest)
        time.sleep(0.3)  # long enough for every other lookup to reach the lock
        target = dest / vocab_mod.file_name("starcoder")
        target.write_bytes(b"vocab")
        return [target]

    monkeypatch.delenv(vocab_mod.ENV_DIR, raising=False)
    monkeypatch.setattr(vocab_mod, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(vocab_mod, "fetch_vocabs", slow_fetch)
    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = list(pool.map(lambda _: vocab_mod.vocab_path("starcoder"), range(4)))

    assert calls == [tmp_path]
    assert paths == [tmp_path / "ggml-vocab-starcoder.gguf"] * 4


def test_fetch_without_llama_cpp_python_says_how_to_provide_vocabs(tmp_path, monkeypatch) -> None:
    def not_installed(dist: str) -> str:
        raise vocab_mod.metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(vocab_mod.metadata, "version", not_installed)
    with pytest.raises(vocab_mod.VocabUnavailable, match=vocab_mod.ENV_DIR):
        vocab_mod.fetch_vocabs(tmp_path)


# --- (b) tiny models -------------------------------------------------------------------------


def test_tiny_model_is_written_once_per_vocab_and_seed(tmp_path: Path) -> None:
    require_vocab("deepseek-coder")
    start = time.perf_counter()
    first = tiny_model("deepseek-coder", tmp_path, seed=0)
    written_s = time.perf_counter() - start
    mtime = first.stat().st_mtime_ns
    assert tiny_model("deepseek-coder", tmp_path, seed=0) == first
    assert first.stat().st_mtime_ns == mtime
    other = tiny_model("deepseek-coder", tmp_path, seed=1)
    assert other != first and other.read_bytes() != first.read_bytes()
    print(f"tiny deepseek-coder model: {written_s:.2f} s, {first.stat().st_size} bytes")


@pytest.mark.parametrize("name", VOCABS)
def test_tiny_model_carries_the_whole_tokenizer(name: str) -> None:
    _, vocab = read_metadata(require_vocab(name))
    n_tensors, model = read_metadata(require_tiny_model(name))
    keys = [k for k in vocab if k.startswith("tokenizer.")]
    assert "tokenizer.ggml.merges" in keys or "tokenizer.ggml.scores" in keys
    for key in keys:
        assert model[key] == vocab[key], key
    assert model["llama.vocab_size"].value == len(vocab["tokenizer.ggml.tokens"].value)
    assert model["llama.context_length"].value == N_CTX
    assert n_tensors == 3 + 9 * N_LAYER


@pytest.mark.parametrize("name", VOCABS)
def test_tiny_model_tokenizes_like_llama_cpp_reference(loaded, name: str) -> None:
    require_vocab(name)
    cases = reference_cases(name)
    if not cases:
        pytest.skip("no reference tokenizations beside this vocabulary")
    llm = loaded(name)
    for text, ids in cases:
        assert llm.tokenize(text.encode(), add_bos=False, special=False) == ids, text


@pytest.mark.parametrize("name", ["deepseek-coder", "starcoder"])
def test_tiny_model_generates_text_tokens_deterministically(loaded, name: str) -> None:
    llm = loaded(name)
    prompt = llm.tokenize(b"def fib(n):\n", add_bos=False)
    types = read_metadata(require_vocab(name))[1]["tokenizer.ggml.token_type"].value

    def greedy(n: int) -> list[int]:
        llm.reset()
        out: list[int] = []
        for token in llm.generate(prompt, temp=0.0, reset=True):
            out.append(token)
            if len(out) == n:
                return out
        return out

    start = time.perf_counter()
    first = greedy(32)
    rate = len(first) / (time.perf_counter() - start)
    assert len(first) == 32  # special tokens are never chosen, so nothing ends it early
    assert all(types[t] in TEXT_TYPES for t in first)
    assert greedy(32) == first
    assert len(set(first)) > 1
    print(f"tiny {name}: {rate:.0f} tokens/s")

    done = llm.create_completion("def fib(n):\n", max_tokens=8, temperature=0.0)
    assert done["choices"][0]["finish_reason"] == "length"
    assert done["choices"][0]["text"]


# --- (c) FIM markers of models.toml against the real vocabularies ------------------------------


@pytest.mark.parametrize("fmt_name", sorted(FIM_IDS))
def test_fim_markers_are_single_control_tokens_with_published_ids(loaded, fmt_name: str) -> None:
    llama_cpp = _llama_cpp()
    fmt = load_registry().formats[fmt_name]
    vocab, ids = FIM_IDS[fmt_name]
    llm = loaded(vocab)
    for field, expected in ids.items():
        marker: str = getattr(fmt, field)
        assert llm.tokenize(marker.encode(), add_bos=False, special=True) == [expected], field
        attr = llama_cpp.llama_vocab_get_attr(llm._model.vocab, expected)
        assert attr & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL, field
        assert llm.detokenize([expected], special=True) == marker.encode()
        assert llm.detokenize([expected], special=False) == b""
        # Marker text inside user code is text, never the control token.
        assert expected not in llm.tokenize(marker.encode(), add_bos=False, special=False)


@pytest.mark.parametrize("fmt_name", sorted(FIM_IDS))
def test_psm_prompt_has_each_marker_once_in_place(loaded, fmt_name: str) -> None:
    fmt = load_registry().formats[fmt_name]
    vocab, ids = FIM_IDS[fmt_name]
    llm = loaded(vocab)
    prompt = fmt.template.format(
        fim_prefix=fmt.fim_prefix,
        fim_suffix=fmt.fim_suffix,
        fim_middle=fmt.fim_middle,
        pre=PRE,
        suf=SUF,
    )
    layout = "{fim_prefix}def f(x):\n    {fim_suffix}\n    return y{fim_middle}"
    assert prompt == layout.format(**attrs.asdict(fmt))

    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)

    def text(s: str) -> list[int]:
        return llm.tokenize(s.encode(), add_bos=False, special=False)

    p, s, m = ids["fim_prefix"], ids["fim_suffix"], ids["fim_middle"]
    assert tokens == [p, *text(PRE), s, *text(SUF), m]
    assert [tokens.count(i) for i in (p, s, m)] == [1, 1, 1]
    assert llm.detokenize(tokens, special=False) == (PRE + SUF).encode()


# --- (d) Qwen2.5-Coder layout ------------------------------------------------------------------


def test_qwen_layout_renders_the_published_text_byte_for_byte(loaded) -> None:
    fmt = load_registry().formats["qwen"]
    prompt = fmt.template.format(
        fim_prefix=fmt.fim_prefix,
        fim_suffix=fmt.fim_suffix,
        fim_middle=fmt.fim_middle,
        pre=PRE,
        suf=SUF,
    )
    published = b"<|fim_prefix|>def f(x):\n    <|fim_suffix|>\n    return y<|fim_middle|>"
    assert prompt.encode() == published

    # The sdist's Qwen2 vocabulary predates the coder FIM tokens: the markers are plain text
    # there, so the prompt survives the real tokenizer unchanged but no marker is one token.
    tokens = read_metadata(require_vocab("qwen2"))[1]["tokenizer.ggml.tokens"].value
    assert not {fmt.fim_prefix, fmt.fim_suffix, fmt.fim_middle} & set(tokens)
    llm = loaded("qwen2")
    ids = llm.tokenize(published, add_bos=False, special=True)
    assert llm.detokenize(ids, special=True) == published
    assert len(llm.tokenize(fmt.fim_prefix.encode(), add_bos=False, special=True)) > 1
