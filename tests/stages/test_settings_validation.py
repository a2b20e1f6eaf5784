"""Every setting is checked for its type and range: a wrong value is named (camelCase, as
documented) and its default is used; null means "not set"."""

from __future__ import annotations

import pytest

from slm_lsp.settings import Settings, resolve, to_wire


def _leaves(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _nest(name: str, value) -> dict:
    head, _, rest = name.partition(".")
    return {head: _nest(rest, value) if rest else value}


def _get(settings: Settings, name: str):
    wire = to_wire(settings)
    for part in name.split("."):
        wire = wire[part]
    return wire


BAD = [
    ("backend.retries", 1e9),
    ("backend.retries", -1),
    ("backend.timeoutMs", -1),
    ("context.maxIndexFiles", -1),
    ("completion.enable", "false"),
    ("completion.disabledLanguages", "python"),
    ("completion.disabledLanguages", [1, 2]),
    ("model", 3),
    ("nCtx", "2048"),
    ("nCtx", 10),
    ("nCtx", 1.5),
    ("completion.confidenceThreshold", 2),
    ("completion.confidenceThreshold", True),
    ("completion.maxTokens", float("nan")),
    ("logLevel", "loud"),
    ("backend.type", "cloud"),
    ("kvReuse", 1),
]


@pytest.mark.parametrize(("name", "value"), BAD, ids=[f"{n}={v!r}" for n, v in BAD])
def test_a_wrong_value_is_named_and_its_default_used(name, value):
    settings, problems = resolve(_nest(name, value))
    assert len(problems) == 1 and problems[0].startswith(f"{name}:"), problems
    assert _get(settings, name) == _get(Settings(), name)


def test_every_number_has_a_range():
    from slm_lsp.settings import RANGES

    numbers = {k for k, v in _leaves(to_wire(Settings()))
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    assert numbers == set(RANGES)


def test_null_means_not_set():
    settings, problems = resolve({"model": None, "completion": {"enable": None}})
    assert problems == [] and settings.model == "" and settings.completion.enable is True
    settings, problems = resolve({"model": "m.gguf", "nCtx": 4096}, {"model": None, "nCtx": None})
    assert problems == [] and settings.model == "m.gguf" and settings.n_ctx == 4096


def test_good_values_pass_and_others_are_kept():
    settings, problems = resolve({"backend": {"retries": 3.0, "timeoutMs": 90_000.0},
                                  "completion": {"enable": False, "maxTokens": "many",
                                                 "disabledLanguages": ["markdown"]}})
    assert problems == [
        'completion.maxTokens: expected a whole number, got "many" (a string); using the '
        'default 64']
    assert settings.backend.retries == 3 and settings.backend.timeout_ms == 90_000
    assert settings.completion.enable is False
    assert settings.completion.disabled_languages == ["markdown"]


def test_unknown_keys_and_wrong_shapes_are_reported():
    _, problems = resolve({"completion": 5, "colour": "blue"})
    assert problems[0].startswith("colour:") and problems[1].startswith("completion:")
    _, problems = resolve([1, 2])  # type: ignore[arg-type]
    assert problems == ["settings must be an object, got a list"]
