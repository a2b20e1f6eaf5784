"""The install instructions and examples users copy: they name things that exist."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from slm_lsp.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
USER_FACING = [
    "README.md",
    "editors/vscode/README.md",
    "editors/vscode/src/server.ts",
    "editors/neovim/README.md",
    "editors/neovim/doc/slm_lsp.txt",
    "editors/neovim/lua/slm_lsp/health.lua",
    "docs/editors.md",
]


@pytest.mark.parametrize("doc", USER_FACING)
def test_no_install_from_a_package_index_that_does_not_have_it(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert not re.search(r"pipx? install ['\"]?slm-lsp\b", text), doc
    assert "slm-lsp[hub]" not in text


def test_the_editor_readmes_install_from_a_checkout():
    for doc in ("editors/vscode/README.md", "editors/neovim/README.md"):
        assert "pipx install /path/to/slm-lsp" in (ROOT / doc).read_text(encoding="utf-8")


def test_the_packaged_extension_readme_has_no_relative_links():
    # vsce rewrites relative links against package.json's repository URL.
    text = (ROOT / "editors/vscode/README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert all(re.match(r"https?://", link) for link in links), links


def test_the_server_args_examples_are_flags_the_server_accepts(tmp_path):
    package = json.loads((ROOT / "editors/vscode/package.json").read_text(encoding="utf-8"))
    described = package["contributes"]["configuration"]["properties"]["slmLsp.server.args"]
    readme = (ROOT / "editors/vscode/README.md").read_text(encoding="utf-8")
    examples = re.findall(r"(\[\\?\"serve\\?\".*?\])", described["description"] + readme)
    assert examples
    for example in examples:
        args = json.loads(example.replace('\\"', '"'))
        parsed = build_parser().parse_args(args)
        assert parsed.func.__name__ == "cmd_serve", shlex.join(args)
