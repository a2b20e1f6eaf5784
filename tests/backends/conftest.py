"""Fixtures for the remote-backend tests: protocol doubles on loopback ports; the report names
the real inference server the tests ran against."""

from __future__ import annotations

import logging

import pytest

from slm_lsp.models.registry import load_registry

from .backend_doubles import Double, LlamaServerHandler, OllamaHandler
from .real_server import STARTED


def pytest_terminal_summary(terminalreporter) -> None:
    """Name the real server the backend tests ran against: its version and llama.cpp build."""
    if STARTED:
        terminalreporter.section("real inference server")
        for description in STARTED:
            terminalreporter.write_line(description)


@pytest.fixture
def qwen():
    return load_registry().formats["qwen"]


@pytest.fixture
def plain():
    return load_registry().formats["plain"]


@pytest.fixture
def llama_double():
    with Double(LlamaServerHandler) as double:
        yield double


@pytest.fixture
def ollama_double():
    with Double(OllamaHandler) as double:
        yield double


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="slm_lsp")  # whatever level another test left
    return caplog
