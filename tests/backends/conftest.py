"""Fixtures for the remote-backend tests: protocol doubles on loopback ports, and a real
inference server (llama-cpp-python's OpenAI-compatible server with the embedded model) for the
session; the report names the real inference server the tests ran against."""

from __future__ import annotations

import logging

import pytest

from slm_lsp.models.registry import load_registry

from .backend_doubles import Double, LlamaServerHandler, OllamaHandler
from .real_server import NOT_STARTED, SERVER_KEY, STARTED, RealServer, start_real_server


def pytest_terminal_summary(terminalreporter) -> None:
    """Name the real server the backend tests ran against: its version, llama.cpp build and
    model, and the processes started (pid, port); or why none could start."""
    if not STARTED and not NOT_STARTED:
        return
    terminalreporter.section("real inference server")
    for description, processes in STARTED.items():
        terminalreporter.write_line(description)
        terminalreporter.write_line(f"  {len(processes)} started: {', '.join(processes)}")
    for reason in dict.fromkeys(NOT_STARTED):
        terminalreporter.write_line(f"not started: {reason[:500]}")


@pytest.fixture(scope="session")
def real_server() -> RealServer:
    """llama-cpp-python's OpenAI-compatible server with the embedded model on a loopback port,
    asking for ``SERVER_KEY``, for the whole session (stopped at its end). A test that must
    kill a server starts its own (``start_real_server``)."""
    server = start_real_server(api_key=SERVER_KEY)
    yield server
    server.stop()


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
