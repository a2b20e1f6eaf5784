"""Next-edit replay: real commits made again, hunk by hunk, asking the server what follows.

    python benchmarks/nextedit.py [--split test|dev|all] [--limit N] [--settings JSON]
                                  [--model ID|PATH]
                                  [--type-first] [--json OUT] [--server-log FILE]

The sequences are the frozen ones of ``data/nextedit/`` (by default the held-out ``test``
split; ``nextedit_data.py``; ``nextedit_mine.py`` made them from
the history of public repositories; ``nextedit_labels.py`` labeled them with a token diff, not
with the server's code nor a syntax tree). One server for the run, over stdio; per sequence it
opens the file before the commit under a fresh URI of a temporary workspace, makes the hunks in
the user's order, one ``didChange`` a hunk (its smallest character change, as an incremental
range; with ``--type-first`` the first hunk is typed a character at a time after its old text
is deleted, as a user types a new name), and after each hunk sends ``slmLsp/nextEdit`` at the
end of what the hunk wrote. Then ``didClose``.

Scored (see ``nextedit_labels``):

- after a hunk whose next hunk is a **rename** or **signature** follow-up: *place right* (the
  proposal's range lies within the next hunk's lines in the current text), *text right* (making
  the proposal makes that hunk, or a part of it: its token edits are among the hunk's), and
  *any remaining* (the range lies within the lines of any hunk still to come);
- after a **last** or an **implies nothing** edit: *quiet* (the answer is null);
- over every proposal: *reversals*, proposals that undo the hunk just made (wholly, or bring its
  lines closer to what they were);
- the request's client wall time (p50/p95) and the server's CPU seconds while it was in flight.

A server without ``slmLsp/nextEdit`` answers MethodNotFound: it counts as quiet, and the run
says so loudly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_models, nextedit_data  # noqa: E402
from benchmarks import nextedit_labels as nl  # noqa: E402
from benchmarks.lspclient import LspProcess  # noqa: E402
from benchmarks.replay import load_average, percentile  # noqa: E402

METHOD = "slmLsp/nextEdit"
METHOD_NOT_FOUND = -32601
TARGETS = {"place": 0.5, "quiet": 0.95, "reversals": 0.02}
LANGUAGE_IDS = {"python": "python", "javascript": "javascript", "typescript": "typescript",
                "go": "go"}


def deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k),
                                                                               dict) else v
    return out


def proposal_span(result: object, text: str) -> tuple[int, int, str] | None:
    """A ``slmLsp/nextEdit`` result as character offsets of ``text`` and its new text; None
    when it is not an edit of this shape."""
    if not isinstance(result, dict):
        return None
    try:
        r = result["range"]
        s = nl.offset_of(text, r["start"]["line"], r["start"]["character"])
        e = nl.offset_of(text, r["end"]["line"], r["end"]["character"])
        return s, e, str(result["newText"])
    except (KeyError, TypeError):
        return None


def score_step(text_before: str, text: str, change: nl.Change, nxt: nl.Change | None,
               remaining: list[nl.Change], result: object, uri: str, version: int) -> dict:
    """The scores of one answer given after ``change`` turned ``text_before`` into ``text``.
    ``nxt`` is the next hunk as a change of ``text`` (None after the last), ``remaining`` every
    hunk still to come, each as a change of ``text``. Pure: the unit tests call it."""
    row: dict = {"proposed": result is not None}
    if result is None:
        return row
    span = proposal_span(result, text)
    other = (isinstance(result, dict)
             and (result.get("uri") not in (None, uri)
                  or result.get("version") not in (None, version)))
    row.update(label=result.get("label") if isinstance(result, dict) else None,
               source=result.get("source") if isinstance(result, dict) else None,
               reason=result.get("reason") if isinstance(result, dict) else None,
               elsewhere=bool(other), malformed=span is None)
    if span is None or other:
        row.update(place=False, text=False, any_remaining=False, reversal=False)
        return row
    s, e, new = span
    row["range"] = [s, e]
    row["place"] = nxt is not None and nl.in_region(s, e, nxt)
    row["text"] = nxt is not None and nl.text_right(text, s, e, new, nxt)
    row["any_remaining"] = any(nl.in_region(s, e, c) for c in remaining)
    row["reversal"] = nl.reverses(text, s, e, new, text_before, change)
    return row


def steps_of(seq: dict) -> tuple[list[nl.Hunk], list[tuple[str, nl.Change]], list[int]]:
    hunks = [nl.Hunk.from_json(h) for h in seq["hunks"]]
    order = seq.get("order") or list(range(len(hunks)))
    return hunks, nl.apply_hunks(seq["before"], hunks, order), order


def remaining_changes(seq: dict, hunks: list[nl.Hunk], order: list[int], i: int
                      ) -> list[nl.Change]:
    """The hunks after step ``i``, each as a change of the text after step ``i``."""
    done = order[:i + 1]
    return [nl.apply_hunks(seq["before"], hunks, done + [k])[-1][1] for k in order[i + 1:]]


def _range(text: str, start: int, end: int) -> dict:
    a, b = nl.position_of(text, start), nl.position_of(text, end)
    return {"start": {"line": a[0], "character": a[1]}, "end": {"line": b[0], "character": b[1]}}


async def replay(server: LspProcess, seq: dict, root: Path, index: int, type_first: bool,
                 timeout: float) -> list[dict]:
    hunks, steps, order = steps_of(seq)
    path = root / f"s{index:04d}" / seq["path"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(seq["before"], encoding="utf-8")
    uri = path.as_uri()
    version = 1
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": LANGUAGE_IDS.get(seq["language"], seq["language"]),
        "version": version, "text": seq["before"]}})
    rows = []
    labels = seq["labels"]
    last_text, last_change = steps[-1]
    left = set(nl.tokens(nl.mask(last_change.applied(last_text), seq["language"])))
    try:
        for i, (text_before, change) in enumerate(steps):
            if type_first and i == 0 and change.new:
                cur = text_before
                if change.old:
                    version += 1
                    server.notify("textDocument/didChange", {
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [{"range": _range(cur, change.start, change.end),
                                            "text": ""}]})
                    cur = cur[:change.start] + cur[change.end:]
                for k, ch in enumerate(change.new):
                    at = change.start + k
                    version += 1
                    server.notify("textDocument/didChange", {
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [{"range": _range(cur, at, at), "text": ch}]})
                    cur = cur[:at] + ch + cur[at:]
            else:
                version += 1
                server.notify("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"range": _range(text_before, change.start, change.end),
                                        "text": change.new}]})
            text = change.applied(text_before)
            line, character = nl.position_of(text, change.start + len(change.new))
            t0 = time.perf_counter()
            reply = await server.request_async(METHOD, {
                "textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
                timeout=timeout)
            ms = (reply.at - t0) * 1000
            missing = bool(reply.error) and reply.error.get("code") == METHOD_NOT_FOUND
            result = None if reply.error else reply.result
            nxt = steps[i + 1][1] if i + 1 < len(steps) else None
            row = score_step(text_before, text, change, nxt,
                             remaining_changes(seq, hunks, order, i), result, uri, version)
            follow = labels[i + 1] if i + 1 < len(labels) else {}
            row.update(seq=index, step=i, ms=ms, cpu_s=reply.cpu_s,
                       old_name_gone=follow.get("follows") == "rename" and all(
                           old not in left for old, _ in follow["pairs"]),
                       follows=labels[i + 1]["follows"] if i + 1 < len(labels) else None,
                       after=labels[i]["after"], method_missing=missing,
                       error=(reply.error or {}).get("message") if not missing else None,
                       result=result)
            rows.append(row)
    finally:
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return rows


def summarize(rows: list[dict]) -> dict:
    """The figures of a run's rows: per label, shares with their standard errors."""
    def block(sel: list[dict], keys: tuple[str, ...]) -> dict:
        out: dict = {"n": len(sel), "proposed": sum(r["proposed"] for r in sel)}
        for k in keys:
            hits = sum(bool(r.get(k)) for r in sel)
            p, se = nl.share(hits, len(sel))
            out[k] = {"hits": hits, "share": p, "se": se}
        return out

    follow = ("place", "text", "any_remaining")
    out: dict = {}
    for name in ("rename", "signature"):
        out[f"{name} follow-up"] = block([r for r in rows if r["follows"] == name], follow)
    out["rename, old gone"] = block([r for r in rows if r.get("old_name_gone")], follow)
    out["rename, old stays"] = block(
        [r for r in rows if r["follows"] == "rename" and not r.get("old_name_gone")], follow)
    out["all follow-ups"] = block([r for r in rows if r["follows"]], follow)
    def quiet(sel: list[dict]) -> dict:
        out_q = block(sel, ())
        hits = sum(not r["proposed"] for r in sel)
        p, se = nl.share(hits, len(sel))
        out_q["quiet"] = {"hits": hits, "share": p, "se": se}
        return out_q

    for name in ("last", "implies-nothing"):
        out[name] = quiet([r for r in rows if r["after"] == name])
    out["nothing follows"] = quiet([r for r in rows if r["after"]])
    proposals = [r for r in rows if r["proposed"]]
    rev = sum(bool(r.get("reversal")) for r in proposals)
    p, se = nl.share(rev, len(proposals))
    out["reversals"] = {"n": len(proposals), "hits": rev, "share": p, "se": se}
    out["by source"] = {}
    for src in sorted({r.get("source") or "?" for r in proposals}):
        mine = [r for r in proposals if (r.get("source") or "?") == src]
        on_follow = [r for r in mine if r["follows"]]
        out["by source"][src] = {
            "proposals": len(mine), "on follow-ups": len(on_follow),
            "place right": sum(bool(r.get("place")) for r in on_follow),
            "text right": sum(bool(r.get("text")) for r in on_follow),
            "any remaining": sum(bool(r.get("any_remaining")) for r in mine),
            "when nothing follows": sum(bool(r["after"]) for r in mine),
            "reversals": sum(bool(r.get("reversal")) for r in mine),
            "p50_ms": percentile([r["ms"] for r in mine], 50),
            "p95_ms": percentile([r["ms"] for r in mine], 95)}
    ms = [r["ms"] for r in rows]
    cpu = [r["cpu_s"] for r in rows if r["cpu_s"] == r["cpu_s"]]
    out["latency"] = {"n": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
                      "cpu_mean_s": statistics.fmean(cpu) if cpu else float("nan")}
    out["requests"] = len(rows)
    out["method_missing"] = sum(r["method_missing"] for r in rows)
    out["errors"] = sum(bool(r.get("error")) for r in rows)
    return out


def _pct(d: dict) -> str:
    if d["share"] != d["share"]:
        return "n/a"
    return f"{100 * d['share']:5.1f}% ± {100 * d['se']:4.1f}"


def report(fig: dict) -> str:
    lines = []
    if fig["method_missing"]:
        lines.append(f"WARNING: the server answered MethodNotFound to {METHOD} on "
                     f"{fig['method_missing']} of {fig['requests']} requests: it has no next "
                     "edits, these count as quiet and the figures below say nothing about them.")
    lines.append(f"{'follow-ups':<20} {'n':>5} {'proposed':>8}  {'place right':>15}  "
                 f"{'text right':>15}  {'any remaining':>15}")
    for name in ("rename follow-up", "rename, old gone", "rename, old stays",
                 "signature follow-up", "all follow-ups"):
        b = fig[name]
        lines.append(f"{name:<20} {b['n']:>5} {b['proposed']:>8}  {_pct(b['place']):>15}  "
                     f"{_pct(b['text']):>15}  {_pct(b['any_remaining']):>15}")
    lines.append(f"{'nothing follows':<20} {'n':>5} {'proposed':>8}  {'quiet':>15}")
    for name in ("last", "implies-nothing", "nothing follows"):
        b = fig[name]
        lines.append(f"{name:<20} {b['n']:>5} {b['proposed']:>8}  {_pct(b['quiet']):>15}")
    r = fig["reversals"]
    lines.append(f"reversals: {r['hits']} of {r['n']} proposals ({_pct(r) if r['n'] else 'n/a'})")
    for src, b in fig.get("by source", {}).items():
        lines.append(f"from {src}: {b['proposals']} proposals; on {b['on follow-ups']} before a "
                     f"follow-up, place right {b['place right']}, text right {b['text right']}; "
                     f"{b['any remaining']} at a remaining hunk; {b['when nothing follows']} "
                     f"when nothing follows; {b['reversals']} reversals; answered in p50 "
                     f"{b['p50_ms']:.1f} ms, p95 {b['p95_ms']:.1f} ms")
    lat = fig["latency"]
    lines.append(f"latency: {lat['n']} requests, p50 {lat['p50_ms']:.1f} ms, p95 "
                 f"{lat['p95_ms']:.1f} ms; server CPU {1000 * lat['cpu_mean_s']:.1f} ms a "
                 f"request (mean; /proc ticks of 10 ms)")
    if fig["errors"]:
        lines.append(f"errors (other than MethodNotFound): {fig['errors']}")
    checks = [("place right on follow-ups", fig["all follow-ups"]["place"]["share"], ">=",
               TARGETS["place"]),
              ("quiet when nothing follows", fig["nothing follows"]["quiet"]["share"], ">=",
               TARGETS["quiet"]),
              ("reversals", fig["reversals"]["share"] if fig["reversals"]["n"] else 0.0, "<=",
               TARGETS["reversals"])]
    for name, v, op, t in checks:
        ok = v == v and (v >= t if op == ">=" else v <= t)
        verdict = ("not measured (no nextEdit)" if fig["method_missing"] == fig["requests"]
                   else "met" if ok else "NOT met")
        lines.append(f"target {name} {op} {t:.0%}: {verdict}"
                     f" ({'n/a' if v != v else f'{v:.1%}'})")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict:
    seqs = nextedit_data.load(args.split)
    if args.limit and args.limit < len(seqs):
        step = len(seqs) / args.limit  # spread over the repositories (the data is by repo)
        seqs = [seqs[int(k * step)] for k in range(args.limit)]
    settings: dict = {"model": bench_models.resolve(args.model)}
    if args.settings:
        settings = deep_merge(settings, json.loads(args.settings))
    server = LspProcess(stderr_path=args.server_log) if args.server_log else LspProcess()
    server.start()
    rows: list[dict] = []
    load_before = load_average()
    t0 = time.perf_counter()
    cpu0 = float("nan")
    try:
        await server.initialize_async(settings)
        cpu0 = server.cpu()
        with tempfile.TemporaryDirectory(prefix="slm-nextedit-") as tmp:
            for i, seq in enumerate(seqs):
                rows.extend(await replay(server, seq, Path(tmp), i, args.type_first,
                                         args.timeout))
                if not args.quiet and (i + 1) % 20 == 0:
                    print(f"{i + 1}/{len(seqs)} sequences", file=sys.stderr, flush=True)
        cpu1 = server.cpu()
    finally:
        await server.stop_async()
    fig = summarize(rows)
    fig["run_cpu_s"] = cpu1 - cpu0
    return {"settings": settings, "type_first": args.type_first, "split": args.split,
            "sequences": len(seqs),
            "seconds": time.perf_counter() - t0, "load_average": [load_before, load_average()],
            "figures": fig, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="test", choices=(*nextedit_data.SPLITS, "all"),
                    help="test (held out, the default), dev (for developing) or all")
    ap.add_argument("--limit", type=int, default=0,
                    help="N sequences only, evenly spaced over the frozen order")
    ap.add_argument("--settings", default="", help="JSON merged into initializationOptions")
    ap.add_argument("--model", default="smollm2-135m", help="models.toml id or GGUF path")
    ap.add_argument("--type-first", action="store_true",
                    help="type the first hunk of each sequence a character at a time")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--server-log", type=Path)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    out = asyncio.run(run(args))
    print(f"split {args.split}: {out['sequences']} sequences, "
          f"{out['figures']['requests']} requests, "
          f"{out['seconds']:.0f} s, settings {json.dumps(args.settings or {})}, "
          f"{'first hunk typed' if args.type_first else 'one change per hunk'}")
    print(report(out["figures"]))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
