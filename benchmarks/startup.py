"""Time to the ``initialize`` answer: ``python -m slm_lsp`` against a minimal pygls server.

    python benchmarks/startup.py [--runs 10]

Both servers are spawned the same way (a fresh interpreter on pipes) and timed from spawn to the
``initialize`` response, runs interleaved so that load on the machine hits both alike. Then one
``python -X importtime -m slm_lsp`` run lists what is imported before ``initialize`` is answered
(the process is killed as soon as the answer arrives), heaviest first, each with the chain of
``slm_lsp`` modules that pulled it in: the candidates for lazy imports.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.lspclient import LspProcess, server_command  # noqa: E402
from benchmarks.replay import percentile  # noqa: E402

MINIMAL = '''
from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("minimal", "0.1.0")


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
def inline(ls, params):
    return types.InlineCompletionList(items=[])


server.start_io()
'''

IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


async def time_to_initialize(command: list[str], env: dict | None = None,
                             stderr_path: Path | None = None) -> float:
    """Seconds from spawning ``command`` to its ``initialize`` response; then kills it."""
    server = LspProcess(command, env=env, stderr_path=stderr_path)
    t0 = time.perf_counter()
    server.start()
    try:
        reply = await server.request_async("initialize", {
            "processId": os.getpid(), "rootUri": None, "capabilities": {}}, timeout=120)
        if reply.error:
            raise RuntimeError(f"initialize failed: {reply.error}")
        return reply.at - t0
    finally:
        server.kill()
        await asyncio.sleep(0.05)  # let the stderr reader take the last lines


def parse_importtime(text: str) -> list[tuple[int, int, str, str | None]]:
    """(cumulative us, depth, module, parent) for each ``-X importtime`` line, in order.

    The lines come children first, so a module's parent is the next line with a smaller depth.
    """
    rows = []
    for line in text.splitlines():
        m = IMPORT_LINE.match(line)
        if m:
            rows.append((int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    out = []
    for i, (cum, depth, name) in enumerate(rows):
        parent = next((n for _, d, n in rows[i + 1:] if d < depth), None)
        out.append((cum, depth, name, parent))
    return out


def own_self_times(text: str, own: str = "slm_lsp", top: int = 8) -> list[tuple[float, str]]:
    """Our own modules by their self import time (ms), heaviest first."""
    rows = [(int(m.group(1)) / 1000, m.group(4)) for m in map(IMPORT_LINE.match,
                                                             text.splitlines())
            if m and m.group(4).split(".")[0] == own]
    return sorted(rows, reverse=True)[:top]


def heavy_imports(rows: list[tuple[int, int, str, str | None]], top: int = 12,
                  own: str = "slm_lsp", exclude: frozenset[str] = frozenset()
                  ) -> list[tuple[float, str, str]]:
    """The heaviest packages that are not ``own`` nor in ``exclude`` (ms, name, import chain
    from our modules)."""
    parents = {name: parent for _, _, name, parent in rows}
    best: dict[str, tuple[int, str]] = {}
    for cum, _, name, _ in rows:
        root = name.split(".")[0]
        if root == own or name in exclude or root.startswith("_") or root == "encodings":
            continue
        if cum > best.get(root, (0, ""))[0]:
            best[root] = (cum, name)
    out = []
    for cum, name in sorted(best.values(), reverse=True)[:top]:
        chain, node, seen = [], parents.get(name), set()
        while node and node not in seen:
            seen.add(node)
            if node.split(".")[0] == own:
                chain.append(node)
            node = parents.get(node)
        out.append((cum / 1000, name, " <- ".join(chain) or "(interpreter / -m runner)"))
    return out


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_server.py"
        minimal.write_text(MINIMAL, encoding="utf-8")
        commands = {"slm_lsp": server_command(), "minimal pygls": [sys.executable, str(minimal)]}
        times: dict[str, list[float]] = {k: [] for k in commands}
        for i in range(args.runs):
            order = list(commands) if i % 2 == 0 else list(reversed(commands))
            for name in order:
                times[name].append(await time_to_initialize(commands[name]))
        print(f"spawn -> initialize response, {args.runs} runs each, interleaved")
        for name, xs in times.items():
            print(f"  {name:14} p50 {1000 * percentile(xs, 50):6.0f} ms   "
                  f"p95 {1000 * percentile(xs, 95):6.0f} ms")
        ratio = percentile(times["slm_lsp"], 50) / percentile(times["minimal pygls"], 50)
        print(f"  ratio slm_lsp / minimal (p50): {ratio:.2f}x")

        traces = {}
        for name, command in commands.items():
            log = Path(tmp) / f"importtime-{len(traces)}.log"
            await time_to_initialize([command[0], "-X", "importtime", *command[1:]],
                                     stderr_path=log)
            raw = log.read_text(encoding="utf-8", errors="replace")
            traces[name] = parse_importtime(raw)
            if name == "slm_lsp":
                own = own_self_times(raw)
        rows = traces["slm_lsp"]
        baseline = frozenset(name for _, _, name, _ in traces["minimal pygls"])
        total = sum(cum for cum, depth, _, _ in rows if depth == 0) / 1000
        base_total = sum(c for c, d, _, _ in traces["minimal pygls"] if d == 0) / 1000
        ours = sorted({name for _, _, name, _ in rows if name.startswith("slm_lsp")})
        print(f"\nimported before the initialize answer: {len(rows)} modules, "
              f"{total:.0f} ms of top-level import time (one run, -X importtime; minimal "
              f"pygls: {base_total:.0f} ms)")
        print("slm_lsp's own modules by self time (ms): "
              + ", ".join(f"{name} {ms:.1f}" for ms, name in own))
        print(f"slm_lsp modules: {', '.join(ours)}")
        print(f"minimal pygls imports {len(baseline)} modules; heaviest modules only slm_lsp "
              "imports (cumulative ms, module, pulled in by):")
        for ms, name, chain in heavy_imports(rows, args.top, exclude=baseline):
            print(f"  {ms:7.1f}  {name:28} {chain}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--top", type=int, default=15)
    return asyncio.run(run(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
