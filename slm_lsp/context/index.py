"""The workspace symbol index: definitions of every source file, by name, from tree-sitter.

A background thread scans the workspace once (``start``), skipping vendored, generated and
git-ignored trees, files over ``MAX_FILE_BYTES`` and binary files, and stops after
``maxIndexFiles`` files. Files are read through ``paths.read_bytes``: regular files only (a FIFO
or ``/dev/zero`` behind a source name is skipped, never opened for reading), and never through a
symlink that leaves the workspace; what was skipped and why is logged.

Open buffers override the disk: ``update_document`` keeps a copy of the document's current tree
and text (cheap, on the event loop) and the thread re-extracts it once the document has been
quiet for ``debounce_s``; saved, created and deleted files are re-read or
dropped (``file_saved``, ``remove``). Memory is bounded by the file cap, per-file caps in
``syntax.symbols`` and a total byte cap; past either cap the least recently used files go first
(open buffers last). All state is behind one lock; lookups never touch the disk.
"""

from __future__ import annotations

import logging
import os
import posixpath
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .. import paths
from ..languages import language_for_path, new_parser
from ..syntax.symbols import Definition, FileSymbols, extract
from .ignore import GENERATED, IGNORED_DIRS, GitIgnore

if TYPE_CHECKING:
    from tree_sitter import Tree

    from ..engine.base import Snippet

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 24 * 1024 * 1024
MAX_IGNORE_BYTES = 256 * 1024
LOGGED_SKIPS = 20  # skipped files named one by one in the log; the rest are counted


# -- the index ----------------------------------------------------------------------------------

@attrs.define
class SelectionMemo:
    """What snippet selection (``snippets.py``) remembers between keystrokes about this
    index's files; it lives as long as the index. Each map is emptied when it reaches
    ``LIMIT`` entries."""

    LIMIT = 512

    # (file, languageId, import specifiers, file_set_stamp) -> the indexed files they name
    imports: dict[tuple[str, str, tuple[str, ...], int], frozenset[str]] = attrs.field(
        factory=dict)
    # file -> (the candidate set it was chosen from, the snippets chosen)
    last: dict[str, tuple[tuple, tuple[Snippet, ...]]] = attrs.field(factory=dict)

    def keep_imports(self, key: tuple[str, str, tuple[str, ...], int],
                     files: frozenset[str]) -> None:
        if len(self.imports) >= self.LIMIT:
            self.imports.clear()
        self.imports[key] = files

    def keep_selection(self, rel: str, key: tuple, snippets: tuple[Snippet, ...]) -> None:
        if len(self.last) >= self.LIMIT and rel not in self.last:
            self.last.clear()
        self.last[rel] = (key, snippets)


@attrs.define
class FileEntry:
    """One indexed file."""

    rel: str
    language_id: str
    symbols: FileSymbols
    buffer: bool  # from an open document rather than the disk
    stamp: int  # changes whenever the entry does


class SymbolIndex:
    """Definitions of the workspace under ``root``, looked up by name."""

    def __init__(self, root: str | os.PathLike[str], settings=None, *,
                 max_files: int | None = None, max_bytes: int = MAX_TOTAL_BYTES,
                 debounce_s: float = 0.3):
        ctx = getattr(settings, "context", settings)
        self.root = Path(root).resolve()
        self.max_files = max_files or getattr(ctx, "max_index_files", 5000)
        self.max_bytes = max_bytes
        self.debounce_s = debounce_s
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._files: OrderedDict[str, FileEntry] = OrderedDict()
        self._names: dict[str, dict[str, None]] = {}
        self._bytes = 0
        self._stamp = 0
        self.file_set_stamp = 0  # changes when a file is added or dropped
        self._open: set[str] = set()
        self._pending: dict[str, tuple[float, str, str, Tree | None]] = {}
        self._reread: dict[str, None] = {}
        self._ignores: dict[str, GitIgnore | None] = {}
        self._parsers: dict[str, object] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.scanned = threading.Event()
        self.scan_seconds = 0.0
        self.selection = SelectionMemo()
        self.skipped: dict[str, str] = {}  # rel -> why it was not read (the first few)
        self.skipped_count = 0

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Scan in a background thread, then keep applying document updates."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="slm-lsp-index", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 0.5) -> None:
        """Stop the background thread (promptly: it checks between files)."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def build(self) -> None:
        """Scan in the calling thread (for the command line and tests)."""
        self._scan()
        self.flush()

    def _run(self) -> None:
        try:
            self._scan()
            while not self._stop.is_set():
                with self._wake:
                    delay = self._next_due()
                    if delay is None or delay > 0:
                        self._wake.wait(delay)
                self._process(force=False)
        except Exception:  # noqa: BLE001 - the index is an optimisation, never fatal
            log.exception("the symbol index stopped")

    # -- paths ------------------------------------------------------------------------------
    def relative(self, path_or_uri: str) -> str | None:
        """The workspace-relative '/' path of a file or file URI, None outside the root."""
        path: str | None = path_or_uri
        if "://" in path_or_uri or path_or_uri.startswith(("untitled:", "file:")):
            path = paths.path_of_uri(path_or_uri)
        if not path or not os.path.isabs(path):
            return None  # an untitled buffer, another scheme: not a workspace file
        real = paths.real_inside(str(self.root), path)
        if real is None:
            return None
        rel = Path(real).relative_to(self.root).as_posix()
        return None if rel == "." else rel

    def _skip(self, rel: str, reason: str) -> None:
        """Note a file that was not read (logged; the first few by name)."""
        self.skipped_count += 1
        if len(self.skipped) < LOGGED_SKIPS:
            self.skipped[rel] = reason
            log.info("index: skipped %s: %s", rel, reason)

    def _gitignore(self, dir_rel: str) -> GitIgnore | None:
        if dir_rel not in self._ignores:
            rel = posixpath.join(dir_rel, ".gitignore")
            path = self.root / rel
            rules = None
            if os.path.lexists(path):
                try:
                    data = paths.read_bytes(path, MAX_IGNORE_BYTES, root=str(self.root))
                    rules = GitIgnore(data.decode("utf-8", "replace"))
                except paths.Skipped as exc:
                    self._skip(rel, exc.reason)
            self._ignores[dir_rel] = rules
        return self._ignores[dir_rel]

    def _ignored_here(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` is ignored by name or by the .gitignore files of its parents."""
        name = rel.rsplit("/", 1)[-1]
        if is_dir and name in IGNORED_DIRS:
            return True
        if not is_dir and GENERATED.search(name):
            return True
        verdict = False
        parts = rel.split("/")
        for depth in range(len(parts)):
            rules = self._gitignore("/".join(parts[:depth]))
            if rules is not None:
                found = rules.match("/".join(parts[depth:]), is_dir)
                if found is not None:
                    verdict = found
        return verdict

    def ignored(self, rel: str) -> bool:
        """Whether a file is outside what the index reads (itself or a parent ignored)."""
        parts = rel.split("/")
        return any(self._ignored_here("/".join(parts[:i]), True) for i in range(1, len(parts))
                   ) or self._ignored_here(rel, False)

    # -- reading files ----------------------------------------------------------------------
    def _parse(self, language_id: str, data: bytes) -> Tree | None:
        if language_id not in self._parsers:
            self._parsers[language_id] = new_parser(language_id)
        parser = self._parsers[language_id]
        return parser.parse(data) if parser is not None else None

    def _read(self, rel: str) -> FileSymbols | None:
        language_id = language_for_path(rel)
        if language_id == "plaintext":
            return None
        try:
            data = paths.read_bytes(self.root / rel, MAX_FILE_BYTES, root=str(self.root))
        except paths.Skipped as exc:
            if os.path.lexists(self.root / rel):  # deleted meanwhile: nothing to say
                self._skip(rel, exc.reason)
            return None
        if b"\0" in data[:8192]:
            self._skip(rel, "binary")
            return None
        return extract(self._parse(language_id, data), data, language_id)

    def _scan(self) -> None:
        t0 = time.perf_counter()
        count = 0
        for dirpath, dirnames, filenames in os.walk(self.root):
            if self._stop.is_set():
                return
            base = Path(dirpath).relative_to(self.root).as_posix()
            base = "" if base == "." else base
            dirnames[:] = sorted(d for d in dirnames if not os.path.islink(
                os.path.join(dirpath, d)) and not self._ignored_here(
                posixpath.join(base, d), True) and not os.path.exists(
                os.path.join(dirpath, d, "pyvenv.cfg")))
            for name in sorted(filenames):
                rel = posixpath.join(base, name)
                if language_for_path(name) == "plaintext" or self._ignored_here(rel, False):
                    continue
                with self._lock:
                    known = rel in self._files
                if not known:
                    symbols = self._read(rel)
                    if symbols is not None:
                        self._put(rel, symbols, buffer=False)
                        count += 1
                if count >= self.max_files or self._stop.is_set():
                    break
                self._process(force=False)  # open documents first
            if count >= self.max_files:
                break
        self.scan_seconds = time.perf_counter() - t0
        self.scanned.set()
        skipped = f"; skipped {self.skipped_count} (see above)" if self.skipped_count else ""
        log.info("indexed %d files under %s in %.1fs%s", count, self.root, self.scan_seconds,
                 skipped)

    # -- updates ----------------------------------------------------------------------------
    def update_document(self, doc) -> None:
        """An open document changed: re-extract it from its tree once it is quiet (cheap)."""
        rel = self.relative(doc.uri)
        if rel is None:
            return
        tree = doc.tree.copy() if doc.tree is not None else None
        with self._wake:
            self._open.add(rel)
            self._pending[rel] = (time.monotonic(), doc.language_id, doc.text, tree)
            self._wake.notify()

    def close_document(self, uri: str) -> None:
        """A document was closed: the disk version is what counts again."""
        rel = self.relative(uri)
        if rel is not None:
            with self._wake:
                self._open.discard(rel)
                self._pending.pop(rel, None)
                self._reread[rel] = None
                self._wake.notify()

    def file_saved(self, path_or_uri: str) -> None:
        """A file was saved, created or changed on disk: read it again (unless open)."""
        rel = self.relative(path_or_uri)
        if rel is not None and rel not in self._open:
            with self._wake:
                self._reread[rel] = None
                self._wake.notify()

    def remove(self, path_or_uri: str) -> None:
        """A file was deleted."""
        rel = self.relative(path_or_uri)
        if rel is not None:
            with self._wake:
                self._open.discard(rel)
                self._pending.pop(rel, None)
                self._drop(rel)

    def flush(self) -> None:
        """Apply every pending update now, ignoring the debounce delay."""
        self._process(force=True)

    def _next_due(self) -> float | None:
        if self._reread:
            return 0.0
        if not self._pending:
            return None
        oldest = min(t for t, *_ in self._pending.values())
        return max(0.0, oldest + self.debounce_s - time.monotonic())

    def _process(self, force: bool) -> None:
        now = time.monotonic()
        with self._lock:
            due = [(rel, v) for rel, v in self._pending.items()
                   if force or now - v[0] >= self.debounce_s]
            for rel, _ in due:
                del self._pending[rel]
            rereads = list(self._reread)
            self._reread.clear()
        for rel, (_, language_id, text, tree) in due:
            if tree is None and len(text) > MAX_FILE_BYTES:
                data = b""  # too large to index (each UTF-8 byte is at most one code point)
            else:
                data = text.encode("utf-8", "surrogatepass")
            if tree is None and data and len(data) <= MAX_FILE_BYTES:
                tree = self._parse(language_id, data)
            symbols = extract(tree, data, language_id)
            with self._lock:
                if rel in self._open and rel not in self._pending:
                    self._put(rel, symbols, buffer=True)
        for rel in rereads:
            if rel in self._open or self.ignored(rel):
                continue
            symbols = self._read(rel)
            with self._lock:
                if rel in self._open:
                    continue
                if symbols is None:
                    self._drop(rel)
                else:
                    self._put(rel, symbols, buffer=False)

    # -- storage ----------------------------------------------------------------------------
    def _put(self, rel: str, symbols: FileSymbols, *, buffer: bool) -> None:
        with self._lock:
            if rel not in self._files:
                self.file_set_stamp += 1
            self._drop(rel, keep_stamp=True)
            self._stamp += 1
            self._files[rel] = FileEntry(rel, language_for_path(rel), symbols, buffer,
                                         self._stamp)
            self._bytes += symbols.size
            for d in symbols.definitions:
                self._names.setdefault(d.name, {})[rel] = None
            self._evict()

    def _drop(self, rel: str, keep_stamp: bool = False) -> None:
        entry = self._files.pop(rel, None)
        if entry is None:
            return
        if not keep_stamp:
            self.file_set_stamp += 1
        self._bytes -= entry.symbols.size
        for d in entry.symbols.definitions:
            where = self._names.get(d.name)
            if where is not None:
                where.pop(rel, None)
                if not where:
                    del self._names[d.name]

    def _evict(self) -> None:
        while len(self._files) > self.max_files or self._bytes > self.max_bytes:
            victim = next((r for r, e in self._files.items() if not e.buffer), None)
            if victim is None:
                victim = next(iter(self._files))
            self._drop(victim)
            if not self._files:
                return

    # -- queries ----------------------------------------------------------------------------
    def lookup(self, name: str) -> list[tuple[FileEntry, Definition]]:
        """Every indexed definition called ``name`` (touching their files as recently used)."""
        with self._lock:
            out = []
            for rel in self._names.get(name, ()):
                entry = self._files[rel]
                self._files.move_to_end(rel)
                out.extend((entry, d) for d in entry.symbols.definitions if d.name == name)
            return out

    def entry(self, rel: str) -> FileEntry | None:
        with self._lock:
            return self._files.get(rel)

    def __contains__(self, rel: str) -> bool:
        with self._lock:
            return rel in self._files

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)

    def files(self) -> list[str]:
        with self._lock:
            return list(self._files)

    @property
    def total_bytes(self) -> int:
        return self._bytes
