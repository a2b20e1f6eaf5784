"""The path rule on real symlinks, FIFOs and device files in a temporary directory."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from slm_lsp import paths


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (outside / "secret.py").write_text("SECRET = 1\n")
    (ws / "ok.py").write_text("x = 1\n")
    return ws, outside


def test_only_file_uris_name_files():
    assert paths.path_of_uri("file:///tmp/a.py") == "/tmp/a.py"
    for uri in ("untitled:Untitled-1", "http://example.com/a.py", "a.py", "vscode-notebook:/x"):
        assert paths.path_of_uri(uri) is None


def test_the_root_and_home_are_not_workspaces(tmp_path: Path, monkeypatch):
    assert paths.workspace_root("/") is None
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.workspace_root(str(tmp_path)) is None
    (tmp_path / "proj").mkdir()
    assert paths.workspace_root(str(tmp_path / "proj")) == str(tmp_path / "proj")
    assert paths.workspace_root(str(tmp_path / "missing")) is None


def test_a_symlinked_file_leading_out_is_not_read(tree):
    ws, outside = tree
    (ws / "link.py").symlink_to(outside / "secret.py")
    with pytest.raises(paths.Skipped, match="outside the workspace"):
        paths.read_bytes(ws / "link.py", 1 << 20, root=str(ws))
    assert paths.read_bytes(ws / "ok.py", 1 << 20, root=str(ws)) == b"x = 1\n"


def test_devices_fifos_and_huge_files_are_skipped_at_once(tree):
    ws, _ = tree
    (ws / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(ws / "x.py")
    (ws / "big.py").write_bytes(b"#" * 4096)
    results: dict[str, str] = {}

    def read_all() -> None:  # a FIFO opened for reading would block this thread forever
        for name in ("zero.py", "x.py", "big.py"):
            try:
                paths.read_bytes(ws / name, 1024)
            except paths.Skipped as exc:
                results[name] = exc.reason

    worker = threading.Thread(target=read_all, daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive()
    assert "character device" in results["zero.py"]
    assert "FIFO" in results["x.py"]
    assert "limit" in results["big.py"]


def test_write_targets_through_symlinks(tree):
    ws, outside = tree
    (ws / "tests").symlink_to(outside, target_is_directory=True)
    with pytest.raises(paths.PathRefused, match="outside the workspace"):
        paths.write_target(str(ws), ws / "tests" / "test_m.py")  # a new file in a linked dir
    (ws / "t2").mkdir()
    (ws / "t2" / "test_m.py").symlink_to(outside / "secret.py")
    with pytest.raises(paths.PathRefused, match="outside the workspace"):
        paths.write_target(str(ws), ws / "t2" / "test_m.py")  # an existing linked file
    (ws / "t2" / "test_d.py").symlink_to(outside / "created.py")
    with pytest.raises(paths.PathRefused, match="does not exist"):
        paths.write_target(str(ws), ws / "t2" / "test_d.py")  # a dangling link
    os.mkfifo(ws / "t2" / "test_f.py")
    with pytest.raises(paths.PathRefused, match="FIFO"):
        paths.write_target(str(ws), ws / "t2" / "test_f.py")
    # Inside: an existing regular file, a new file, a new file in new directories.
    assert paths.write_target(str(ws), ws / "ok.py") == str(ws / "ok.py")
    assert paths.write_target(str(ws), ws / "new.py") == str(ws / "new.py")
    assert paths.write_target(str(ws), ws / "a" / "b" / "c.py") == str(ws / "a" / "b" / "c.py")
    assert not (outside / "created.py").exists()
    assert (outside / "secret.py").read_text() == "SECRET = 1\n"


def test_a_link_that_stays_inside_is_fine(tree):
    ws, _ = tree
    (ws / "real_tests").mkdir()
    (ws / "tests").symlink_to(ws / "real_tests", target_is_directory=True)
    assert paths.write_target(str(ws), ws / "tests" / "test_m.py") == str(
        ws / "real_tests" / "test_m.py")
