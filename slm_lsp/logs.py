"""Logging: stderr always, a file when ``--log-file`` names one, and ``window/logMessage`` once a
client is connected. Never stdout, which carries JSON-RPC."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable

LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO,
          "debug": logging.DEBUG}


class ClientLogHandler(logging.Handler):
    """Forwards records to the client; safe to call from any thread."""

    def __init__(self, send: Callable[[int, str], None], loop: asyncio.AbstractEventLoop):
        super().__init__(logging.INFO)
        self._send = send
        self._loop = loop

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("pygls"):
            return  # the framework's own chatter stays on stderr
        try:
            message = self.format(record)
            self._loop.call_soon_threadsafe(self._send, record.levelno, message)
        except RuntimeError:
            pass  # the loop is closed: we are shutting down
        except Exception:  # noqa: BLE001
            self.handleError(record)


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_stderr(level: str = "info", log_file: str = "") -> None:
    """Log to stderr, and also to ``log_file`` (appended to) when given.

    Raises ``OSError`` when the file cannot be opened for writing.
    """
    root = logging.getLogger()
    if not any(getattr(h, "_slm_stderr", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._slm_stderr = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if log_file and not any(getattr(h, "_slm_file", "") == log_file for h in root.handlers):
        file_handler = logging.FileHandler(log_file, encoding="utf-8", delay=False)
        file_handler.setFormatter(logging.Formatter(FORMAT))
        file_handler._slm_file = log_file  # type: ignore[attr-defined]
        root.addHandler(file_handler)
    set_level(level)
    logging.getLogger("pygls").setLevel(logging.WARNING)


def set_level(level: str) -> None:
    logging.getLogger("slm_lsp").setLevel(LEVELS.get(level, logging.INFO))
    logging.getLogger().setLevel(logging.WARNING)
