"""Real tokenizer vocabularies for tests: the vocab-only GGUF files that llama.cpp ships.

llama.cpp keeps ``models/ggml-vocab-<name>.gguf`` files (tokenizer metadata, no weights) for its
own tokenizer tests. They are the real vocabularies of DeepSeek-Coder, StarCoder, Qwen2 and
Llama, so the FIM markers in ``models.toml`` can be checked against the real thing without
downloading a model.

Where a vocabulary comes from, first found wins:

1. ``$SLM_LSP_VOCAB_DIR/ggml-vocab-<name>.gguf`` (e.g. a llama.cpp checkout's ``models/``);
2. the cache ``tests/.cache/vocab/`` (gitignored);
3. the source distribution of the *installed* llama-cpp-python, fetched with ``pip download``;
   only the vocab files we use are taken out of it, into the cache.

A file lock keeps parallel test processes (pytest-xdist, several sessions) from fetching twice.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import gguf
import numpy as np

VOCABS = ("deepseek-coder", "starcoder", "qwen2", "llama-spm")
CACHE_DIR = Path(__file__).resolve().parents[1] / ".cache" / "vocab"
ENV_DIR = "SLM_LSP_VOCAB_DIR"
DIST = "llama-cpp-python"
LOCK_TIMEOUT_S = 900.0


class VocabUnavailable(RuntimeError):
    """The vocabulary could not be found or fetched; the message says why and what to do."""


def file_name(name: str) -> str:
    """The file name llama.cpp gives the vocabulary ``name``."""
    return f"ggml-vocab-{name}.gguf"


def vocab_path(name: str) -> Path:
    """The vocab-only GGUF for ``name`` (one of :data:`VOCABS`), fetching it if need be."""
    if name not in VOCABS:
        raise ValueError(f"unknown vocabulary {name!r}; known: {', '.join(VOCABS)}")
    env = os.environ.get(ENV_DIR, "").strip()
    if env:
        path = Path(env).expanduser() / file_name(name)
        if path.is_file():
            return path
    cached = CACHE_DIR / file_name(name)
    if cached.is_file():
        return cached
    from filelock import FileLock, Timeout

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(CACHE_DIR / ".fetch.lock"), timeout=LOCK_TIMEOUT_S):
            if not cached.is_file():  # another process may have fetched it while we waited
                fetch_vocabs(CACHE_DIR)
    except Timeout as exc:
        raise VocabUnavailable(f"timed out waiting for another process to fetch {cached}") from exc
    if not cached.is_file():
        raise VocabUnavailable(f"the {DIST} sdist has no models/{file_name(name)}")
    return cached


def fetch_vocabs(dest: Path) -> list[Path]:
    """Download the installed llama-cpp-python's sdist and extract :data:`VOCABS` into ``dest``."""
    try:
        version = metadata.version(DIST)
    except metadata.PackageNotFoundError as exc:
        raise VocabUnavailable(
            f"{DIST} is not installed, so there is no version to fetch vocabularies for; "
            f"install it, or set {ENV_DIR} to a directory of ggml-vocab-*.gguf files"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="slm-lsp-sdist-") as tmp:
        # --no-binary only for llama-cpp-python: pip still prepares the sdist's metadata, and
        # with ":all:" it would build every build dependency (scikit-build-core, hatchling...)
        # from source too, minutes instead of seconds on a cold pip cache.
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            DIST,
            "--disable-pip-version-check",
            "--quiet",
            f"{DIST}=={version}",
            "-d",
            tmp,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        sdists = sorted(Path(tmp).glob("*.tar.gz"))
        if proc.returncode != 0 or not sdists:
            raise VocabUnavailable(
                f"could not download the {DIST}=={version} sdist ({' '.join(cmd)}): "
                f"{proc.stderr.strip()[-500:] or 'no .tar.gz saved'}; set {ENV_DIR} to a "
                f"directory of ggml-vocab-*.gguf files instead"
            )
        return extract_vocabs(sdists[0], dest)


def extract_vocabs(sdist: Path, dest: Path) -> list[Path]:
    """Copy ``*/vendor/llama.cpp/models/ggml-vocab-<name>.gguf`` for :data:`VOCABS` (and the
    ``.inp``/``.out`` reference tokenizations beside them) out of the sdist into ``dest``, in one
    streamed pass, nothing else extracted. Each file appears atomically."""
    wanted = {file_name(name) + ext for name in VOCABS for ext in ("", ".inp", ".out")}
    found: list[Path] = []
    with tarfile.open(sdist, mode="r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if (
                member.isfile()
                and parts[-1] in wanted
                and parts[-4:-1] == ["vendor", "llama.cpp", "models"]
            ):
                src = tar.extractfile(member)
                assert src is not None
                target = dest / parts[-1]
                part = target.with_name(f"{target.name}.{os.getpid()}.part")
                with src, open(part, "wb") as out:
                    shutil.copyfileobj(src, out)
                os.replace(part, target)
                found.append(target)
    return found


def reference_cases(name: str) -> list[tuple[str, list[int]]]:
    """llama.cpp's reference tokenizations for ``name``: ``(text, ids)`` pairs, read from the
    ``.inp``/``.out`` files beside the vocabulary (empty when they are not there). The ids are
    without BOS, special tokens not parsed, as ``tests/test-tokenizer-0.cpp`` checks them."""
    base = vocab_path(name)
    inp, out = Path(f"{base}.inp"), Path(f"{base}.out")
    if not (inp.is_file() and out.is_file()):
        return []
    sep = "\n__ggml_vocab_test__\n"
    raw = inp.read_text(encoding="utf-8")
    texts = raw.split(sep)
    if raw.endswith(sep):
        texts.pop()
    ids = [[int(t) for t in line.split()] for line in out.read_text(encoding="utf-8").splitlines()]
    if len(texts) != len(ids):
        raise ValueError(f"{inp} has {len(texts)} cases but {out} has {len(ids)}")
    return list(zip(texts, ids, strict=True))


class Metadatum(NamedTuple):
    """One GGUF metadata value with its exact type (``sub_type`` for arrays)."""

    type: gguf.GGUFValueType
    value: Any
    sub_type: gguf.GGUFValueType | None = None


def read_metadata(path: Path) -> tuple[int, dict[str, Metadatum]]:
    """The tensor count and every metadata key of a little-endian GGUF file.

    ``gguf.GGUFReader`` builds a numpy view per array element and needs tens of seconds for a
    150k-token vocabulary; this reads the same values in well under a second.
    """
    data = Path(path).read_bytes()
    magic, version, n_tensors, n_kv = struct.unpack_from("<4sIQQ", data, 0)
    if magic != b"GGUF" or version < 2:
        raise ValueError(f"{path} is not a GGUF v2+ file")
    pos = 24
    vt = gguf.GGUFValueType

    def take(fmt: str) -> Any:
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def string() -> str:
        nonlocal pos
        size = take("<Q")
        pos += size
        return data[pos - size : pos].decode("utf-8")

    scalar = {
        vt.UINT8: "<B", vt.INT8: "<b", vt.UINT16: "<H", vt.INT16: "<h", vt.UINT32: "<I",
        vt.INT32: "<i", vt.FLOAT32: "<f", vt.BOOL: "<?", vt.UINT64: "<Q", vt.INT64: "<q",
        vt.FLOAT64: "<d",
    }  # fmt: skip
    fields: dict[str, Metadatum] = {}
    for _ in range(n_kv):
        key = string()
        vtype = vt(take("<I"))
        if vtype == vt.STRING:
            fields[key] = Metadatum(vtype, string())
        elif vtype != vt.ARRAY:
            fields[key] = Metadatum(vtype, take(scalar[vtype]))
        else:
            sub, count = take("<IQ")
            sub = vt(sub)
            if sub == vt.STRING:
                items: list[Any] = [string() for _ in range(count)]
            else:
                dtype = np.dtype(scalar[sub])
                items = np.frombuffer(data, dtype, count, pos).tolist()
                pos += dtype.itemsize * count
            fields[key] = Metadatum(vtype, items, sub)
    return n_tensors, fields


def require_vocab(name: str) -> Path:
    """:func:`vocab_path`, or skip the calling test with the reason it is unavailable."""
    import pytest

    try:
        return vocab_path(name)
    except VocabUnavailable as exc:
        pytest.skip(f"vocabulary {name} unavailable: {exc}")
