"""Property test: no sequence of frames, however broken, loses the server.

One long-lived server process per server kind receives, per example, a few
generated chunks (valid requests with random params and out-of-range positions,
truncated frames, bad headers, wrong lengths, random bytes, random JSON), then a
ping request that must be answered. ``SLM_FUZZ_EXAMPLES`` raises the number of
examples (100 by default, to keep the default run quick).
"""

from __future__ import annotations

import itertools
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.lspclient import LspProcess, frame

from .servers import SERVERS

EXAMPLES = int(os.environ.get("SLM_FUZZ_EXAMPLES", "100"))
URIS = st.sampled_from(
    ["file:///tmp/a.py", "file:///tmp/b.js", "untitled:x", "file:///nope", "", "::"]
)
BIG_INT = st.integers(min_value=-(2**33), max_value=2**33)
SMALL_INT = st.integers(min_value=0, max_value=200)

json_leaf = st.none() | st.booleans() | BIG_INT | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
positions = (
    st.fixed_dictionaries({"line": SMALL_INT | BIG_INT, "character": SMALL_INT | BIG_INT})
    | json_values
)
text_doc = st.fixed_dictionaries({"uri": URIS}) | json_values
position_params = st.fixed_dictionaries({"textDocument": text_doc, "position": positions})
doc_text = st.text(max_size=200) | st.sampled_from(["", "\x00\x00", "é😋\n\tx", "a\r\nb\rc\n"])
did_open = st.fixed_dictionaries(
    {
        "textDocument": st.fixed_dictionaries(
            {
                "uri": URIS,
                "languageId": st.sampled_from(["python", "javascript", "???"]),
                "version": BIG_INT,
                "text": doc_text,
            }
        )
    }
)
did_change = st.fixed_dictionaries(
    {
        "textDocument": st.fixed_dictionaries({"uri": URIS, "version": BIG_INT}),
        "contentChanges": st.lists(
            st.fixed_dictionaries({"text": doc_text})
            | st.fixed_dictionaries(
                {
                    "range": st.fixed_dictionaries({"start": positions, "end": positions}),
                    "text": doc_text,
                }
            ),
            max_size=3,
        ),
    }
)
ids = st.integers(min_value=10**6, max_value=10**9) | st.text(min_size=1, max_size=8) | json_values


@st.composite
def messages(draw) -> bytes:
    """One framed message: a request, a notification or a random JSON value."""
    kind = draw(st.sampled_from(["request", "notification", "json"]))
    if kind == "json":
        return frame(json.dumps(draw(json_values)))
    method, params = draw(
        st.sampled_from(
            [
                ("textDocument/completion", position_params),
                ("textDocument/hover", position_params),
                ("textDocument/inlineCompletion", position_params),
                ("textDocument/didOpen", did_open),
                ("textDocument/didChange", did_change),
                ("textDocument/didClose", st.fixed_dictionaries({"textDocument": text_doc})),
                ("$/cancelRequest", st.fixed_dictionaries({"id": ids})),
                ("slm/unknown", json_values),
            ]
        )
    )
    message = {
        "jsonrpc": draw(st.sampled_from(["2.0", "2.0", "2.0", "1.0"])),
        "method": method,
        "params": draw(params),
    }
    if kind == "request":
        message["id"] = draw(ids)
    return frame(json.dumps(message))


@st.composite
def broken(draw) -> bytes:
    """A framing mistake: truncation, a wrong length, a bad header or raw bytes."""
    data = draw(messages())
    head, _, body = data.partition(b"\r\n\r\n")
    choice = draw(
        st.sampled_from(["truncate", "length", "header", "bytes", "no-header", "non-utf8"])
    )
    if choice == "truncate":
        return data[: draw(st.integers(min_value=0, max_value=len(data) - 1))]
    if choice == "length":
        delta = draw(st.integers(min_value=-len(body), max_value=10**6).filter(bool))
        return b"Content-Length: %d\r\n\r\n" % (len(body) + delta) + body
    if choice == "header":
        line = draw(st.binary(max_size=40).filter(lambda b: b"\n" not in b))
        return line + b"\r\n" + data
    if choice == "no-header":
        return body
    if choice == "non-utf8":
        return frame(body[:-1] + b"\xff\xfe" + body[-1:])
    return draw(st.binary(min_size=1, max_size=300))


chunks = st.lists(messages() | broken(), min_size=1, max_size=5)


@pytest.fixture(scope="module", params=SERVERS)
def long_lived(request: pytest.FixtureRequest):
    """One initialized server for all examples."""
    client = LspProcess(request.param).start()
    client.initialize()
    yield client
    alive = client.proc.poll() is None
    client.stop()
    assert alive, bytes(client.stderr[-2000:]).decode(errors="replace")
    assert client.stdout_errors == []


_ping_ids = itertools.count()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(sequence=chunks)
def test_server_answers_a_ping_after_any_frame_sequence(
    long_lived: LspProcess, sequence: list[bytes]
) -> None:
    for data in sequence:
        long_lived.send(data)
    ping_id = f"ping-{next(_ping_ids)}"
    long_lived.request("workspace/symbol", {"query": ""}, msg_id=ping_id)
    reply = long_lived.response(ping_id, timeout=15)
    long_lived.seen.clear()
    assert reply is not None, (
        f"no answer to {ping_id}; process alive: {long_lived.proc.poll() is None}"
    )
    assert long_lived.proc.poll() is None
    assert long_lived.stdout_errors == []
