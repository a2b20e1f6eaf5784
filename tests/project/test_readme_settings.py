"""The README documents every setting, with its real default."""

from __future__ import annotations

import json
import re
from pathlib import Path

from slm_lsp.settings import Settings, to_wire

README = Path(__file__).resolve().parents[2] / "README.md"


def _leaves(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def test_every_setting_is_documented_with_its_default():
    rows = dict(re.findall(r"^\| `([\w.]+)` \| `([^`]*)` \|", README.read_text(), re.M))
    for key, default in _leaves(to_wire(Settings())):
        assert key in rows, f"README lacks setting {key}"
        assert json.loads(rows[key]) == default, f"README default of {key} is wrong"
    assert set(rows) <= dict(_leaves(to_wire(Settings()))).keys() | {"models"}
