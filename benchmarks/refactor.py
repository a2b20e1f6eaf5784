"""Extract function / extract variable over real code: what the tree decides, and whether the
edits it makes still compile.

For every file of the corpus (``benchmarks/corpus`` but its locked split, and
``benchmarks/corpus_typing``; Python and JavaScript) it takes selections as a user makes them:
runs of one to three statements in a function or module body, and whole expressions (calls,
operators, attribute access), sampled with a fixed seed. For each it times the listing
(``refactor.offers``: the tree only, as ``textDocument/codeAction`` runs it), then computes each
offered action without a model (the name is the fallback; the model only names), and checks the
edited file: Python with ``compile()``, JavaScript with ``node --check``. It prints, per
language and action, how many were offered, refused with a reason, turned into an edit, and how
many edits failed the check, and the listing time's median, p95 and maximum.

    python benchmarks/refactor.py [--per-file 40] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slm_lsp.actions import extract_edits, refactor  # noqa: E402
from slm_lsp.actions.drafter import Drafter  # noqa: E402
from slm_lsp.engine.base import Cancel  # noqa: E402
from slm_lsp.languages import new_parser  # noqa: E402

LANGUAGES = {".py": "python", ".js": "javascript"}
BLOCKS = {"block", "statement_block", "module", "program"}
EXPRESSIONS = {"call", "binary_operator", "attribute", "call_expression", "binary_expression",
               "member_expression"}


def selections(tree, rng: random.Random, per_file: int) -> list[tuple[int, int]]:
    runs, exprs = [], []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type in BLOCKS:
            kids = [k for k in node.named_children if "comment" not in k.type]
            for i in range(len(kids)):
                for n in (1, 2, 3):
                    if i + n <= len(kids):
                        runs.append((kids[i].start_byte, kids[i + n - 1].end_byte))
        elif node.type in EXPRESSIONS:
            exprs.append((node.start_byte, node.end_byte))
    rng.shuffle(runs)
    rng.shuffle(exprs)
    return runs[:per_file] + exprs[:per_file // 2]


def check(after: str, language_id: str) -> bool:
    if language_id == "python":
        try:
            compile(after, "after", "exec")
            return True
        except SyntaxError:
            return False
    if shutil.which("node") is None:
        return True
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as fh:
        fh.write(after)
    try:
        return subprocess.run(["node", "--check", fh.name], capture_output=True,
                              timeout=60).returncode == 0
    finally:
        Path(fh.name).unlink()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-file", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    drafter = Drafter(None, None, Cancel())
    counts: Counter = Counter()
    listing: dict[str, list[float]] = {}
    failures: list[str] = []
    # The quality benchmark's locked split is read by quality.py alone.
    files = sorted(p for d in ("corpus", "corpus_typing") for p in (ROOT / "benchmarks" / d)
                   .rglob("*") if p.suffix in LANGUAGES and "locked" not in p.parts)
    for path in files:
        lang = LANGUAGES[path.suffix]
        text = path.read_text(encoding="utf-8")
        data = text.encode("utf-8")
        tree = new_parser(lang).parse(data)
        for a, b in selections(tree, rng, args.per_file):
            t0 = time.perf_counter()
            offered = refactor.offers(tree, data, a, b, lang)
            listing.setdefault(lang, []).append((time.perf_counter() - t0) * 1000)
            ca, cb = len(data[:a].decode()), len(data[:b].decode())
            for kind, reason in offered:
                counts[(lang, kind, "offered")] += 1
                if reason:
                    counts[(lang, kind, "disabled")] += 1
                    continue
                out = extract_edits.compute_extract(text, lang, ca, cb, kind, drafter)
                if not out.changes:
                    counts[(lang, kind, "refused at resolve")] += 1
                    continue
                counts[(lang, kind, "edits")] += 1
                after = text
                for c in sorted(out.changes, key=lambda c: c.start, reverse=True):
                    after = after[:c.start] + c.text + after[c.end:]
                if not check(after, lang):
                    counts[(lang, kind, "edits failing the check")] += 1
                    failures.append(f"{path.relative_to(ROOT)} {text[ca:cb][:60]!r}")
    print(f"refactor benchmark: {len(files)} files, seed {args.seed}, "
          f"{args.per_file} statement runs + {args.per_file // 2} expressions per file")
    print(f"{'language':<11} {'action':<17} {'offered':>8} {'disabled':>9} {'edits':>6} "
          f"{'refused at resolve':>19} {'failing check':>14}")
    for lang in sorted({k[0] for k in counts}):
        for kind in ("extract_function", "extract_variable"):
            c = {s: counts[(lang, kind, s)] for s in ("offered", "disabled", "edits",
                                                       "refused at resolve",
                                                       "edits failing the check")}
            print(f"{lang:<11} {kind:<17} {c['offered']:>8} {c['disabled']:>9} "
                  f"{c['edits']:>6} {c['refused at resolve']:>19} "
                  f"{c['edits failing the check']:>14}")
    for lang, times in sorted(listing.items()):
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"listing ({lang}, {len(times)} selections): median "
              f"{statistics.median(times):.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms")
    for line in failures[:20]:
        print("failing:", line)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
