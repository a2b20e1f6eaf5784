"""Registration of the code-action feature: codeAction, codeAction/resolve and the
``slmLsp.applyAction`` and ``slmLsp.rewrite`` commands. Handlers only translate; ``Actions``
does the work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from lsprotocol import types

from ..server import SlmServer
from .kinds import ADVERTISED
from .lsp import COMMAND, REWRITE_COMMAND, ActionData, RewriteArgs, matches_only

# Another feature's code actions, listed with these (``setup.py`` joins them): its kind, and
# what it lists for a request.
Provider = tuple[str, Callable[[types.CodeActionParams], list[types.CodeAction]]]


def _cancel_with_request(ls: SlmServer) -> None:
    """pygls runs a command's handler as a task of its own, which cancelling the
    ``workspace/executeCommand`` request does not reach (it cancels only the request's result
    future): cancel the handler's task with it, so the model stops as it does for a resolve."""
    outer = ls.protocol.request_future(ls.protocol.msg_id)
    task = asyncio.current_task()
    if outer is None or task is None:
        return
    loop = asyncio.get_running_loop()
    outer.add_done_callback(
        lambda f: loop.call_soon_threadsafe(task.cancel) if f.cancelled() else None)


def register(server: SlmServer, providers: Sequence[Provider] = ()) -> None:
    """Add the code actions to ``server`` (their state lives in ``server.actions``), and the
    ``providers``' actions (other features') after them."""
    kinds = ADVERTISED + [kind for kind, _ in providers if kind not in ADVERTISED]

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=kinds, resolve_provider=True))
    def code_action(ls: SlmServer, params: types.CodeActionParams
                    ) -> list[types.CodeAction] | None:
        actions = ls.actions.list(params)
        for kind, listing in providers:
            if matches_only(kind, params.context.only):
                actions.extend(listing(params))
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: SlmServer, params: types.CodeAction) -> types.CodeAction:
        return await ls.actions.resolve(params)

    @server.command(COMMAND)
    async def apply_action(ls: SlmServer, args: ActionData) -> dict:
        _cancel_with_request(ls)
        return await ls.actions.apply(args)

    @server.command(REWRITE_COMMAND)
    async def rewrite(ls: SlmServer, args: RewriteArgs) -> dict:
        _cancel_with_request(ls)
        return await ls.actions.rewrite(args)
