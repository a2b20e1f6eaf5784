"""Building the server: its state (``server.SlmServer``), the code actions' state, and every
LSP handler registered on it. The one place that knows all three, so none imports another."""

from __future__ import annotations

from .actions.feature import Actions
from .actions.handlers import register as register_actions
from .diagnostics import SyntaxDiagnostics
from .handlers import register as register_core
from .server import SlmServer


def create_server(*, cli_model: str | None = None, cli_layer: dict | None = None) -> SlmServer:
    """A fresh server with every feature registered."""
    server = SlmServer(cli_model=cli_model, cli_layer=cli_layer)
    server.diagnostics = SyntaxDiagnostics(server)
    server.actions = Actions(server)
    register_core(server)
    register_actions(server)
    return server
