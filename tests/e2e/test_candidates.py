"""Candidates when the user asks: the real server over stdio, the embedded model.

A first Invoked inline completion at a place answers one greedy item, at the cost of one. The
editor's cycle (an Invoked request where an answer was just given, as VS Code sends for its
next/previous keys) offers up to three different items, each through the filters (so each
parses), best first; an automatic one stays a single answer.
"""

from __future__ import annotations

import ast

import pytest_lsp
from conftest import server_command, server_env
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from support.lsp import apply_inline, capabilities, inline, open_doc, prepare

HOME = "def home():\n    \n"

SOURCES = {
    "views.py": ("from flask import Flask, render_template\n\napp = Flask(__name__)\n\n\n"
                 "@app.route(\"/\")\ndef home():\n    \n", 7, 4),
    "shapes.py": ("class Rectangle:\n    def __init__(self, width, height):\n"
                  "        self.width = width\n        \n", 3, 8),
    "stats.py": ("def mean(values):\n    total = 0\n    for v in values:\n        \n", 3, 8),
}


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=server_command(), server_env=server_env()),
)
async def client(lsp_client: LanguageClient):
    prepare(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities("utf-16"),
        initialization_options={"completion": {"timeBudgetMs": 60000}}))
    yield
    await lsp_client.shutdown_session()


def _parses(text: str, item: types.InlineCompletionItem) -> None:
    ast.parse(apply_inline(text, item, "utf-16"))


def _parses_or_awaits_a_body(text: str, item: types.InlineCompletionItem) -> None:
    """The document with the item parses, or would once the block header the item ends with
    (``for x in xs:``, the user's next line to write) has a body."""
    done = apply_inline(text, item, "utf-16")
    try:
        ast.parse(done)
    except SyntaxError:
        last = item.insert_text.rstrip().split("\n")[-1]
        assert last.rstrip().endswith(":"), item.insert_text
        indent = len(last) - len(last.lstrip()) + (len(text.split("\n")[item.range.start.line])
                                                   if "\n" not in item.insert_text else 0)
        ast.parse(done.replace(item.insert_text, item.insert_text + "\n" + " " * (indent + 4)
                               + "pass", 1))


async def test_invoked_in_an_empty_function_body_answers(client: LanguageClient):
    uri = "file:///work/home.py"
    open_doc(client, uri, HOME)
    for _ in range(2):  # and again: an explicit request is never answered from an empty cache
        result = await inline(client, uri, 1, 4)
        assert result is not None and result.items, "an Invoked request answered nothing"
        assert 1 <= len(result.items) <= 3
        texts = [item.insert_text for item in result.items]
        assert all(t.strip() for t in texts)
        assert len(set(texts)) == len(texts), texts
        for item in result.items:
            assert item.range.start == types.Position(1, 4) == item.range.end
            _parses(HOME, item)


async def test_the_cycle_offers_several_items_a_first_request_one(client: LanguageClient):
    counts = []
    for name, (text, line, col) in SOURCES.items():
        uri = f"file:///work/{name}"
        open_doc(client, uri, text)
        first = await inline(client, uri, line, col)
        assert first is not None and len(first.items) == 1, first
        cycle = await inline(client, uri, line, col)
        assert cycle is not None and cycle.items
        counts.append(len(cycle.items))
        texts = [item.insert_text for item in cycle.items]
        assert all(t.strip() for t in texts) and len(set(texts)) == len(texts), texts
        for item in cycle.items:
            _parses_or_awaits_a_body(text, item)
        automatic = await inline(client, uri, line, col, invoked=False)
        assert automatic is None or len(automatic.items) <= 1
    assert max(counts) > 1, f"no cycle offered more than one item: {counts}"


async def test_asking_where_ghost_text_is_shown_cycles(client: LanguageClient):
    # VS Code's next key sends an Invoked request where the as-you-type answer is shown.
    name = "stats.py"
    text, line, col = SOURCES[name]
    uri = f"file:///work/cycle-{name}"
    open_doc(client, uri, text)
    shown = await inline(client, uri, line, col, invoked=False)
    assert shown is not None and len(shown.items) == 1
    cycle = await inline(client, uri, line, col)
    assert cycle is not None and len(cycle.items) > 1, cycle


AMONG = ("def report(values):\n    total = sum(values)\n    \n"
         "    print(total)\n    return total\n")


async def test_invoked_among_statements_offers_one_statement_per_item(client: LanguageClient):
    # The block goes on after the cursor: each item adds one statement (with any body of its
    # own) and the function's existing statements stay as they are, after it.
    uri = "file:///work/report.py"
    open_doc(client, uri, AMONG)
    result = await inline(client, uri, 2, 4)
    assert result is not None and result.items, "an Invoked request answered nothing"
    for item in result.items:
        done = apply_inline(AMONG, item, "utf-16")
        body = ast.parse(done).body[0].body
        assert len(body) == 4, item.insert_text
        assert ast.unparse(body[-2:]) == "print(total)\nreturn total", item.insert_text
