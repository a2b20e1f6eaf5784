"""In-process tests of the frame parser and the protocol's bookkeeping."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.lsp.server import LanguageServer

from benchmarks.lspclient import frame
from slm_lsp.protocol import SlmProtocol
from slm_lsp.transport import Frame, FrameError, FrameParser, _FrameWriter

bodies = st.lists(
    st.dictionaries(st.text(max_size=5), st.text(max_size=30) | st.integers(), max_size=4).map(
        lambda d: json.dumps(d).encode()
    ),
    min_size=1,
    max_size=6,
)


def feed_in_chunks(parser: FrameParser, data: bytes, cuts: list[int]) -> list:
    events, start = [], 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        events += parser.feed(data[start:cut])
        start = cut
    return events


@settings(max_examples=200)
@given(bodies=bodies, cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_valid_frames_come_out_whole_however_the_stream_is_cut(bodies, cuts) -> None:
    data = b"".join(frame(b) for b in bodies)
    assert feed_in_chunks(FrameParser(), data, cuts) == [Frame(b) for b in bodies]


@settings(max_examples=200)
@given(
    garbage=st.binary(min_size=1, max_size=200).filter(lambda g: b"ength" not in g.lower()),
    body=bodies.map(lambda b: b[0]),
    cuts=st.lists(st.integers(min_value=0), max_size=5),
)
def test_the_frame_after_garbage_is_recovered(garbage, body, cuts) -> None:
    events = feed_in_chunks(FrameParser(), garbage + b"\r\n" + frame(body), cuts)
    assert events[-1] == Frame(body)
    assert all(isinstance(e, FrameError) for e in events[:-1])
    assert len(events) <= 2


def test_oversized_content_length_is_refused_without_waiting() -> None:
    parser = FrameParser(max_content_length=1000)
    events = parser.feed(b"Content-Length: 1001\r\n\r\n" + b"x" * 10)
    assert events == [FrameError("Content-Length 1001 exceeds 1000")]
    assert parser.pending <= 32


def test_short_body_is_cut_at_the_next_header() -> None:
    parser = FrameParser()
    assert parser.feed(b"Content-Length: 100\r\n\r\n{}") == []
    assert parser.feed(frame(b"[1]")) == [Frame(b"{}"), Frame(b"[1]")]


def test_notification_futures_are_forgotten() -> None:
    server = LanguageServer("t", "0", protocol_cls=SlmProtocol)
    protocol = server.protocol
    assert isinstance(protocol, SlmProtocol)
    out = io.BytesIO()
    protocol.set_writer(_FrameWriter(out, on_lost=lambda: None))
    init = {"processId": None, "rootUri": None, "capabilities": {}}
    protocol.data_received(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}).encode()
    )
    for version in range(20):
        doc = {
            "uri": "file:///a.py",
            "languageId": "python",
            "version": version,
            "text": "x" * version,
        }
        message = {
            "jsonrpc": "2.0",
            "method": types.TEXT_DOCUMENT_DID_OPEN,
            "params": {"textDocument": doc},
        }
        protocol.data_received(json.dumps(message).encode())
    assert protocol.workspace.get_text_document("file:///a.py").source == "x" * 19
    assert protocol._request_futures == {}
