"""`slm-lsp doctor`: check the setup, offline, and say what to fix."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys

from .models.registry import ModelNotFound, choose_model, load_registry, local_path, models_dir
from .settings import Settings
from .syntax.languages import grammar, supported_languages


def _line(ok: bool | None, what: str, fix: str = "") -> None:
    mark = {True: "ok  ", False: "FAIL", None: "note"}[ok]
    print(f"[{mark}] {what}" + (f"\n       -> {fix}" if fix else ""))


def run_doctor(settings: Settings) -> int:
    """Print one line per check; exit 1 if something needed for completions is broken."""
    failed = False
    _line(sys.version_info >= (3, 10), f"Python {sys.version.split()[0]}",
          "" if sys.version_info >= (3, 10) else "use Python 3.10 or newer")
    try:
        version = importlib.metadata.version("llama-cpp-python")
        importlib.import_module("llama_cpp")
        _line(True, f"llama-cpp-python {version}")
    except Exception as exc:  # noqa: BLE001 - any import failure is the finding
        failed = True
        _line(False, f"llama-cpp-python does not import: {exc}",
              "pip install --force-reinstall llama-cpp-python")
    missing = [lang for lang in supported_languages() if grammar(lang) is None]
    langs = supported_languages()
    _line(not missing, f"tree-sitter grammars: {len(langs) - len(missing)} of {len(langs)}"
          + (f" (missing: {', '.join(missing)})" if missing else ""),
          "pip install the tree-sitter-<language> wheels" if missing else "")

    registry = load_registry()
    print(f"       models directory: {models_dir()}")
    real = [s for s in registry.models.values() if not s.embedded]
    present = [s for s in real if local_path(s) is not None]
    for spec in real:
        path = local_path(spec)
        if path:
            _line(True, f"{spec.id}: {path}")
        else:
            _line(None, f"{spec.id}: not downloaded",
                  f"slm-lsp models pull {spec.id}   (or fetch {spec.url} by hand and put it at "
                  f"{models_dir() / spec.file})")
    try:
        from .models.store import machine, recommend

        ram, cores = machine()
        best = recommend(ram, cores)
        _line(None, f"this machine: {ram:.0f} GB RAM, {cores} cores; recommended model: {best}",
              "" if any(s.id == best for s in present) else f"slm-lsp models pull {best}")
    except ImportError:
        pass
    try:
        choice = choose_model(settings.model)
        _line(True, f"model that will run: {choice.id} ({choice.reason}) at {choice.path}")
        if choice.embedded:
            _line(None, "the embedded SmolLM2-135M is a tiny general model: completions are "
                  "rough", "pull a real code model: slm-lsp models pull deepseek-coder-1.3b-base")
        from .models.gguf_check import check_gguf

        check_gguf(choice.path)
        _line(True, "model file is a complete GGUF")
    except ModelNotFound as exc:
        failed = True
        _line(False, str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken file is the finding
        failed = True
        _line(False, f"model file: {exc}", "pull it again, or set `model` to another one")
    if settings.backend.type != "local":
        _line(None, f"backend: {settings.backend.type} at {settings.backend.url} (not contacted "
              "by doctor)")
    print("slm-lsp doctor: " + ("problems found" if failed else "ready"))
    return 1 if failed else 0
