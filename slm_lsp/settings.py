"""The one settings object: typed, defaulted, camelCase on the wire.

Layers, lowest first: defaults <- environment (``SLM_LSP_MODEL``) <- command line (``--model``)
<- ``initializationOptions`` <- ``workspace/configuration`` / ``didChangeConfiguration``.
Bad values are reported and replaced by their defaults; they never stop the server.
"""

from __future__ import annotations

import json
import math
import os
import re
import typing
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
    # At a place whose prompt is not cached, answer first from a window that evaluates in
    # about this long, and evaluate the full window in the background (0: always full).
    first_answer_ms: int = 1000
    # Prompt lookup decoding: draft tokens verified with each generated token (0: off).
    draft_tokens: int = 0


@attrs.define
class ContextSettings:
    """How the prompt is filled: token budgets for each part."""

    prefix_tokens: int = 384
    suffix_tokens: int = 128
    snippet_tokens: int = 384
    recent_tokens: int = 256
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
    refactor: bool = True  # extract function / extract variable
    rewrite: bool = True  # rewrite selection as asked
    # The model for rewrites: a models.toml id or a GGUF path; "" = the completion model when
    # it is an instruct model (the embedded SmolLM2-135M-Instruct is).
    rewrite_model: str = ""


@attrs.define
class NextEditSettings:
    """Next edit suggestions (``slmLsp/nextEdit``, the "Next edit: ..." code action)."""

    enable: bool = True
    # Reserved for the model that proposes next edits (a models.toml id or a GGUF path; "" =
    # proposals from the syntax tree only). Read by the model's side of next edits.
    model: str = ""


@attrs.define
class Settings:
    """Everything a user can set. The wire names are the camelCase of these fields."""

    model: str = ""
    n_threads: int = 0
    n_ctx: int = 2048
    n_batch: int = 256
    kv_reuse: bool = True
    # The KV cache's memory: the live context plus the recent places kept (see engine/places.py).
    kv_cache_mb: int = 1024
    kv_cache_type: Literal["f16", "q8_0"] = "f16"
    backend: BackendSettings = attrs.Factory(BackendSettings)
    completion: CompletionSettings = attrs.Factory(CompletionSettings)
    context: ContextSettings = attrs.Factory(ContextSettings)
    actions: ActionSettings = attrs.Factory(ActionSettings)
    next_edit: NextEditSettings = attrs.Factory(NextEditSettings)
    log_level: Literal["error", "warning", "info", "debug"] = "info"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    # Nested classes first: a class's hook resolves its fields' hooks when it is made.
    for cls in (BackendSettings, CompletionSettings, ContextSettings, ActionSettings,
                NextEditSettings, Settings):
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


# The accepted range of every number, by its documented (camelCase) name.
RANGES: dict[str, tuple[float, float]] = {
    "nThreads": (0, 256),
    "nCtx": (256, 1 << 20),
    "nBatch": (8, 1 << 16),
    "kvCacheMb": (0, 1 << 20),
    "backend.timeoutMs": (100, 600_000),
    "backend.retries": (0, 10),
    "completion.maxTokens": (1, 4096),
    "completion.maxLines": (1, 1000),
    "completion.timeBudgetMs": (50, 600_000),
    "completion.firstAnswerMs": (0, 600_000),
    "completion.draftTokens": (0, 64),
    "completion.confidenceThreshold": (0.0, 1.0),
    "context.prefixTokens": (16, 1 << 20),
    "context.suffixTokens": (0, 1 << 20),
    "context.snippetTokens": (0, 1 << 20),
    "context.recentTokens": (0, 1 << 20),
    "context.maxIndexFiles": (1, 1_000_000),
    "actions.maxTokens": (1, 8192),
}
MAX_STRING = 4096


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


def _unset_nulls(layer: dict[str, Any]) -> dict[str, Any]:
    """``layer`` without its null values (at any depth)."""
    return {k: _unset_nulls(v) if isinstance(v, dict) else v
            for k, v in layer.items() if v is not None}


def _shown(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _value(name: str, kind: Any, value: Any, default: Any) -> tuple[Any, str | None]:
    """``value`` checked against ``kind`` and the range of ``name``: (value, None) when good,
    (default, problem) when not."""
    def bad(expected: str) -> tuple[Any, str]:
        return default, (f"{name}: expected {expected}, got {_shown(value)} ({_kind(value)}); "
                         f"using the default {_shown(default)}")

    if typing.get_origin(kind) is Literal:
        choices = typing.get_args(kind)
        if value not in choices or not isinstance(value, str):
            return bad("one of " + ", ".join(json.dumps(c) for c in choices))
        return value, None
    if kind is bool:
        return (value, None) if isinstance(value, bool) else bad("true or false")
    if kind is str:
        if not isinstance(value, str) or len(value) > MAX_STRING or "\0" in value:
            return bad("a string")
        return value, None
    if typing.get_origin(kind) is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return bad("a list of strings")
        return list(value), None
    if kind in (int, float):
        low, high = RANGES.get(name, (-math.inf, math.inf))
        number = value
        if kind is int and isinstance(value, float) and value.is_integer():
            number = int(value)
        ok_type = isinstance(number, int) if kind is int else isinstance(number, (int, float))
        if isinstance(value, bool) or not ok_type or (
                isinstance(number, float) and not math.isfinite(number)):
            return bad("a whole number" if kind is int else "a number")
        if not low <= number <= high:
            return bad(f"a number in {_shown(low)}..{_shown(high)}")
        return (float(number) if kind is float else number), None
    return bad(str(kind))  # pragma: no cover - every field's type is handled above


def _structure(cls: type, data: dict[str, Any], prefix: str, problems: list[str]) -> Any:
    """An instance of ``cls`` from a camelCase dict: each bad value reported and replaced by
    its default; ``null`` means the default; unknown keys are reported and ignored."""
    hints = typing.get_type_hints(cls)
    fields = {_camel(a.name): a for a in attrs.fields(cls)}
    for key in data:
        if key not in fields:
            problems.append(f"{prefix}{key}: not a setting; ignored")
    defaults = cls()
    values: dict[str, Any] = {}
    for wire, field in fields.items():
        if wire not in data or data[wire] is None:
            continue
        name, kind, value = prefix + wire, hints[field.name], data[wire]
        if attrs.has(kind):
            if isinstance(value, dict):
                values[field.name] = _structure(kind, value, name + ".", problems)
            else:
                problems.append(f"{name}: expected an object, got {_shown(value)} "
                                f"({_kind(value)}); using the defaults")
            continue
        good, problem = _value(name, kind, value, getattr(defaults, field.name))
        if problem:
            problems.append(problem)
        else:
            values[field.name] = good
    return cls(**values)


def resolve(
    *layers: dict[str, Any] | None, cli_model: str | None = None
) -> tuple[Settings, list[str]]:
    """Merge the layers (lowest first) over the defaults; returns the settings and the problems.

    ``cli_model`` (``--model``) beats ``SLM_LSP_MODEL``; any layer that names a model beats both.
    Every value is checked for its type and range: a wrong one is named in the problems (by its
    camelCase name) and its default is used. ``null`` means "not set": the default, or what
    a lower layer set.
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
            problems.append(f"settings must be an object, got {_kind(layer)}")
            continue
        merged = _merge(merged, _unset_nulls(layer))
    settings = _structure(Settings, merged, "", problems)
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
