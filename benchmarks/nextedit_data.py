"""The next-edit benchmark's frozen data: ``data/nextedit/<split>.jsonl.gz`` and their lock.

Two splits, by repository: ``dev`` (six repositories; the server's next edits may be developed
against it and its answers read) and ``test`` (four other repositories, held out: no rule of the
server is tuned on it and its answers are not read to find one; only its figures are quoted).
``all`` is both.

The lock, ``sequences.sha256``, is ``sha256sum`` output for the data files (``cd
benchmarks/data/nextedit && sha256sum -c sequences.sha256``); ``load`` refuses data that does
not match it, and ``tests/harness/test_nextedit_bench.py`` pins the lock's own digest, so the
sequences change only with a reviewed lock (and figures before and after are not comparable).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "nextedit"
SPLITS = ("dev", "test")
LOCK = "sequences.sha256"


def file_name(split: str) -> str:
    return f"{split}.jsonl.gz"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_lock(folder: Path = DATA) -> None:
    lines = [f"{digest(folder / file_name(s))}  {file_name(s)}\n" for s in SPLITS
             if (folder / file_name(s)).is_file()]
    (folder / LOCK).write_text("".join(lines), encoding="utf-8")


def check(folder: Path = DATA) -> str:
    """Empty when every split's data matches the lock, else what is wrong."""
    lock = folder / LOCK
    if not lock.is_file():
        return f"missing: {lock}"
    want = dict(reversed(line.split("  ", 1)) for line in
                lock.read_text(encoding="utf-8").splitlines() if line.strip())
    problems = []
    for split in SPLITS:
        name = file_name(split)
        path = folder / name
        if name not in want:
            problems.append(f"not in the lock: {name}")
        elif not path.is_file():
            problems.append(f"missing: {name}")
        elif digest(path) != want[name]:
            problems.append(f"{name} is {digest(path)}, the lock says {want[name]}")
    return "; ".join(problems)


def load(split: str = "test", folder: Path = DATA) -> list[dict]:
    """The sequences of a split (``dev``, ``test`` or ``all``), in their frozen order, each
    with its ``split``; raises ValueError when the data is not the locked one."""
    problem = check(folder)
    if problem:
        raise ValueError(problem)
    out = []
    for name in (SPLITS if split == "all" else (split,)):
        with gzip.open(folder / file_name(name), "rt", encoding="utf-8") as fh:
            out.extend(dict(json.loads(line), split=name) for line in fh if line.strip())
    return out
