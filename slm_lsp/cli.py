"""Command line: serve (default), complete, prompt, models, doctor."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from . import __version__

log = logging.getLogger("slm_lsp.cli")

_POSITION = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+)$")


class UserError(Exception):
    """An expected failure: printed as one line, exit code 2."""


EXIT_CODES = """\
exit codes of `complete`: 0 a completion was printed on stdout; 1 nothing to complete at that
position (the reason is on stderr, stdout is empty); 2 an error (a bad FILE:LINE:COL, a model
that is missing or does not load). Other commands: 0 success, 1 a failed check or operation,
2 a usage error. Any command: 141 when stdout was closed early (`| head`), without a message."""


def _add_common_flags(p: argparse.ArgumentParser, top: bool = False) -> None:
    """Flags accepted before or after the command (``slm-lsp --log-level debug serve`` and
    ``slm-lsp serve --log-level debug`` are the same)."""
    # On subcommands the flags must not reset what was given before the subcommand.
    default = None if top else argparse.SUPPRESS
    p.add_argument("--log-level", default=default, choices=["error", "warning", "info", "debug"],
                   help="how much to log on stderr (default: info for serve, warning otherwise)")
    p.add_argument("--log-file", default=default, metavar="PATH",
                   help="also append the log to this file")
    p.add_argument("--model", default=default,
                   help="model id from models.toml, or a path to a GGUF file (default: "
                   "$SLM_LSP_MODEL, else the best downloaded model, else the embedded "
                   "SmolLM2-135M)")
    p.add_argument("--backend-type", default=default,
                   choices=["local", "llama-server", "openai", "ollama"],
                   help="run the model here (local) or on an inference server")
    p.add_argument("--backend-model", default=default,
                   help="model name to ask the inference server for")
    p.add_argument("--api-key-env", default=default,
                   help="environment variable that holds the inference server's API key")
    p.add_argument("--backend-url", default=default, help="URL of the inference server")
    p.add_argument("--threads", type=int, default=default,
                   help="CPU threads for the model (default: physical cores)")


def _cli_layer(args: argparse.Namespace) -> dict:
    layer: dict = {}
    backend = {}
    if getattr(args, "backend_type", None):
        backend["type"] = args.backend_type
    if getattr(args, "backend_url", None):
        backend["url"] = args.backend_url
        backend.setdefault("type", "llama-server")
    if getattr(args, "backend_model", None):
        backend["model"] = args.backend_model
    if getattr(args, "api_key_env", None):
        backend["apiKeyEnv"] = args.api_key_env
    if backend:
        layer["backend"] = backend
    if getattr(args, "threads", None):
        layer["nThreads"] = args.threads
    if getattr(args, "log_level", None):
        layer["logLevel"] = args.log_level
    return layer


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="slm-lsp", description="A code-completion language server backed by small local "
        "code models. With no command, serves LSP over stdio.", epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"slm-lsp {__version__}")
    _add_common_flags(parser, top=True)
    parser.add_argument("--stdio", action="store_true", help="serve over stdio (the default)")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="serve LSP over stdio (the default)")
    _add_common_flags(serve)
    serve.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    complete = sub.add_parser(
        "complete", help="print the completion at FILE:LINE:COL (1-based)", epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    complete.add_argument("position", metavar="FILE:LINE:COL")
    _add_common_flags(complete)
    complete.add_argument("--automatic", action="store_true",
                          help="as an automatic trigger would (default: as invoked)")
    complete.set_defaults(func=cmd_complete)

    prompt = sub.add_parser("prompt", help="print the exact prompt for FILE:LINE:COL (1-based)")
    prompt.add_argument("position", metavar="FILE:LINE:COL")
    _add_common_flags(prompt)
    prompt.set_defaults(func=cmd_prompt)

    doctor = sub.add_parser("doctor", help="check the setup and the models, say what to fix")
    _add_common_flags(doctor)
    doctor.set_defaults(func=cmd_doctor)

    from . import model_commands  # its download code is imported on use

    model_commands.register(sub)
    parser.set_defaults(func=cmd_serve)
    return parser


def _setup_logs(args: argparse.Namespace, default: str) -> None:
    from .logs import setup_stderr

    try:
        setup_stderr(getattr(args, "log_level", None) or default,
                     getattr(args, "log_file", None) or "")
    except OSError as exc:
        raise UserError(f"cannot write the log file: {exc}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    from .setup import create_server
    from .transport import serve_stdio

    _setup_logs(args, "info")
    server = create_server(cli_model=args.model, cli_layer=_cli_layer(args))
    return serve_stdio(server, exit_process=True)


def _parse_position(text: str) -> tuple[Path, int, int]:
    m = _POSITION.match(text)
    if not m:
        raise UserError(f"expected FILE:LINE:COL (1-based), got {text!r}")
    path = Path(m["file"])
    if path.is_dir():
        raise UserError(f"{path} is a directory; give a file: FILE:LINE:COL")
    if not path.exists():
        raise UserError(f"no such file: {path}")
    if not path.is_file():
        raise UserError(f"{path} is not a regular file")
    line, col = int(m["line"]), int(m["col"])
    if line < 1 or col < 1:
        raise UserError(f"{text}: lines and columns count from 1 ({path}:1:1 is the start of "
                        "the file)")
    return path, line, col


def _document_at(position: str):
    from .documents import Document
    from .languages import language_for_path

    path, line, col = _parse_position(position)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text: {exc}") from exc
    doc = Document(uri=path.resolve().as_uri(), text=text, language_id=language_for_path(
        str(path)), encoding="utf-32")
    if line < 1 or line > doc.line_count:
        raise UserError(f"{path} has {doc.line_count} lines; line {line} is outside it")
    width = len(doc.line_text(line - 1))
    if col - 1 > width:
        raise UserError(f"line {line} has {width} characters, so its columns are 1 to "
                        f"{width + 1}; column {col} is past its end")
    return path, doc, doc.offset_at(line - 1, col - 1)


def _snippets(path: Path, doc, offset: int, settings, engine) -> tuple[str, tuple]:
    """The workspace-relative path of the file and its cross-file snippets."""
    from .context.ignore import find_root
    from .context.index import SymbolIndex
    from .context.snippets import select_snippets

    index = SymbolIndex(find_root(path), settings)
    rel = index.relative(str(path)) or path.name
    if not settings.context.cross_file:
        return rel, ()
    index.build()
    return rel, select_snippets(index, doc.text, offset, doc.language_id, str(path.resolve()),
                                settings.context.snippet_tokens, engine.count_tokens,
                                tree=doc.tree)


def _settings(args: argparse.Namespace):
    from .settings import resolve

    settings, problems = resolve(_cli_layer(args), cli_model=args.model)
    for problem in problems:
        print(f"slm-lsp: warning: {problem}", file=sys.stderr)
    return settings


def cmd_complete(args: argparse.Namespace) -> int:
    import asyncio

    path, doc, offset = _document_at(args.position)
    _setup_logs(args, "warning")
    return asyncio.run(_complete(path, doc, offset, _settings(args), automatic=args.automatic))


async def _complete(path: Path, doc, offset: int, settings, *, automatic: bool) -> int:
    """The completion at ``offset`` of ``doc`` through the server's own path: its engine host
    loads the model, its completion service answers (trigger, context, prompt, engine,
    filters), with the file's workspace indexed for cross-file context."""
    import time

    from .completion.service import CompletionService
    from .completion.trigger import Mode, decide
    from .context.recent import RecentPlaces
    from .documents import DocumentStore
    from .engine.host import EngineHost

    documents = DocumentStore()
    documents.encoding = "utf-32"
    doc = documents.open(doc.uri, doc.text, 1, doc.language_id)
    host = EngineHost(lambda *status: None)
    try:
        t0 = time.perf_counter()
        loaded = await host.load(settings)
        if loaded is None:
            raise UserError(host.error or "the model did not load")
        t1 = time.perf_counter()
        service = CompletionService(settings, host, documents, RecentPlaces(lambda uri: None))
        rel = _index(path, settings, service)
        trigger = decide(doc, offset, invoked=not automatic)
        if trigger.mode is Mode.NONE:
            print(f"slm-lsp: nothing to complete here ({trigger.reason})", file=sys.stderr)
            return 1
        result = await service.complete(doc, offset, invoked=not automatic, path=rel)
        t2 = time.perf_counter()
        service.cancel_all()  # no completion after this one: idle-time work stops
        await host.run(loaded.engine.close)
    finally:
        host.shutdown()
    text = result.text if result is not None else ""
    if text:
        print(text)
    print(f"slm-lsp: {loaded.model_id} ({loaded.fmt.name} format), {trigger.mode.value} "
          f"completion ({trigger.reason}), model load {t1 - t0:.1f}s, completion "
          f"{t2 - t1:.2f}s", file=sys.stderr)
    if not text:
        print("slm-lsp: the model proposed nothing here", file=sys.stderr)
        return 1
    if loaded.embedded:
        from .models.recommend import embedded_hint

        print(f"slm-lsp: {embedded_hint()}", file=sys.stderr)
    return 0


def _index(path: Path, settings, service) -> str:
    """The file's workspace-relative path; its workspace's symbols indexed for the service's
    cross-file context when the settings ask for it."""
    from .context.ignore import find_root
    from .context.index import SymbolIndex

    index = SymbolIndex(find_root(path), settings)
    rel = index.relative(str(path)) or path.name
    if settings.context.cross_file:
        index.build()
        service.index = index
    return rel


def cmd_prompt(args: argparse.Namespace) -> int:
    from .completion.prompt import build_prompt
    from .completion.snapshot import Snapshot
    from .completion.trigger import decide
    from .engine.factory import make_engine

    path, doc, offset = _document_at(args.position)
    _setup_logs(args, "warning")
    settings = _settings(args)
    engine, _, choice = make_engine(settings)
    engine.load_vocab()
    fmt = engine.fmt
    rel, snippets = _snippets(path, doc, offset, settings, engine)
    snap = Snapshot.of(doc, offset, decide(doc, offset, invoked=True), path=rel,
                       snippets=snippets)
    prompt = build_prompt(snap, fmt, engine, settings)
    ctx = settings.context
    name = choice.id if choice else engine.info.name
    print(f"# model: {name}  format: {fmt.name}  trigger: {snap.trigger.mode.value} "
          f"({snap.trigger.reason})")
    if engine.format_reason:
        print(f"# format {fmt.name}: {engine.format_reason}")
    if fmt.is_fim:
        print(f"# FIM markers: {fmt.fim_prefix} {fmt.fim_suffix} {fmt.fim_middle}")
    for section in prompt.sections:
        tokens = engine.count_tokens(section.text)
        print(f"# ---- {section.label} ({tokens} tokens) ----")
        print(section.text)
    total = sum(engine.count_tokens(t) if not m else 1 for t, m in prompt.parts)
    print(f"# ---- total: {total} tokens; budget: prefix {ctx.prefix_tokens}, suffix "
          f"{ctx.suffix_tokens if fmt.is_fim else 0}, snippets {ctx.snippet_tokens}, "
          f"context {settings.n_ctx} ----")
    print("# ---- exact prompt ----")
    sys.stdout.write(prompt.text + "\n")
    engine.close()
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor

    _setup_logs(args, "warning")
    return run_doctor(_settings(args))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, so that a closed pipe is seen below and not at exit
        return code
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as Unix tools do, with the status of
        # a process ended by SIGPIPE. Later writes (the flush at exit) go nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except UserError as exc:
        print(f"slm-lsp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - expected failures carry their own message
        from .errors import EngineError, ModelNotFound

        if isinstance(exc, (EngineError, ModelNotFound, OSError)):
            print(f"slm-lsp: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
