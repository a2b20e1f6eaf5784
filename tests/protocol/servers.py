"""The servers the raw-frame tests run against: the echo server (handlers that misbehave on
purpose) and the real one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.lspclient import server_command

ECHO_SERVER = [sys.executable, str(Path(__file__).with_name("echo_server.py"))]
REAL_SERVER = server_command()

SERVERS = [
    pytest.param(ECHO_SERVER, id="echo"),
    pytest.param(REAL_SERVER, id="slm_lsp"),
]
