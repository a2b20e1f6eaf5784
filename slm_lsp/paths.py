"""One rule for the user's paths: what the server may read, and where an edit may write.

A repository the user opens is untrusted input. Every path the server reads (the symbol index,
cross-file snippets, import resolution, an existing test file) or names as an edit's target
("Generate tests") goes through this module:

* only ``file:`` URIs name files; ``untitled:``, ``http:`` and the like name none;
* a workspace root is a real directory that is neither ``/`` nor the home directory itself;
* a path counts as inside the workspace when its *real* path (symlinks resolved) is inside the
  root's real path: a symlink that leaves the workspace is not followed;
* reads take regular files only, checked with ``stat`` before ``open`` and again on the open
  descriptor (opened ``O_NONBLOCK``, so a FIFO swapped in between cannot block), and at most a
  given number of bytes: a FIFO, a device (``/dev/zero``) or a huge file is skipped, never read;
* an edit may write only to an existing regular file inside, or to a new file whose real parent
  directory is inside; never through a dangling symlink, and never to anything else.
"""

from __future__ import annotations

import errno
import os
import stat
from urllib.parse import urlsplit


class PathRefused(ValueError):
    """A path the server must not read or write; the message says why, for the user."""


class Skipped(OSError):
    """A file that was not read; ``reason`` says why (for the log)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def path_of_uri(uri: str) -> str | None:
    """The filesystem path a ``file:`` URI names; None for any other scheme."""
    if not isinstance(uri, str) or urlsplit(uri).scheme.lower() != "file":
        return None
    from pygls.uris import to_fs_path

    path = to_fs_path(uri)
    return path if path and os.path.isabs(path) else None


def workspace_root(path: str | os.PathLike[str] | None) -> str | None:
    """The real path of a workspace folder, or None when it cannot be one.

    ``/`` and the home directory itself are refused: indexing or writing there reaches every
    file the user owns."""
    if not path:
        return None
    real = os.path.realpath(os.fspath(path))
    if not os.path.isdir(real) or real == os.path.dirname(real):
        return None
    home = os.path.expanduser("~")
    if home and home != "~" and os.path.realpath(home) == real:
        return None
    return real


def within(root_real: str, real: str) -> bool:
    """Is the real path ``real`` the root or below it (both already resolved)?"""
    try:
        return os.path.commonpath([root_real, real]) == root_real
    except ValueError:
        return False


def real_inside(root: str, path: str | os.PathLike[str]) -> str | None:
    """The real path of ``path`` when it is inside the real path of ``root``, else None."""
    real = os.path.realpath(os.fspath(path))
    return real if within(os.path.realpath(root), real) else None


def read_bytes(path: str | os.PathLike[str], max_bytes: int, *, root: str | None = None
               ) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; raises ``Skipped`` otherwise.

    With ``root``, the file's real path must be inside the root's real path."""
    path = os.fspath(path)
    real = os.path.realpath(path)
    if root is not None and not within(os.path.realpath(root), real):
        raise Skipped(path, "a symlink to outside the workspace")
    try:
        st = os.stat(real)
    except OSError as exc:
        raise Skipped(path, exc.strerror or "cannot be read") from None
    if not stat.S_ISREG(st.st_mode):
        raise Skipped(path, f"not a regular file ({_kind(st.st_mode)})")
    if st.st_size > max_bytes:
        raise Skipped(path, f"{st.st_size:,} bytes, over the {max_bytes:,}-byte limit")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        reason = "changed into a symlink" if exc.errno == errno.ELOOP else \
            (exc.strerror or "cannot be opened")
        raise Skipped(path, reason) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped between stat and open
            raise Skipped(path, f"not a regular file ({_kind(st.st_mode)})")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise Skipped(path, f"grew over the {max_bytes:,}-byte limit while read")
        return b"".join(chunks)
    except OSError as exc:
        if isinstance(exc, Skipped):
            raise
        raise Skipped(path, exc.strerror or "cannot be read") from None
    finally:
        os.close(fd)


def is_regular_inside(root: str, path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a regular file whose real path is inside ``root`` (no read)."""
    real = real_inside(root, path)
    if real is None:
        return False
    try:
        return stat.S_ISREG(os.stat(real).st_mode)
    except OSError:
        return False


def write_target(root: str, path: str | os.PathLike[str]) -> str:
    """Check that an edit may write ``path``; returns its real path or raises ``PathRefused``.

    An existing file must be a regular file whose real path is inside; a new file must have a
    real parent directory inside (so no symlinked directory leads out), and must not be a
    dangling symlink (creating it would create the link's target)."""
    path = os.path.abspath(os.fspath(path))
    root_real = os.path.realpath(root)
    shown = os.path.relpath(path, root) if within(os.path.abspath(root), path) else path
    if os.path.islink(path) and not os.path.exists(path):
        raise PathRefused(f"{shown} is a symlink to a file that does not exist")
    if os.path.lexists(path):
        real = os.path.realpath(path)
        if not within(root_real, real):
            raise PathRefused(f"{shown} leads outside the workspace (to {real})")
        try:
            mode = os.stat(real).st_mode
        except OSError as exc:
            raise PathRefused(f"{shown} cannot be read: {exc.strerror}") from None
        if not stat.S_ISREG(mode):
            raise PathRefused(f"{shown} is not a regular file ({_kind(mode)})")
        return real
    parent = os.path.dirname(path)
    while not os.path.lexists(parent) and parent != os.path.dirname(parent):
        parent = os.path.dirname(parent)  # directories the edit would create
    real_parent = os.path.realpath(parent)
    if not within(root_real, real_parent):
        raise PathRefused(f"{shown} would be written outside the workspace "
                          f"(its directory leads to {real_parent})")
    if not os.path.isdir(real_parent):
        raise PathRefused(f"{shown} cannot be created: {parent} is not a directory")
    return os.path.join(real_parent, os.path.relpath(path, parent))


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"
