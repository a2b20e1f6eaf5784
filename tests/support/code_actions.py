"""Shared pieces of the code-action end-to-end tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

DATA = Path(__file__).resolve().parents[1] / "data" / "actions"
PROJECT = DATA / "project"


def init_params(caps: types.ClientCapabilities, root: Path = PROJECT, **options
                ) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=caps, root_uri=from_fs_path(str(root)),
        workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(root)), name=root.name)],
        initialization_options=options or None)


def answer_notices(client) -> None:
    """Answer the server's dynamic registrations and status notifications as editors do."""
    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        return None

    @client.feature("slmLsp/status")
    def status(params) -> None:
        return None


def record_apply_edit(client) -> list[types.ApplyWorkspaceEditParams]:
    """Make the test client answer as editors do: workspace/applyEdit (recorded), dynamic
    registration and the server's status notifications."""
    applied: list[types.ApplyWorkspaceEditParams] = []
    answer_notices(client)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    return applied


async def code_actions(client, uri: str, rng: types.Range,
                       diagnostics: list[types.Diagnostic] | None = None,
                       only: list[str] | None = None) -> list:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=diagnostics or [], only=only)))
    return result or []


def by_title(actions: list, start: str):
    found = [a for a in actions if getattr(a, "title", "").startswith(start)]
    assert found, f"no action starting with {start!r} in {[a.title for a in actions]}"
    return found[0]


async def diagnostics_of(client, uri: str,
                         until: Callable[[list[types.Diagnostic]], bool] = lambda d: True,
                         timeout: float = 60.0) -> list[types.Diagnostic]:
    """The diagnostics published for ``uri`` once ``until`` holds for them.

    Keyed to the URI: a publish for another document (a debounced one from an earlier test on
    a shared client) never ends the wait. ``timeout`` is a generous bound for a busy machine.
    """
    async def wait() -> list[types.Diagnostic]:
        while uri not in client.diagnostics or not until(list(client.diagnostics[uri])):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(wait(), timeout)
