"""Code actions for one server: instant listing and lazy computing.

Listing reads the tree only. The model runs when an action is resolved (or applied through the
``slmLsp.applyAction`` command), on the inference thread, with work-done progress where the
client supports it; cancelling the request or the progress stops the model within a token.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.uris import from_fs_path

from .. import paths
from ..engine.base import Cancel
from ..languages import grammar, rules_for
from ..languages.test_conventions import ScaffoldRefused
from . import compute, extract_edits, refactor, rewrite, scaffold
from .drafter import Cancelled, Drafter
from .kinds import KIND_REWRITE, KINDS
from .lsp import (
    COMMAND,
    REWRITE_COMMAND,
    ActionData,
    RewriteArgs,
    credit,
    matches_only,
    resolve_supported,
)
from .targets import definition_at

if TYPE_CHECKING:
    from ..documents import Document
    from ..languages.test_conventions import TestPlan
    from ..server import SlmServer

log = logging.getLogger(__name__)

# Wall-time budgets for the model, per action (tests draft several bodies).
BUDGET_S = {"fix": 20.0, "docstring": 15.0, "tests": 40.0, "extract_function": 10.0,
            "extract_variable": 10.0, "rewrite": 60.0}
MAX_TEST_FILE_BYTES = 4 * 1024 * 1024
REWRITE_TITLE = "Rewrite selection as asked…"


class Actions:
    """The code-action feature of one server."""

    def __init__(self, server: SlmServer):
        self.server = server
        self.rewriter = rewrite.RewriteModels(server)
        server.host.on_shutdown(self.rewriter.close)

    # -- listing (never calls the model) ---------------------------------------------------
    def list(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        """The actions for a range: fixes for its diagnostics, docstring and tests."""
        uri = params.text_document.uri
        doc = self.server.documents.get(uri)
        if doc is None:
            return []
        settings = self.server.settings.actions
        only = params.context.only
        wanted: list[tuple[str, str, ActionData, list[types.Diagnostic] | None]] = []
        r = params.range

        def data(kind: str, rng: types.Range, **kw) -> ActionData:
            return ActionData(uri=uri, version=doc.version, kind=kind,
                              start_line=rng.start.line, start_character=rng.start.character,
                              end_line=rng.end.line, end_character=rng.end.character, **kw)

        if settings.fix:
            for diag in params.context.diagnostics:
                message = (diag.message or "problem").strip().splitlines()[0]
                title = f"Fix: {message[:80]}"
                wanted.append(("fix", title, data("fix", diag.range, message=message,
                                                  title=title), [diag]))
        target = None
        rules = rules_for(doc.language_id)
        if doc.tree is not None and rules is not None and rules.definitions:
            offset = doc.offset_at(r.start.line, r.start.character)
            target = definition_at(doc.tree, doc.byte_offset(offset), doc.language_id)
        if settings.docstring and target is not None and not target.documented and not (
                rules.docstring is not None and rules.docstring.inside_body and target.one_line):
            title = f"Generate docstring for `{target.name}`"
            wanted.append(("docstring", title, data("docstring", r, title=title), None))
        if settings.tests and scaffold.supported(doc.language_id):
            if target is not None:
                title = f"Generate tests for `{target.name}`"
                wanted.append(("tests", title, data("tests", r, title=title), None))
            title = "Generate tests for this module"
            wanted.append(("tests", title, data("tests", r, scope="module", title=title), None))
        lazy = resolve_supported(self.server.client_capabilities)
        actions = []
        for kind, title, d, diags in wanted:
            if not matches_only(KINDS[kind], only):
                continue
            action = types.CodeAction(title=title, kind=KINDS[kind], diagnostics=diags,
                                      data=d.to_wire())
            if not lazy:
                action.command = types.Command(title=title, command=COMMAND,
                                               arguments=[d.to_wire()])
            actions.append(action)
        actions.extend(self._refactorings(doc, params, data, lazy))
        return actions

    def _refactorings(self, doc: Document, params: types.CodeActionParams, data,
                      lazy: bool) -> list[types.CodeAction]:
        """Extract function/variable (disabled, with the reason, when the tree forbids it)
        and rewrite selection as asked, for a non-empty selection."""
        settings, r, only = self.server.settings.actions, params.range, params.context.only
        if r.start == r.end or doc.tree is None or grammar(doc.language_id) is None:
            return []
        out = []
        if settings.refactor:
            source = doc.text.encode("utf-8", "surrogatepass")
            a = doc.byte_offset(doc.offset_at(r.start.line, r.start.character))
            b = doc.byte_offset(doc.offset_at(r.end.line, r.end.character))
            show_disabled = get_capability(self.server.client_capabilities,
                                           "text_document.code_action.disabled_support", False)
            for kind, reason in refactor.offers(doc.tree, source, a, b, doc.language_id):
                if not matches_only(KINDS[kind], only) or (reason and not show_disabled):
                    continue
                title = refactor.TITLES[kind]
                d = data(kind, r, title=title)
                action = types.CodeAction(title=title, kind=KINDS[kind], data=d.to_wire())
                if reason:
                    action.disabled = types.CodeActionDisabled(reason=reason)
                elif not lazy:
                    action.command = types.Command(title=title, command=COMMAND,
                                                   arguments=[d.to_wire()])
                out.append(action)
        if settings.rewrite and matches_only(KIND_REWRITE, only):
            # The editor asks for the instruction, then sends it with this command.
            args = {"uri": doc.uri, "range": {
                "start": {"line": r.start.line, "character": r.start.character},
                "end": {"line": r.end.line, "character": r.end.character}}}
            out.append(types.CodeAction(title=REWRITE_TITLE, kind=KIND_REWRITE,
                                        command=types.Command(title=REWRITE_TITLE,
                                                              command=REWRITE_COMMAND,
                                                              arguments=[args])))
        return out

    # -- computing --------------------------------------------------------------------------
    async def resolve(self, action: types.CodeAction) -> types.CodeAction:
        """Fill in the action's edit (the model runs here)."""
        data = ActionData.from_wire(action.data)
        if data is None:
            return action
        outcome, edit = await self.compute(data)
        if edit is None:
            reason = outcome.refusal or "nothing to do"
            action.title = f"{action.title} ({reason})"
            action.disabled = types.CodeActionDisabled(reason=reason)
            self.server.show(types.MessageType.Warning, f"slm-lsp: {reason}")
            return action
        action.edit = edit
        note = credit(outcome, data.kind)
        if note:
            action.title = f"{action.title} ({note})"
        return action

    async def apply(self, data: ActionData) -> dict:
        """The command path: compute the edit and ask the client to apply it."""
        outcome, edit = await self.compute(data)
        if edit is None:
            reason = outcome.refusal or "nothing to do"
            self.server.show(types.MessageType.Warning, f"slm-lsp: {reason}")
            return {"applied": False, "reason": reason}
        note = credit(outcome, data.kind)
        label = data.title or "slm-lsp"
        try:
            result = await self.server.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
                edit=edit, label=f"{label} ({note})" if note else label))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - an editor may answer a declined edit with an error
            reason = " ".join(str(exc).split()) or type(exc).__name__
            log.info("%s: the editor did not apply the edit (%s)", data.title or "edit", reason)
            return {"applied": False, "reason": reason}
        applied = bool(result and result.applied)
        reason = (result.failure_reason or "") if result else "no answer"
        if not applied:
            log.info("%s: the editor did not apply the edit%s", data.title or "edit",
                     f" ({reason})" if reason else "")
        return {"applied": applied, "reason": reason}

    async def rewrite(self, args: RewriteArgs) -> dict:
        """The ``slmLsp.rewrite`` command: rewrite the range as the instruction asks."""
        doc = self.server.documents.get(args.uri)
        if doc is None:
            return {"applied": False, "reason": "the document is not open"}
        r = args.range
        data = ActionData(uri=args.uri, version=doc.version if args.version is None
                          else args.version, kind="rewrite", start_line=r.start.line,
                          start_character=r.start.character, end_line=r.end.line,
                          end_character=r.end.character, title="Rewrite selection",
                          instruction=args.instruction)
        return await self.apply(data)

    def _enabled(self, kind: str) -> bool:
        a = self.server.settings.actions
        return {"fix": a.fix, "docstring": a.docstring, "tests": a.tests,
                "extract_function": a.refactor, "extract_variable": a.refactor,
                "rewrite": a.rewrite}.get(kind, False)

    async def compute(self, data: ActionData
                      ) -> tuple[compute.Outcome, types.WorkspaceEdit | None]:
        """The outcome of an action and its edit (None when there is nothing safe to do)."""
        from .lsp import EditRefused, to_edit

        doc = self.server.documents.get(data.uri)
        if doc is None:
            return compute.Outcome(refusal="the document is not open"), None
        if doc.version != data.version:
            return compute.Outcome(refusal="the document changed; ask for the action again"), None
        if not self._enabled(data.kind):
            return compute.Outcome(refusal=f"{data.kind} actions are turned off"), None
        text, lang, version = doc.text, doc.language_id, doc.version
        a = doc.offset_at(data.start_line, data.start_character)
        b = doc.offset_at(data.end_line, data.end_character)
        existing, file_version, plan = None, None, None
        if data.kind == "tests":
            source = paths.path_of_uri(data.uri)
            try:
                if source is None:
                    raise ScaffoldRefused("the document is not a file: save it first")
                plan = scaffold.plan(self._root(), source, lang, text=doc.text)
                existing, file_version = self._existing(plan.path)
            except ScaffoldRefused as exc:
                return compute.Outcome(refusal=f"no tests generated: {exc}"), None
        outcome = await self._run(data, text, lang, a, b, plan, existing)
        current = self.server.documents.get(data.uri)
        if current is None or current.version != version:
            return compute.Outcome(refusal="the document changed while the model ran"), None
        if outcome.empty:
            return outcome, None
        try:
            edit = to_edit(outcome, uri=data.uri, version=version, text=text,
                           encoding=doc.encoding, caps=self.server.client_capabilities,
                           file_version=file_version, annotation=credit(outcome, data.kind))
        except EditRefused as exc:
            return compute.Outcome(refusal=str(exc)), None
        return outcome, edit

    def _root(self) -> str | None:
        return self.server.workspace_root()

    def _existing(self, path: str) -> tuple[str | None, int | None]:
        """The test file's text (open buffer first, then disk) and its open version.

        Raises ``ScaffoldRefused`` for a file that cannot be appended to safely: not a
        regular file, too large, or not UTF-8 (its text would be taken for empty)."""
        uri = from_fs_path(path) or path
        open_doc = self.server.documents.get(uri)
        if open_doc is not None:
            return open_doc.text, open_doc.version
        if not os.path.lexists(path):
            return None, None
        name = os.path.basename(path)
        try:
            data = paths.read_bytes(path, MAX_TEST_FILE_BYTES, root=self._root())
        except paths.Skipped as exc:
            raise ScaffoldRefused(f"{name} is not appended to: {exc.reason}") from None
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            raise ScaffoldRefused(f"{name} is not UTF-8 text; open it in the editor "
                                           "to append tests to it") from None

    async def _run(self, data: ActionData, text: str, lang: str, a: int, b: int,
                   plan: TestPlan | None, existing: str | None) -> compute.Outcome:
        loaded = await self.server.host.wait_ready(timeout=60)
        cancel = Cancel()
        settings = self.server.settings.actions
        drafter = Drafter(loaded.engine if loaded else None, loaded.fmt if loaded else None,
                          cancel, time.monotonic() + BUDGET_S[data.kind], settings.max_tokens)
        if data.kind == "fix":
            fn, args = compute.compute_fix, (text, lang, a, b, data.message, drafter)
        elif data.kind == "docstring":
            fn, args = compute.compute_docstring, (text, lang, a, drafter)
        elif data.kind in ("extract_function", "extract_variable"):
            fn, args = extract_edits.compute_extract, (text, lang, a, b, data.kind, drafter)
        elif data.kind == "rewrite":
            fn, args = self.rewriter.compute, (text, lang, a, b, data.instruction, loaded,
                                               cancel, drafter.deadline, settings.max_tokens)
        else:
            offset = None if data.scope == "module" else a
            fn, args = compute.compute_tests, (text, lang, offset, plan, existing, drafter)
        token = await self._begin_progress(data, cancel)
        done = "done"
        try:
            return await self.server.host.run(fn, *args)
        except asyncio.CancelledError:
            cancel.set()
            done = "cancelled"
            raise
        except Cancelled:
            done = "cancelled"
            return compute.Outcome(refusal="cancelled")
        finally:
            if token is not None:
                self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(
                    message=done))

    async def _begin_progress(self, data: ActionData, cancel: Cancel) -> str | None:
        if not get_capability(self.server.client_capabilities, "window.work_done_progress",
                              False):
            return None
        token = str(uuid.uuid4())
        progress = self.server.work_done_progress
        try:
            await progress.create_async(token)
        except Exception:  # noqa: BLE001 - a client that refuses a token gets no progress
            return None
        progress.begin(token, types.WorkDoneProgressBegin(
            title=f"slm-lsp: {data.title or data.kind}", cancellable=True,
            message="asking the model"))
        future = progress.tokens.get(token)
        if future is not None:
            future.add_done_callback(lambda f: cancel.set() if f.cancelled() else None)
        return token

