"""Prompt lookup decoding: decode speed with and without drafts from the context, on the quality
benchmark's tasks, in one run.

    python benchmarks/lookup.py [--model ID|PATH|realsize:NAME] [--tasks 12] [--draft 8]
                                [--max-tokens 48] [--threads N]

For each task (the seen ``test`` split of ``quality.py``), the prompt is the prefix before the hole
(its last ``--prefix-chars`` characters); the engine decodes ``--max-tokens`` tokens greedily,
once plainly and once with ``completion.draftTokens``-style drafts, in alternating order, each
from a cold cache. Printed: decode tokens/s p50 of each, their ratio, the drafted and accepted
tokens, and how many answers came out the same text. With a random-weight model of a real
shape the drafts are rarely right: the figure is then the cost of verifying them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.realsize import resolve_model  # noqa: E402
from benchmarks.replay import percentile  # noqa: E402
from benchmarks.tasks import build_tasks  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="")
    p.add_argument("--tasks", type=int, default=12, help="total, over python/javascript x kinds")
    p.add_argument("--draft", type=int, default=8)
    p.add_argument("--max-tokens", type=int, default=48)
    p.add_argument("--prefix-chars", type=int, default=1500)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args(argv)

    from slm_lsp.engine.base import Cancel, GenerationRequest
    from slm_lsp.engine.local import LocalEngine
    from slm_lsp.models.registry import choose_model

    choice = choose_model(resolve_model(args.model) if args.model else "")
    engine = LocalEngine(str(choice.path), choice.format, n_ctx=2048, n_threads=args.threads,
                         kv_reuse=False)
    engine.load()
    tasks = build_tasks(max(1, args.tasks // 6))
    rates: dict[int, list[float]] = {0: [], args.draft: []}
    drafted = accepted = same = 0
    for i, task in enumerate(tasks):
        prompt = task.prefix[-args.prefix_chars:]
        texts = {}
        for draft in ((0, args.draft) if i % 2 == 0 else (args.draft, 0)):
            gen = engine.generate(GenerationRequest(prompt=prompt, max_tokens=args.max_tokens,
                                                    draft_tokens=draft), Cancel())
            if gen.tokens > 1:
                rates[draft].append(gen.tokens / (gen.decode_ms / 1000))
            texts[draft] = gen.text
            if draft:
                drafted += gen.drafted
                accepted += gen.accepted
        same += texts[0] == texts[args.draft]
        print(f"{task.id}: plain {rates[0][-1] if rates[0] else 0:.1f} tok/s, drafts "
              f"{rates[args.draft][-1] if rates[args.draft] else 0:.1f} tok/s", flush=True)
    engine.close()
    plain, drafts = percentile(rates[0], 50), percentile(rates[args.draft], 50)
    print(f"\nmodel {choice.id} ({choice.path}), {len(tasks)} tasks, {args.max_tokens} tokens, "
          f"drafts of up to {args.draft}")
    print(f"decode tok/s p50: plain {plain:.1f}, with drafts {drafts:.1f} "
          f"({drafts / plain:.2f}x)")
    print(f"draft tokens verified {drafted}, accepted {accepted} "
          f"({100 * accepted / max(drafted, 1):.0f}%); same text {same}/{len(tasks)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
