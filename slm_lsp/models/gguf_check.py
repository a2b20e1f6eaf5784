"""Check a GGUF model file before it is trusted: present, GGUF, complete, the expected bytes.

A minimal reader of the GGUF layout (header, metadata, tensor infos) written with plain
``struct`` reads over an ``mmap``, so the server needs neither the ``gguf`` package nor a model
load to tell a truncated download from a good file. The layout (versions 2 and 3, little-endian):

    magic "GGUF" | u32 version | u64 tensor_count | u64 kv_count
    kv_count x  (string key, u32 value_type, value)
    tensor_count x  (string name, u32 n_dims, n_dims x u64 dim, u32 ggml_type, u64 offset)
    padding to general.alignment (default 32) | tensor data

A file is complete when it reaches the end of the tensor that ends last. Its SHA-256, when
one is expected, comes from ``models.digests`` (remembered across runs).
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from slm_lsp.errors import ModelLoadError
from slm_lsp.models.digests import file_sha256

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# ggml tensor types: (elements per block, bytes per block), as in ggml's type traits.
GGML_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 40), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
    21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4),
    27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66),
    39: (32, 17),
}

# GGUF metadata value types: struct format of the scalar ones; 8 is a string, 9 an array.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
            12: "d"}
_STRING, _ARRAY = 8, 9


class GGUFCheckError(ModelLoadError):
    """A model file failed a check; the message says what is wrong and what to do."""

    def __init__(self, path: Path | str, message: str):
        super().__init__(message)
        self.path = Path(path)


class ModelFileMissing(GGUFCheckError):
    """There is no file at the path."""


class NotGGUF(GGUFCheckError):
    """The file is not a GGUF model (wrong magic or an unsupported version)."""


class TruncatedGGUF(GGUFCheckError):
    """The file ends before its header or its tensor data does."""


class SizeMismatch(GGUFCheckError):
    """The file is not the size the models list expects."""


class ChecksumMismatch(GGUFCheckError):
    """The file's SHA-256 is not the one the models list expects."""


class _EOF(Exception):
    pass


@attrs.frozen
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int  # relative to the start of the data section

    def nbytes(self) -> int | None:
        """Bytes of data, or None for a tensor type this reader does not know."""
        block = GGML_BLOCKS.get(self.ggml_type)
        if block is None:
            return None
        count = 1
        for dim in self.shape:
            count *= dim
        return count // block[0] * block[1]


@attrs.frozen
class GGUFHeader:
    """What the header says about a file."""

    version: int
    metadata: dict[str, Any]
    tensors: tuple[TensorInfo, ...]
    data_start: int
    alignment: int

    @property
    def required_size(self) -> int:
        """The smallest file size that holds every tensor's data (a file without tensors, such
        as a vocabulary-only GGUF, needs no data section and no padding before it)."""
        if not self.tensors:
            return 0
        end = self.data_start
        for tensor in self.tensors:
            size = tensor.nbytes()
            end = max(end, self.data_start + tensor.offset + (size or 0))
        return end


class _Reader:
    """Little-endian reads over a buffer, each bounds-checked."""

    def __init__(self, buf: Any, size: int):
        self.buf, self.size, self.pos = buf, size, 0

    def unpack(self, fmt: str) -> Any:
        width = struct.calcsize("<" + fmt)
        if self.pos + width > self.size:
            raise _EOF
        (value,) = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += width
        return value

    def string(self) -> str:
        length = self.unpack("Q")
        if self.pos + length > self.size:
            raise _EOF
        raw = self.buf[self.pos:self.pos + length]
        self.pos += length
        return bytes(raw).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.unpack("Q")
        self.pos += length
        if self.pos > self.size:
            raise _EOF

    def value(self, vtype: int, keep_array: bool) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype != _ARRAY:
            raise ValueError(f"unknown metadata value type {vtype}")
        item_type, count = self.unpack("I"), self.unpack("Q")
        if keep_array:
            return [self.value(item_type, True) for _ in range(count)]
        # Skip: fixed-size items in one jump, strings one length at a time.
        if item_type in _SCALARS:
            self.pos += count * struct.calcsize("<" + _SCALARS[item_type])
            if self.pos > self.size:
                raise _EOF
        elif item_type == _STRING:
            for _ in range(count):
                self.skip_string()
        else:
            for _ in range(count):
                self.value(item_type, False)
        return ArrayInfo(item_type, count)


@attrs.frozen
class ArrayInfo:
    """An array value that was not read: its item type and length."""

    item_type: int
    count: int


def read_header(path: str | os.PathLike[str], keep_arrays: Iterable[str] = ()) -> GGUFHeader:
    """Parse the header, metadata and tensor infos of a GGUF file.

    Arrays are skipped (an ``ArrayInfo`` stands in) unless their key is in ``keep_arrays``.
    Raises ``ModelFileMissing``, ``NotGGUF`` or ``TruncatedGGUF``.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileMissing(path, f"model file not found: {path}")
    keep = frozenset(keep_arrays)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        magic = fh.read(4)
        if magic != MAGIC:
            raise NotGGUF(path, f"{path} is not a GGUF model file (it does not start with 'GGUF')")
        if size < 24:
            raise TruncatedGGUF(path, f"{path} is truncated: {size} bytes, not even a header")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _parse(path, buf, size, keep)


def _parse(path: Path, buf: Any, size: int, keep: frozenset[str]) -> GGUFHeader:
    reader = _Reader(buf, size)
    reader.pos = 4
    version = reader.unpack("I")
    if version not in (2, 3):
        raise NotGGUF(path, f"{path} is GGUF version {version}; llama.cpp reads versions 2 and 3")
    try:
        n_tensors, n_kv = reader.unpack("Q"), reader.unpack("Q")
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = reader.string()
            vtype = reader.unpack("I")
            metadata[key] = reader.value(vtype, key in keep)
        tensors = []
        for _ in range(n_tensors):
            name = reader.string()
            n_dims = reader.unpack("I")
            if n_dims > 8:
                raise NotGGUF(path, f"{path} has a corrupt tensor table ({name}: {n_dims} dims)")
            shape = tuple(reader.unpack("Q") for _ in range(n_dims))
            tensors.append(TensorInfo(name, shape, reader.unpack("I"), reader.unpack("Q")))
    except _EOF:
        raise TruncatedGGUF(
            path, f"{path} is truncated: its header runs past the end of the file ({size} bytes); "
            "download it again"
        ) from None
    except ValueError as exc:
        raise NotGGUF(path, f"{path} has a corrupt GGUF header: {exc}") from None
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0:
        alignment = DEFAULT_ALIGNMENT
    data_start = -(-reader.pos // alignment) * alignment
    return GGUFHeader(version, metadata, tuple(tensors), data_start, alignment)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The scalar metadata of a GGUF file (strings, numbers, booleans; arrays left out).

    E.g. ``general.architecture``, ``general.name``, ``<arch>.context_length`` and the
    ``tokenizer.ggml.*_token_id`` ids.
    """
    header = read_header(path)
    return {k: v for k, v in header.metadata.items() if not isinstance(v, ArrayInfo)}


def context_length(metadata: dict[str, Any]) -> int:
    """The training context length the metadata gives, or 0."""
    arch = metadata.get("general.architecture", "")
    value = metadata.get(f"{arch}.context_length", 0)
    return int(value) if isinstance(value, int) else 0


def check_gguf(
    path: str | os.PathLike[str], expected_size: int = 0, expected_sha256: str = ""
) -> None:
    """Raise a ``GGUFCheckError`` unless ``path`` is a complete GGUF file with the given size
    and SHA-256 (each checked only when given)."""
    path = Path(path)
    header = read_header(path)
    actual = path.stat().st_size
    needed = header.required_size
    if actual < needed:
        raise TruncatedGGUF(
            path, f"{path} is truncated: {actual:,} bytes, but its tensors need {needed:,}; "
            "download it again"
        )
    if expected_size and actual != expected_size:
        raise SizeMismatch(
            path, f"{path} is {actual:,} bytes, expected {expected_size:,}: not the file the "
            "models list names; download it again"
        )
    if expected_sha256:
        digest = file_sha256(path)
        if digest != expected_sha256.lower():
            raise ChecksumMismatch(
                path, f"{path} has SHA-256 {digest}, expected {expected_sha256.lower()}: the file "
                "is corrupt or not the one the models list names; download it again"
            )
