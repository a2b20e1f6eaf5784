"""Fixtures for the protocol tests: a raw-bytes client on a real server process."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rawclient import ECHO_SERVER, REAL_SERVER, REPO, RawClient  # noqa: E402


def real_server_available() -> bool:
    """True once ``slm_lsp/server.py`` exists and defines ``create_server``."""
    path = REPO / "slm_lsp" / "server.py"
    if not path.exists() or not (REPO / "slm_lsp" / "__main__.py").exists():
        return False
    return "def create_server" in path.read_text(encoding="utf-8")


SERVERS = [
    pytest.param(ECHO_SERVER, id="echo"),
    pytest.param(
        REAL_SERVER,
        id="slm_lsp",
        marks=pytest.mark.skipif(
            not real_server_available() or importlib.util.find_spec("pygls") is None,
            reason="slm_lsp.server.create_server is not there yet",
        ),
    ),
]


@pytest.fixture(params=SERVERS)
def server_cmd(request: pytest.FixtureRequest) -> list[str]:
    """The command line of each server the raw-frame tests run against."""
    return request.param


@pytest.fixture
def raw(server_cmd: list[str]):
    """A fresh, not yet initialized server process."""
    client = RawClient(server_cmd)
    yield client
    client.stop()
    assert client.stdout_errors == [], client.stdout_errors


@pytest.fixture
def ready(raw: RawClient) -> RawClient:
    """A fresh server process after the initialize handshake."""
    raw.initialize()
    return raw


@pytest.fixture
def echo():
    """An initialized echo server (for behaviours only its handlers provoke)."""
    client = RawClient(ECHO_SERVER)
    client.initialize()
    yield client
    client.stop()
    assert client.stdout_errors == [], client.stdout_errors
