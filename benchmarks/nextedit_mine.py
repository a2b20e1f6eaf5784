"""Mine the next-edit benchmark's sequences from the history of public repositories.

    python benchmarks/nextedit_mine.py --split dev|test [--mirrors /work/.mirror] [--commits 700]

Needs the repositories' git directories (``<mirrors>/<owner>+<name>/repo``, bare clones or the
``fetch`` tool's snapshots); the replay (``nextedit.py``) needs only what this writes:
``benchmarks/data/nextedit/<split>.jsonl.gz`` (one sequence a line: repo, commit, license,
path, language, the file before the commit, its ``git diff -U0`` hunks in order, their labels)
and ``sequences.sha256`` (the lock, see ``nextedit_data.py``).

Per repository, the newest ``--commits`` non-merge commits that touch a source file are read;
per commit, each changed source file whose file before has at most 3,000 lines and whose diff
has 1 to 15 hunks is one candidate sequence, labeled by ``nextedit_labels.label`` (a token
diff, no parser). Kept: every sequence with a signature follow-up, sequences with a rename
follow-up up to ``--max-follow`` of them per repository, then sequences of small files (at
most 600 lines) with a *last* or *implies nothing* edit, in a fixed pseudo-random order, until
``--nothing`` such edits are in.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import nextedit_labels as nl  # noqa: E402
from benchmarks.nextedit_data import DATA, write_lock  # noqa: E402

# per split: owner/name, licence (SPDX, as its LICENSE file reads), languages mined
REPOS = {
    "dev": [
        ("pallets/click", "BSD-3-Clause", ("python",)),
        ("encode/httpx", "BSD-3-Clause", ("python",)),
        ("more-itertools/more-itertools", "MIT", ("python",)),
        ("pytest-dev/pluggy", "MIT", ("python",)),
        ("sindresorhus/ky", "MIT", ("typescript", "javascript")),
        ("spf13/cobra", "Apache-2.0", ("go",)),
    ],
    "test": [
        ("marshmallow-code/marshmallow", "MIT", ("python",)),
        ("jazzband/pip-tools", "BSD-3-Clause", ("python",)),
        ("axios/axios", "MIT", ("javascript", "typescript")),
        ("urfave/cli", "MIT", ("go",)),
    ],
}
EXTENSIONS = {".py": "python", ".js": "javascript", ".mjs": "javascript", ".ts": "typescript",
              ".go": "go"}
MAX_LINES = 3000
MAX_HUNKS = 15
SMALL_LINES = 600


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True,
                          check=True).stdout.decode("utf-8", "replace")


def language_of(path: str) -> str | None:
    return EXTENSIONS.get(Path(path).suffix)


def candidates(repo_dir: Path, name: str, licence: str, languages: tuple[str, ...],
               commits: int):
    globs = [f"*{ext}" for ext, lang in EXTENSIONS.items() if lang in languages]
    log = git(repo_dir, "log", "--no-merges", "--format=%H %P", f"-n{commits}", "HEAD", "--",
              *globs)
    for row in log.splitlines():
        parts = row.split()
        if len(parts) != 2:
            continue  # a root commit
        sha, parent = parts
        files = git(repo_dir, "diff-tree", "-r", "--no-commit-id", "--name-only", "--no-renames",
                    parent, sha).split("\n")
        sources = [f for f in files if f and language_of(f) in languages]
        if not sources:
            continue
        single = len([f for f in files if f and language_of(f)]) == 1
        diff = git(repo_dir, "diff", "-U0", "--no-renames", "--no-color", "--no-ext-diff",
                   parent, sha, "--", *sources)
        for path, hunks in nl.parse_diff(diff).items():
            if not 1 <= len(hunks) <= MAX_HUNKS or path not in sources:
                continue
            try:
                before = git(repo_dir, "show", f"{parent}:{path}")
            except subprocess.CalledProcessError:
                continue  # a new file
            if before.count("\n") > MAX_LINES or "\r" in before:
                continue
            language = language_of(path)
            try:
                order = nl.user_order(before, hunks, language)
                labels = nl.label(before, hunks, language, single, order)
            except ValueError:
                continue
            yield {"repo": name, "commit": sha, "license": licence, "path": path,
                   "language": language, "single_file": single, "before": before,
                   "hunks": [h.to_json() for h in hunks], "order": order,
                   "labels": [lab.to_json() for lab in labels]}


def counts(seq: dict) -> tuple[int, int]:
    follow = sum(1 for lab in seq["labels"] if lab["follows"])
    nothing = sum(1 for lab in seq["labels"] if lab["after"])
    return follow, nothing


def _order(seq: dict) -> str:
    return hashlib.sha256(f"{seq['commit']}:{seq['path']}".encode()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--commits", type=int, default=700, help="per repository")
    ap.add_argument("--max-follow", type=int, default=25,
                    help="sequences with follow-ups kept per repository")
    ap.add_argument("--nothing", type=int, default=300,
                    help="nothing-follows edits to keep (beside those in follow-up sequences)")
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--split", choices=sorted(REPOS), required=True)
    args = ap.parse_args()
    follow_seqs, quiet_seqs = [], []
    for name, licence, languages in REPOS[args.split]:
        repo_dir = args.mirrors / name.replace("/", "+") / "repo"
        kept = 0
        scanned = 0
        for seq in candidates(repo_dir, name, licence, languages, args.commits):
            scanned += 1
            follow, nothing = counts(seq)
            signature = any(lab["follows"] == "signature" for lab in seq["labels"])
            if signature or (follow and kept < args.max_follow):
                follow_seqs.append(seq)
                kept += 1
            elif nothing and seq["before"].count("\n") <= SMALL_LINES:
                quiet_seqs.append(seq)
        print(f"{name}: {scanned} candidate sequences, {kept} with follow-ups", file=sys.stderr)
    chosen = list(follow_seqs)
    have = sum(counts(s)[1] for s in chosen)
    for seq in sorted(quiet_seqs, key=_order):
        if have >= args.nothing:
            break
        chosen.append(seq)
        have += counts(seq)[1]
    chosen.sort(key=lambda s: (s["repo"], _order(s)))
    args.out.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(s, sort_keys=True) + "\n" for s in chosen).encode()
    data = gzip.compress(body, compresslevel=9, mtime=0)
    (args.out / f"{args.split}.jsonl.gz").write_bytes(data)
    write_lock(args.out)
    f = sum(counts(s)[0] for s in chosen)
    print(f"{len(chosen)} sequences, {f} follow-up hunks, {have} nothing-follows edits, "
          f"{len(data) / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
