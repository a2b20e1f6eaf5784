"""What a model next edit costs: the prompt built and the window decoded, at a model's size.

    python benchmarks/nextedit_model.py [--model realsize:sweep-next-edit-1.5b | smollm2-135m
                                         | gemma3-270m | ID | PATH] [--cases 5] [--threads 2]
                                        [--budget-s 120]

The cases are renames of a parameter in real functions of ``slm_lsp/`` (the first ones, in file
order, whose parameter is used at least twice in the ten lines under the ``def``): the user has
renamed it in the signature (one edit, as the edit history merges the letters typed), and in
every other case also at its first use (two edits); the cursor is after the last edit. Each case
runs ``nextedit.model.propose`` as the server does (``slmLsp/nextEdit`` with ``nextEdit.model``
set): the prompt built for the model's format, greedy decoding with prompt lookup, the answer
parsed and filtered; the KV cache is not kept between cases (each is a cold prompt).

A model whose format is Sweep's next-edit format gets Sweep's prompt (``realsize:sweep-next-
edit-1.5b`` is a random-weight model of Qwen2.5-Coder-1.5B's shape around Qwen's vocabulary,
``benchmarks/realsize.py``; its answer is noise, its cost the real size's); the others get the
rewrite prompt (chat for an instruct model). Printed: p50/p95 wall ms per case, the mean prompt
tokens, decoded tokens, CPU seconds (this process: all threads), ms per prompt token and per
decoded token, and how many answers were finished and made a proposal. The time budget is large
by default (``--budget-s``) so the figures are the full cost, not the server's cut-off.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_models import resolve as resolve_bench  # noqa: E402
from benchmarks.realsize import ALIASES, resolve_model  # noqa: E402
from slm_lsp.engine.base import Cancel  # noqa: E402
from slm_lsp.languages import new_parser  # noqa: E402
from slm_lsp.models.registry import choose_model, format_from_name, load_registry  # noqa: E402
from slm_lsp.nextedit import model as nem  # noqa: E402
from slm_lsp.nextedit.edits import Edit  # noqa: E402

SOURCES = ["slm_lsp/completion/postprocess.py",
           "slm_lsp/actions/rewrite.py", "slm_lsp/documents.py"]


def _identifiers(node):
    if node.type == "identifier":
        yield node
    for child in node.children:
        yield from _identifiers(child)


def cases(n: int) -> list[tuple[str, str, list[Edit], int]]:
    """(uri, text after the edits, the edits, cursor) for ``n`` parameter renames."""
    parser = new_parser("python")
    out = []
    for rel in SOURCES:
        text = (ROOT / rel).read_text(encoding="utf-8")
        if not text.isascii():
            continue  # offsets below are bytes = code points
        uri = (ROOT / rel).as_uri()
        tree = parser.parse(text.encode())
        stack = [tree.root_node]
        while stack and len(out) < n:
            node = stack.pop(0)
            stack.extend(node.children)
            if node.type != "function_definition":
                continue
            params = node.child_by_field_name("parameters")
            body = node.child_by_field_name("body")
            row = node.start_point[0]
            for p in params.named_children:
                ident = p if p.type == "identifier" else p.child_by_field_name("name") \
                    if p.type in ("typed_parameter", "typed_default_parameter",
                                  "default_parameter") else None
                if ident is None or ident.type != "identifier":
                    if p.type == "typed_parameter" and p.named_children and \
                            p.named_children[0].type == "identifier":
                        ident = p.named_children[0]
                    else:
                        continue
                name = ident.text.decode()
                if name in ("self", "cls"):
                    continue
                uses = [i for i in _identifiers(body) if i.text.decode() == name
                        and i.start_point[0] <= row + 10]
                if len(uses) < 2:
                    continue
                new = f"{name}_in"
                first = Edit(uri, 2, ident.start_byte, name, new)
                after = first.applied(text)
                edits, cursor = [first], first.end
                if len(out) % 2:  # the first use renamed too
                    at = uses[0].start_byte + len(new) - len(name)
                    second = Edit(uri, 3, at, name, new)
                    after = second.applied(after)
                    edits, cursor = [first, second], second.end
                out.append((uri, after, edits, cursor))
                break
        if len(out) >= n:
            break
    return out


def load_engine(model: str, threads: int):
    """The engine for ``--model``, loaded, and its name."""
    from slm_lsp.engine.local import LocalEngine

    registry = load_registry()
    if model.startswith("realsize:"):
        name = model.split(":", 1)[1]
        path = resolve_model(model)
        spec = registry.models.get(name)
        fmt = registry.formats[spec.format] if spec else (
            format_from_name(name, registry) or format_from_name(Path(path).name, registry)
            or registry.formats["plain"])
        engine = LocalEngine(path, fmt, name=name, n_ctx=4096, n_threads=threads)
        label = f"{model} ({'alias of ' + ALIASES[name] if name in ALIASES else 'shape'})"
    else:
        choice = choose_model(resolve_bench(model))
        engine = LocalEngine(str(choice.path), choice.format, name=choice.id, n_ctx=4096,
                             n_threads=threads, detect_format=choice.detect)
        label = model
    engine.load()
    return engine, label


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="realsize:sweep-next-edit-1.5b")
    p.add_argument("--cases", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--budget-s", type=float, default=120.0)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    engine, label = load_engine(args.model, args.threads)
    load_s = time.perf_counter() - t0
    kind = "sweep" if nem.is_sweep(engine) else ("chat" if engine.chat_template() else "plain")
    print(f"model {label}: format {engine.fmt.name}, prompt {kind}, loaded in {load_s:.1f} s, "
          f"{args.threads} threads, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for uri, text, edits, cursor in cases(args.cases):
        cpu0, w0 = time.process_time(), time.perf_counter()
        attempt = nem.propose(engine, uri, edits[-1].version, "python", text, edits, cursor,
                              Cancel(), keep_cache=False, prompt_budget_s=args.budget_s,
                              decode_budget_s=args.budget_s)
        wall = (time.perf_counter() - w0) * 1000
        cpu = time.process_time() - cpu0
        rows.append((wall, cpu, attempt))
        got = attempt.proposal
        print(f"  {Path(uri).name}:{text.count(chr(10), 0, cursor) + 1} "
              f"{len(edits)} edit(s): {wall:7.0f} ms, cpu {cpu:5.1f} s, prompt "
              f"{attempt.prompt_tokens} tok ({attempt.prompt_ms:.0f} ms), decoded "
              f"{attempt.decoded_tokens} tok ({attempt.decode_ms:.0f} ms), "
              f"{'finished' if attempt.answer is not None else 'not finished'}, "
              f"{'proposal ' + got.label if got else 'no proposal'}", flush=True)
    engine.close()
    if not rows:
        print("no cases")
        return 1
    walls = [r[0] for r in rows]
    prompt_tok = [r[2].prompt_tokens for r in rows]
    dec_tok = [r[2].decoded_tokens for r in rows]
    per_prompt = sum(r[2].prompt_ms for r in rows) / max(1, sum(prompt_tok))
    per_dec = sum(r[2].decode_ms for r in rows) / max(1, sum(dec_tok))
    cpu = statistics.mean(r[1] for r in rows)
    print(f"{label}: {len(rows)} cases: p50 {pct(walls, 0.5):.0f} ms, p95 {pct(walls, 0.95):.0f}"
          f" ms; prompt {statistics.mean(prompt_tok):.0f} tok, decoded "
          f"{statistics.mean(dec_tok):.0f} tok (means); CPU {cpu:.1f} s per case; "
          f"{per_prompt:.1f} ms per prompt token, {per_dec:.1f} ms per decoded "
          f"token; finished {sum(r[2].answer is not None for r in rows)}, proposals "
          f"{sum(r[2].proposal is not None for r in rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
