"""Fixtures for the protocol tests: a raw-bytes client on a real server process."""

from __future__ import annotations

import pytest

from benchmarks.lspclient import LspProcess

from .servers import ECHO_SERVER, SERVERS


@pytest.fixture(params=SERVERS)
def server_cmd(request: pytest.FixtureRequest) -> list[str]:
    """The command line of each server the raw-frame tests run against."""
    return request.param


@pytest.fixture
def raw(server_cmd: list[str]):
    """A fresh, not yet initialized server process."""
    client = LspProcess(server_cmd).start()
    yield client
    client.stop()
    assert client.stdout_errors == [], client.stdout_errors


@pytest.fixture
def ready(raw: LspProcess) -> LspProcess:
    """A fresh server process after the initialize handshake."""
    raw.initialize()
    return raw


@pytest.fixture
def echo():
    """An initialized echo server (for behaviours only its handlers provoke)."""
    client = LspProcess(ECHO_SERVER).start()
    client.initialize()
    yield client
    client.stop()
    assert client.stdout_errors == [], client.stdout_errors
