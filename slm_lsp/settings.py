"""The one settings object: typed, defaulted, camelCase on the wire.

Layers, lowest first: defaults <- environment (``SLM_LSP_MODEL``) <- command line (``--model``)
<- ``initializationOptions`` <- ``workspace/configuration`` / ``didChangeConfiguration``.
Bad values are reported and replaced by their defaults; they never stop the server.
"""

from __future__ import annotations

import os
import re
from typing import Any, Literal

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

SECTION = "slmLsp"


@attrs.define
class BackendSettings:
    """Where the model runs: in process, or on a shared inference server."""

    type: Literal["local", "llama-server", "openai", "ollama"] = "local"
    url: str = ""
    model: str = ""
    api_key_env: str = ""
    timeout_ms: int = 30_000
    retries: int = 2


@attrs.define
class CompletionSettings:
    """Inline and classic completion."""

    enable: bool = True
    automatic: bool = True
    max_tokens: int = 64
    max_lines: int = 12
    time_budget_ms: int = 2500
    confidence_threshold: float = 0.0
    disabled_languages: list[str] = attrs.Factory(list)
    speculative: bool = True
    cache: bool = True


@attrs.define
class ContextSettings:
    """How the prompt is filled: token budgets for each part."""

    prefix_tokens: int = 384
    suffix_tokens: int = 128
    snippet_tokens: int = 384
    cross_file: bool = True
    max_index_files: int = 5000


@attrs.define
class ActionSettings:
    """Code actions: each one can be turned off."""

    fix: bool = True
    docstring: bool = True
    tests: bool = True
    syntax_diagnostics: bool = True
    max_tokens: int = 256


@attrs.define
class Settings:
    """Everything a user can set. The wire names are the camelCase of these fields."""

    model: str = ""
    n_threads: int = 0
    n_ctx: int = 2048
    n_batch: int = 256
    kv_reuse: bool = True
    backend: BackendSettings = attrs.Factory(BackendSettings)
    completion: CompletionSettings = attrs.Factory(CompletionSettings)
    context: ContextSettings = attrs.Factory(ContextSettings)
    actions: ActionSettings = attrs.Factory(ActionSettings)
    log_level: Literal["error", "warning", "info", "debug"] = "info"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    # Nested classes first: a class's hook resolves its fields' hooks when it is made.
    for cls in (BackendSettings, CompletionSettings, ContextSettings, ActionSettings, Settings):
        renames = {a.name: override(rename=_camel(a.name)) for a in attrs.fields(cls)}
        conv.register_structure_hook(
            cls, make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True, **renames)
        )
        conv.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, conv, **renames))
    return conv


converter = _make_converter()


class SettingsError(ValueError):
    """Some settings were invalid; ``problems`` says which, and they fell back to defaults."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def to_wire(settings: Settings) -> dict[str, Any]:
    """The camelCase dict form, as a client sends it."""
    return converter.unstructure(settings)


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _check(settings: Settings) -> list[str]:
    problems = []
    numbers = {
        "nThreads": (settings.n_threads, 0, 256),
        "nCtx": (settings.n_ctx, 256, 1 << 20),
        "nBatch": (settings.n_batch, 8, 1 << 16),
        "completion.maxTokens": (settings.completion.max_tokens, 1, 4096),
        "completion.maxLines": (settings.completion.max_lines, 1, 1000),
        "completion.timeBudgetMs": (settings.completion.time_budget_ms, 50, 600_000),
        "context.prefixTokens": (settings.context.prefix_tokens, 16, 1 << 20),
        "context.suffixTokens": (settings.context.suffix_tokens, 0, 1 << 20),
        "context.snippetTokens": (settings.context.snippet_tokens, 0, 1 << 20),
        "actions.maxTokens": (settings.actions.max_tokens, 1, 8192),
    }
    for name, (value, low, high) in numbers.items():
        if not low <= value <= high:
            problems.append(f"{name}={value} is outside {low}..{high}")
    if not 0.0 <= settings.completion.confidence_threshold <= 1.0:
        problems.append("completion.confidenceThreshold must be between 0 and 1")
    return problems


def _structure_leniently(data: dict[str, Any], problems: list[str]) -> Settings:
    """Structure ``data``; a bad key or value falls back to its default and is reported."""
    try:
        return converter.structure(data, Settings)
    except Exception as exc:  # noqa: BLE001 - cattrs raises a group of anything
        messages = cattrs.transform_error(exc, path="slmLsp") if isinstance(
            exc, cattrs.BaseValidationError
        ) else [str(exc)]
    problems.extend(messages)
    # Drop whichever top-level keys (or nested keys) fail on their own, keep the rest.
    kept: dict[str, Any] = {}
    for key, value in data.items():
        trial = _merge(kept, {key: value})
        try:
            converter.structure(trial, Settings)
        except Exception:  # noqa: BLE001
            if isinstance(value, dict):
                sub: dict[str, Any] = {}
                for k, v in value.items():
                    t = _merge(kept, {key: {**sub, k: v}})
                    try:
                        converter.structure(t, Settings)
                        sub[k] = v
                    except Exception:  # noqa: BLE001
                        continue
                if sub:
                    kept = _merge(kept, {key: sub})
            continue
        kept = trial
    return converter.structure(kept, Settings)


def resolve(
    *layers: dict[str, Any] | None, cli_model: str | None = None
) -> tuple[Settings, list[str]]:
    """Merge the layers (lowest first) over the defaults; returns the settings and the problems.

    ``cli_model`` (``--model``) beats ``SLM_LSP_MODEL``; any layer that names a model beats both.
    """
    merged: dict[str, Any] = {}
    env_model = os.environ.get("SLM_LSP_MODEL", "").strip()
    if env_model:
        merged["model"] = env_model
    if cli_model:
        merged["model"] = cli_model
    problems: list[str] = []
    for layer in layers:
        if layer is None:
            continue
        if not isinstance(layer, dict):
            problems.append(f"settings must be an object, got {type(layer).__name__}")
            continue
        merged = _merge(merged, layer)
    settings = _structure_leniently(merged, problems)
    range_problems = _check(settings)
    if range_problems:
        problems.extend(range_problems)
        defaults = Settings()
        # Reset only the offending numbers to their defaults.
        wire = to_wire(settings)
        default_wire = to_wire(defaults)
        for item in range_problems:
            path = item.split("=")[0].split(" ")[0].split(".")
            target, source = wire, default_wire
            for part in path[:-1]:
                target, source = target[part], source[part]
            target[path[-1]] = source[path[-1]]
        settings = converter.structure(wire, Settings)
    return settings, problems


def section_of(payload: Any) -> dict[str, Any] | None:
    """The ``slmLsp`` part of a didChangeConfiguration payload (or the payload itself)."""
    if isinstance(payload, dict):
        inner = payload.get(SECTION)
        if isinstance(inner, dict):
            return inner
        if payload and all(_snake(k) in _FIELD_NAMES for k in payload):
            return payload
    return None


_FIELD_NAMES = {a.name for a in attrs.fields(Settings)}
