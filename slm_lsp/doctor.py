"""`slm-lsp doctor`: check the setup, offline, and say what to fix.

Each model file present is checked as the server would load it: a complete GGUF, the pinned
size and SHA-256 where ``models.toml`` has them, and its prompt format against its vocabulary
(``engine.factory.check_file``, the check the engine runs at load).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
from pathlib import Path

from .errors import ModelNotFound
from .formats import PromptFormat
from .languages import grammar, supported_languages
from .models.registry import (
    ModelSpec,
    choose_model,
    load_registry,
    local_path,
    models_dir,
)
from .settings import Settings


def _line(ok: bool | None, what: str, fix: str = "") -> None:
    mark = {True: "ok  ", False: "FAIL", None: "note"}[ok]
    print(f"[{mark}] {what}" + (f"\n       -> {fix}" if fix else ""))


def check_model_file(label: str, path: Path, fmt: PromptFormat | None,
                     spec: ModelSpec | None = None) -> bool:
    """Print the checks of one model file; False when the server could not run it.

    ``fmt`` None: the format comes from the vocabulary (a user's file named by path).
    """
    from .engine.factory import check_file
    from .errors import ModelLoadError
    from .models import digests, gguf_check

    again = (f"slm-lsp models remove {spec.id} && slm-lsp models pull {spec.id}"
             if spec is not None and spec.repo else "")
    try:
        gguf_check.check_gguf(path, spec.size if spec else 0)
    except gguf_check.GGUFCheckError as exc:
        _line(False, f"{label}: {exc}", again or "replace the file")
        return False
    size = path.stat().st_size
    _line(True, f"{label}: complete GGUF, {size / 1e6:,.0f} MB, at {path}")
    ok = True
    if spec is not None and spec.sha256:
        digest = digests.file_sha256(path)
        if digest == spec.sha256.lower():
            _line(True, f"{label}: SHA-256 matches models.toml")
        else:
            ok = False
            _line(False, f"{label}: SHA-256 {digest} is not the {spec.sha256.lower()} that "
                  "models.toml pins: the file is corrupt or another model", again)
    elif source := digests.verified_by(path):
        _line(True, f"{label}: SHA-256 verified against {source} when pulled")
    else:
        _line(None, f"{label}: not verified (models.toml pins no SHA-256 for this file, and "
              "it was not pulled by slm-lsp)", again and f"to have it verified: {again}")
    try:
        found = check_file(str(path), fmt, model=spec.id if spec else "")
    except ModelLoadError as exc:
        fix = again or "name the model's own format: slm-lsp models add PATH --format FORMAT"
        if spec is not None and spec.repo:
            fix = (f"this is not the file {spec.id} names: {again} (put a GGUF of your own "
                   "elsewhere and use `slm-lsp models add PATH`)")
        _line(False, f"{label}: {exc}", fix)
        return False
    _line(True, f"{label}: prompt format {found.fmt.name} ({found.reason})")
    return ok


def _pulling() -> None:
    """Whether `models pull` can work here (the network is not contacted)."""
    problems = []
    try:
        import ssl  # noqa: F401 - HTTPS needs it
    except ImportError:
        problems.append("this Python has no ssl module, so it cannot use HTTPS")
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        problems.append("HF_HUB_OFFLINE is set")
    target = models_dir()
    probe = target if target.exists() else next((p for p in target.parents if p.exists()), None)
    if probe is None or not os.access(probe, os.W_OK):
        problems.append(f"{target} is not writable")
    endpoint = os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"
    if problems:
        _line(None, f"models pull cannot work: {'; '.join(problems)}",
              "fetch the file by hand (`slm-lsp models list --json` gives each URL and path)")
    else:
        _line(True, f"models pull: HTTPS from {endpoint} into {target} (not contacted by "
              "doctor; offline, a pull prints the URL to fetch by hand and where to put it)")


def run_doctor(settings: Settings) -> int:
    """Print one line per check; exit 1 if something needed for completions is broken."""
    from .models.recommend import for_this_machine
    from .models.registry import user_models

    failed = False
    _line(sys.version_info >= (3, 10), f"Python {sys.version.split()[0]}",
          "" if sys.version_info >= (3, 10) else "use Python 3.10 or newer")
    try:
        version = importlib.metadata.version("llama-cpp-python")
        importlib.import_module("llama_cpp")
        from .engine.native import build_info

        build = build_info()
        _line(True, f"llama-cpp-python {version}" + (f" (llama.cpp: {build})" if build else ""))
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
    _pulling()
    best = for_this_machine()
    checked: dict[str, bool] = {}  # by model id
    for spec in [*registry.models.values(), *user_models(registry).values()]:
        path = local_path(spec)
        if path is None:
            if spec.embedded:
                _line(None, f"{spec.id}: not installed", f"pip install {spec.package}")
            elif spec.repo:
                _line(None, f"{spec.id}: not downloaded",
                      f"slm-lsp models pull {spec.id}   (or fetch {spec.url} by hand and put "
                      f"it at {models_dir() / spec.file})")
            else:
                _line(None, f"{spec.id}: its file {spec.file} is gone",
                      f"slm-lsp models remove {spec.id}")
            continue
        checked[spec.id] = check_model_file(spec.id, path, registry.formats[spec.format],
                                                   spec)
    failed |= not all(checked.values())  # a model the server cannot run, wherever it is
    present = {s.id for s in registry.models.values() if local_path(s) is not None}
    _line(None, f"recommended model: {best.id} ({best.why})",
          "" if best.id in present else best.command)
    try:
        choice = choose_model(settings.model)
        _line(True, f"model that will run: {choice.id} ({choice.reason}) at {choice.path}")
        if choice.id in checked and not choice.detect:
            failed |= not checked[choice.id]
        else:
            failed |= not check_model_file(choice.id, choice.path,
                                           None if choice.detect else choice.format)
        if choice.embedded:
            _line(None, "the embedded SmolLM2-135M is a tiny general model: completions are "
                  "rough", f"pull a real code model: {best.command}")
    except ModelNotFound as exc:
        failed = True
        _line(False, str(exc))
    if settings.backend.type != "local":
        _line(None, f"backend: {settings.backend.type} at {settings.backend.url} (not contacted "
              "by doctor)")
    print("slm-lsp doctor: " + ("problems found" if failed else "ready"))
    return 1 if failed else 0
