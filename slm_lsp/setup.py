"""Building the server: its state (``server.SlmServer``) and its features, in the order they
hear of documents and settings. The one place that knows every feature, so none imports
another."""

from __future__ import annotations

from .actions.feature import Actions
from .actions.handlers import register as register_actions
from .diagnostics import SyntaxDiagnostics
from .handlers import Completions, DocumentSync, Lifecycle, WorkspaceIndex
from .nextedit.feature import ACTION_KIND, NextEdits
from .server import Feature, SlmServer
from .settings import Settings


class CodeActions(Feature):
    """The code actions (``actions/``): their handlers, and the rewrite model they keep, which
    is released when the settings no longer name it."""

    def __init__(self, server: SlmServer, next_edits: NextEdits):
        self.actions = Actions(server)
        server.actions = self.actions  # what the handlers of actions/handlers.py read
        self.next_edits = next_edits

    def register(self, server: SlmServer) -> None:
        # The next edit is offered as a code action too ("Next edit: ...").
        register_actions(server, [(ACTION_KIND, self.next_edits.code_actions)])

    def settings_changed(self, settings: Settings) -> None:
        self.actions.rewriter.settings_changed()


def create_server(*, cli_model: str | None = None, cli_layer: dict | None = None) -> SlmServer:
    """A fresh server with every feature added."""
    server = SlmServer(cli_model=cli_model, cli_layer=cli_layer)
    next_edits = NextEdits(server)
    completions = Completions(server, inline_first=next_edits.inline_item)
    for feature in (Lifecycle(), DocumentSync(), completions, WorkspaceIndex(server),
                    SyntaxDiagnostics(server), next_edits, CodeActions(server, next_edits)):
        server.add_feature(feature)
    return server
