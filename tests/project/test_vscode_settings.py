"""The VS Code extension's settings (editors/vscode/package.json) mirror the server's ``Settings``.

Every leaf of ``to_wire(Settings())`` must be contributed as ``slmLsp.<path>`` with the matching
JSON type, the server's default and, for ``Literal`` fields, the same enum; and nothing else may
be contributed besides the extension's own ``slmLsp.server.*`` / ``slmLsp.trace.*`` keys.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest

from slm_lsp.settings import SECTION, Settings, _camel, resolve, section_of, to_wire

PACKAGE_JSON = Path(__file__).resolve().parents[2] / "editors" / "vscode" / "package.json"
CLIENT_ONLY = {"slmLsp.server.path", "slmLsp.server.args", "slmLsp.trace.server"}


def _properties() -> dict[str, dict[str, Any]]:
    manifest = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    return manifest["contributes"]["configuration"]["properties"]


def _leaves(wire: dict[str, Any], prefix: str = SECTION) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in wire.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}.{key}"))
        else:
            out[f"{prefix}.{key}"] = value
    return out


def _field_types(cls: type, prefix: str = SECTION) -> dict[str, Any]:
    """The Python type of every leaf field, keyed by its wire path."""
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for field in attrs.fields(cls):
        path = f"{prefix}.{_camel(field.name)}"
        hint = hints[field.name]
        if attrs.has(hint):
            out.update(_field_types(hint, path))
        else:
            out[path] = hint
    return out


def _json_type(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        kinds = {type(v) for v in typing.get_args(hint)}
        assert len(kinds) == 1, f"mixed Literal {hint}"
        return _json_type(kinds.pop())
    if origin in (list, tuple, set):
        return "array"
    if origin is dict:
        return "object"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}[hint]


LEAVES = _leaves(to_wire(Settings()))
TYPES = _field_types(Settings)


def test_every_server_setting_is_contributed_and_nothing_else():
    contributed = set(_properties())
    assert contributed - CLIENT_ONLY == set(LEAVES), (
        f"missing from package.json: {sorted(set(LEAVES) - contributed)}; "
        f"unknown to the server: {sorted(contributed - CLIENT_ONLY - set(LEAVES))}"
    )
    assert CLIENT_ONLY <= contributed


def test_field_types_and_wire_leaves_agree():
    # The walk over the attrs classes finds exactly the wire's leaves (guards the helper).
    assert set(TYPES) == set(LEAVES)


@pytest.mark.parametrize("key", sorted(LEAVES))
def test_type_and_default_match_the_server(key: str):
    prop = _properties()[key]
    default = LEAVES[key]
    assert prop["type"] == _json_type(TYPES[key]), key
    assert "default" in prop, key
    assert prop["default"] == default, key
    assert type(prop["default"]) is type(default) or isinstance(default, float), key
    assert prop.get("description"), f"{key} has no description"


@pytest.mark.parametrize(
    "key", sorted(k for k, t in TYPES.items() if typing.get_origin(t) is Literal)
)
def test_literal_settings_have_the_same_enum(key: str):
    assert _properties()[key].get("enum") == list(typing.get_args(TYPES[key])), key


@pytest.mark.parametrize("key", sorted(k for k in LEAVES if typing.get_origin(TYPES[k]) is list))
def test_list_settings_declare_their_item_type(key: str):
    (item,) = typing.get_args(TYPES[key])
    assert _properties()[key].get("items", {}).get("type") == _json_type(item), key


def test_client_only_settings():
    props = _properties()
    assert props["slmLsp.server.path"]["type"] == "string"
    assert props["slmLsp.server.path"]["default"] == ""
    assert props["slmLsp.server.args"]["type"] == "array"
    assert props["slmLsp.server.args"]["default"] == []
    assert props["slmLsp.trace.server"]["enum"] == ["off", "messages", "verbose"]
    assert props["slmLsp.trace.server"]["default"] == "off"


def _section_from_defaults() -> dict[str, Any]:
    """The `slmLsp` object VS Code builds from the contributed defaults."""
    section: dict[str, Any] = {}
    for key, prop in _properties().items():
        *parents, leaf = key.split(".")[1:]
        node = section
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = prop["default"]
    return section


def test_what_the_extension_sends_by_default_is_the_servers_defaults():
    # The extension sends the section minus its own keys (src/settings.ts::serverSettings).
    section = _section_from_defaults()
    del section["server"], section["trace"]
    settings, problems = resolve(section)
    assert problems == []
    assert settings == Settings()
    assert section_of({SECTION: section}) == section
