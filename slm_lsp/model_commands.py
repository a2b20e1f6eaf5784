"""``slm-lsp models``: list, pull, path, remove and add models from the command line.

``register(subparsers)`` adds the ``models`` command to an argparse parser; each subcommand sets
``args.func``, which returns the exit code. Errors are one line on stderr. ``pull`` reports
progress on stderr as lines ending in ``NN%`` (editors parse them). Run alone with
``python -m slm_lsp.model_commands models ...``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from slm_lsp.models.registry import all_models, load_registry, models_dir, user_models

PROG = "slm-lsp"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``models`` and its subcommands to ``subparsers`` (from ``add_subparsers()``)."""
    parser = subparsers.add_parser(
        "models", help="list, pull, locate, remove or add models",
        description="Manage the GGUF models slm-lsp runs. Models live in "
        "$SLM_LSP_MODELS_DIR or the user cache directory.",
    )
    sub = parser.add_subparsers(dest="models_command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="the known models, which are here, which suits this machine")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("pull", help="download a known model from the Hugging Face Hub")
    p.add_argument("id", help="a model id from `slm-lsp models list`")
    p.add_argument("--no-verify", action="store_true",
                   help="accept a model whose SHA-256 models.toml does not pin (its size and the "
                   "hub's own checksum are still checked)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                   help="connect and read timeout (default 5)")
    p.set_defaults(func=cmd_pull)

    p = sub.add_parser("path", help="print where a model's file is")
    p.add_argument("id")
    p.set_defaults(func=cmd_path)

    p = sub.add_parser("remove", help="delete a pulled model, or forget an added one")
    p.add_argument("id")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("add", help="check your own GGUF file and make it choosable by id")
    p.add_argument("path", help="the .gguf file")
    p.add_argument("--format",
                   help=f"its prompt format: {', '.join(load_registry().formats)} (default: "
                   "the one its vocabulary shows)")
    p.add_argument("--id", help="the id to choose it by (default: from the file name)")
    p.set_defaults(func=cmd_add)
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def _mb(size: int) -> str:
    return f"{size / 1e6:,.0f} MB" if size else "?"


def _rows(recommended: str) -> list[dict[str, Any]]:
    from slm_lsp.models import store

    registry = load_registry()
    users = user_models(registry)
    rows = []
    for spec in all_models(registry).values():
        where = store.path(spec)
        rows.append({
            "id": spec.id,
            "params": spec.params,
            "format": spec.format,
            "present": where is not None,
            "path": str(where) if where else None,
            "target": str(where or store.target_path(spec)),
            "size": where.stat().st_size if where else spec.size,
            "sha256_pinned": bool(spec.sha256),
            "embedded": spec.embedded,
            "user": spec.id in users,
            "recommended": spec.id == recommended,
            "ram_min_gb": spec.ram_min_gb,
            "url": spec.url,
            "description": spec.description,
        })
    return rows


def cmd_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the models: id, size, where, and the one recommended for this machine."""
    from slm_lsp.models.recommend import for_this_machine

    out = out or sys.stdout
    best = for_this_machine()
    ram, cores, recommended = best.ram_gb, best.cores, best.id
    rows = _rows(recommended)
    if args.json:
        json.dump({
            "models_dir": str(models_dir()),
            "machine": {"ram_gb": round(ram, 1), "cores": cores},
            "recommended": recommended,
            "models": rows,
        }, out, indent=2)
        out.write("\n")
        return 0
    width = max(len(r["id"]) for r in rows) + 2
    out.write(f"{'ID':<{width}}{'PARAMS':<8}{'SIZE':>9}  WHERE\n")
    for r in rows:
        if r["embedded"]:
            where = f"embedded: {r['path']}" if r["present"] else "embedded (package missing)"
        elif r["present"]:
            where = r["path"]
        else:
            where = "not downloaded"
        mark = "  <- recommended" if r["recommended"] else ""
        out.write(f"{r['id']:<{width}}{r['params']:<8}{_mb(r['size']):>9}  {where}{mark}\n")
    out.write(
        f"\nThis machine: {ram:.1f} GB RAM, {cores} cores; recommended: {recommended} "
        f"(`{PROG} models pull {recommended}`).\nModels directory: {models_dir()}\n"
    )
    return 0


class ProgressLines:
    """Pull progress on a stream: one line per percent, each ending in ``NN%``; on a terminal
    the line is redrawn in place."""

    def __init__(self, label: str, stream: TextIO | None = None):
        self.label, self.stream = label, stream or sys.stderr
        self.last: int | None = None
        self.tty = self.stream.isatty()

    def __call__(self, done: int, total: int | None) -> None:
        if not total:
            step = done // 50_000_000
            if step != self.last:
                self.last = step
                self.stream.write(f"{self.label}: {_mb(done)}\n")
                self.stream.flush()
            return
        pct = min(100, done * 100 // total)
        if pct == self.last:
            return
        self.last = pct
        line = f"{self.label}: {_mb(done)} of {_mb(total)} {pct}%"
        self.stream.write(f"\r{line}" if self.tty else f"{line}\n")
        if self.tty and pct == 100:
            self.stream.write("\n")
        self.stream.flush()


def cmd_pull(args: argparse.Namespace) -> int:
    """Download a model; print its path on stdout."""
    from slm_lsp.errors import ModelLoadError
    from slm_lsp.models import store

    try:
        spec = store.find(args.id)
        progress = ProgressLines(f"pulling {spec.id}")
        dest = store.pull(spec, progress, verify=not args.no_verify, timeout=args.timeout)
    except KeyboardInterrupt:
        return _fail(f"pull of {args.id} interrupted; run it again to resume", 130)
    except (store.StoreError, ModelLoadError) as exc:
        return _fail(str(exc))
    print(f"{spec.id} is at {dest} ({_mb(dest.stat().st_size)})", file=sys.stderr)
    print(dest)
    return 0


def cmd_path(args: argparse.Namespace) -> int:
    """Print the model's path; exit 1 (with how to get it) when it is not here."""
    from slm_lsp.models import store

    try:
        spec = store.find(args.id)
    except store.StoreError as exc:
        return _fail(str(exc))
    where = store.path(spec)
    if where is None:
        return _fail(
            f"{spec.id} is not downloaded; `{PROG} models pull {spec.id}` puts it at "
            f"{store.target_path(spec)}"
        )
    print(where)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Delete a pulled model's file, or forget a user model (its file is left alone)."""
    from slm_lsp.models import store

    try:
        spec = store.find(args.id)
        user = spec.id in user_models()
        removed = store.remove(spec)
    except (store.StoreError, OSError) as exc:
        return _fail(str(exc))
    if user:
        print(f"forgot {spec.id}; its file stays at {spec.file}", file=sys.stderr)
    elif removed:
        for file in removed:
            print(f"deleted {file}", file=sys.stderr)
    else:
        print(f"{spec.id} was not downloaded; nothing to remove", file=sys.stderr)
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Check a GGUF file (against its prompt format, or for one) and record it as a user
    model."""
    from slm_lsp.engine.factory import check_file
    from slm_lsp.errors import ModelLoadError
    from slm_lsp.models import store

    try:
        spec, why = store.add(args.path, args.format, args.id, check=check_file)
    except (store.StoreError, ModelLoadError, OSError) as exc:
        return _fail(str(exc))
    print(f"added {spec.id} ({spec.format} format: {why}; {_mb(spec.size)}): choose it with "
          f"model = \"{spec.id}\"", file=sys.stderr)
    print(spec.id)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``models`` commands on their own: ``python -m slm_lsp.model_commands models list``."""
    parser = argparse.ArgumentParser(prog=PROG)
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
