"""Fixtures for the remote-backend tests: protocol doubles on loopback ports."""

from __future__ import annotations

import logging

import pytest

from slm_lsp.models.registry import load_registry

from .backend_doubles import Double, LlamaServerHandler, OllamaHandler


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
