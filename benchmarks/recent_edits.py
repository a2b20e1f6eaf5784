"""Recent places as context: completions after the user has been editing elsewhere, with the
ring of recent chunks on and off, on the same tasks and model.

    python benchmarks/recent_edits.py [--split dev] [--tasks 24] [--model smollm2-135m]
        [--kinds line,block] [--langs python,javascript]

For each task (``tasks.py``), before the hole is completed the user "has been" at the places
that define the names used around the hole (the 12 lines before and after it; the expected
text is not looked at), in the task's own file and the other files of its package, when those
places are outside what the prompt's window shows anyway. The replay opens those files and
edits at each place (a space typed and deleted: the text stays the same, the server sees an
edit there), then opens the task's file and asks for the completion, as in ``quality.py``.
Each setting is one server for the whole run; ``context.recentTokens`` 0 turns the ring off.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from benchmarks import bench_models, quality, tasks  # noqa: E402
from benchmarks.tasks import CORPUS, Task  # noqa: E402

AROUND_LINES = 12
MAX_PLACES = 3
WINDOW_LINES = 40  # places this close to the hole are in the prompt's window already
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_DEFINES = {
    "python": r"^\s*(?:async\s+)?(?:def|class)\s+{name}\b|^\s*{name}\s*=",
    "javascript": r"^\s*(?:async\s+)?function\s*\*?\s*{name}\b|^\s*(?:const|let|var)\s+{name}\b"
                  r"|^\s*{name}\s*\(.*\)\s*\{{\s*$|\b{name}\s*=\s*(?:async\s+)?function\b",
}


def places(task: Task) -> list[tuple[str, str, int | None]]:
    """(path, text, line) of the definitions of names used around the hole, outside the
    window, most recently visited last."""
    pre = task.prefix.split("\n")
    suf = task.suffix.split("\n")
    around = "\n".join(pre[-AROUND_LINES:] + suf[:AROUND_LINES])
    names = list(dict.fromkeys(n for n in _NAME.findall(around) if len(n) > 2))
    package = (CORPUS / task.path).parent
    files = [(task.path, task.holed)] + [
        (str(p.relative_to(CORPUS)), p.read_text(encoding="utf-8"))
        for p in sorted(package.rglob(f"*{tasks.EXTENSIONS[task.language]}"))
        if str(p.relative_to(CORPUS)) != task.path]
    found: list[tuple[str, str, int]] = []
    for name in names:
        pattern = re.compile(_DEFINES[task.language].format(name=re.escape(name)), re.M)
        for path, text in files:
            m = pattern.search(text)
            if m is None:
                continue
            line = text.count("\n", 0, m.start())
            if path == task.path and abs(line - task.line) <= WINDOW_LINES:
                continue
            found.append((path, text, line))
            break
        if len(found) >= MAX_PLACES:
            break
    return list(reversed(found))


async def run(task_list: list[Task], model: str, recent_tokens: int, progress) -> list[dict]:
    from benchmarks.lspclient import LspProcess, inline_params, inline_text

    lsp = LspProcess().start()
    await lsp.initialize_async({"model": bench_models.resolve(model),
                                "context": {"recentTokens": recent_tokens},
                                "completion": {"timeBudgetMs": 20000}})
    out = []
    version = 0
    try:
        for i, task in enumerate(task_list):
            task_uri = f"file:///bench/{task.path}"
            opened: list[str] = []
            replay = places(task)
            if not any(path == task.path for path, _, _ in replay):
                replay.append((task.path, task.holed, None))  # open it last, no edit
            for path, text, line in replay:
                uri = f"file:///bench/{path}"
                if uri not in opened:
                    version += 1
                    lsp.notify("textDocument/didOpen", {"textDocument": {
                        "uri": uri, "languageId": task.language, "version": version,
                        "text": text}})
                    opened.append(uri)
                if line is None:
                    continue
                for new, end in ((" ", 0), ("", 1)):  # type a space, delete it
                    version += 1
                    lsp.notify("textDocument/didChange", {
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [{"range": {
                            "start": {"line": line, "character": 0},
                            "end": {"line": line, "character": end}}, "text": new}]})
            t0 = time.perf_counter()
            reply = await lsp.request_async(
                "textDocument/inlineCompletion",
                inline_params(task_uri, task.line, task.column_utf16), timeout=600)
            ms = (reply.at - t0) * 1000
            for uri in opened:
                lsp.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            out.append({"answer": inline_text(reply.result)[0], "latency_ms": ms})
            progress(f"recent={recent_tokens} {i + 1}/{len(task_list)} {task.id}")
    finally:
        await lsp.stop_async()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--split", default="dev", choices=[*tasks.SEEN_SPLITS, "all"],
                    help="dev (default), test or all (both); never the locked split, "
                    "which is not tuned on")
    ap.add_argument("--tasks", type=int, default=24)
    ap.add_argument("--kinds", default="line,block")
    ap.add_argument("--langs", default=",".join(tasks.LANGUAGES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget", type=int, default=256, help="context.recentTokens when on")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        task_list = tasks.tasks_for(args.tasks, args.kinds, args.langs, split=args.split,
                                    seed=args.seed)
    except ValueError as exc:
        ap.error(str(exc))

    def progress(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    results = {}
    for model in [m for m in args.model.split(",") if m]:
        for name, budget in (("ring off", 0), ("ring on", args.budget)):
            rows = asyncio.run(run(task_list, model, budget, progress))
            for task, row in zip(task_list, rows, strict=True):
                row.update(quality.score(task, row["answer"]))
            results[(model, name)] = rows
    with_places = [i for i, t in enumerate(task_list) if places(t)]
    print(f"recent places as context: {len(task_list)} tasks ({len(with_places)} with places "
          f"to replay), split {args.split}, seed {args.seed}, {time.perf_counter() - t0:.0f}s")
    print(f"{'model':<14}{'ring':<10}{'tasks':<12}{'exact@1':>9}{'edit-sim':>9}{'empty':>7}"
          f"{'syn-brk':>8}{'p50 ms':>8}")
    for (model, name), rows in results.items():
        for label, idx in (("all", range(len(rows))), ("replayed", with_places)):
            s = quality.summarize([rows[i] for i in idx])
            if s:
                print(f"{model:<14}{name:<10}{label:<12}{s['exact']:>9.1%}"
                      f"{s['edit_sim']:>9.3f}{s['empty']:>7.0%}{s['syntax_break']:>8.1%}"
                      f"{s['p50_ms']:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
