"""Loaded by the server under test (via PYTHONPATH): records every network call it attempts."""

import os
import sys

_LOG = os.environ.get("SLM_LSP_NET_AUDIT_LOG")


def _hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.bind"):
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{event} {args!r}\n")


if _LOG:
    sys.addaudithook(_hook)
