"""A return to a place shows the recent places its first visit showed, so that the prompt is
the one the engine kept for that place (pure: prompts only, no model)."""

from __future__ import annotations

from pathlib import Path

from slm_lsp.completion.prompt import RecentHeads, build_prompt
from slm_lsp.completion.snapshot import Snapshot
from slm_lsp.completion.trigger import decide
from slm_lsp.context.recent import RecentPlaces
from slm_lsp.context.window import Anchors, LineTokens
from slm_lsp.documents import Document
from slm_lsp.models.registry import load_registry
from slm_lsp.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TEXT_A = (ROOT / "slm_lsp" / "engine" / "local.py").read_text(encoding="utf-8")
TEXT_B = (ROOT / "slm_lsp" / "engine" / "places.py").read_text(encoding="utf-8")


class _Words:
    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1


def _visit(docs, ring, uri, needle, typed=""):
    doc = docs[uri]
    offset = doc.text.index(needle) + len(needle)
    if typed:
        doc.text = doc.text[:offset] + typed + doc.text[offset:]
        offset += len(typed)
    line = doc.text.count("\n", 0, offset)
    ring.visit(uri, uri.rsplit("/", 1)[-1], "python", line)
    d = Document(uri=uri, text=doc.text, version=1, language_id="python")
    return Snapshot.of(d, offset, decide(d, offset, invoked=True), path=uri.rsplit("/", 1)[-1],
                       recent=ring.chunks())


def _prompts(heads: RecentHeads | None) -> tuple[str, str]:
    fmt = load_registry().formats["deepseek"]
    engine, settings = _Words(), Settings()
    counter, anchors = LineTokens(engine.count_tokens), Anchors()
    docs = {u: Document(uri=u, text=t, language_id="python")
            for u, t in (("file:///w/a.py", TEXT_A), ("file:///w/b.py", TEXT_B))}
    ring = RecentPlaces(lambda u: docs[u].text if u in docs else None)

    def prompt(snap):
        return build_prompt(snap, fmt, engine, settings, counter, anchors, heads=heads).text

    first = prompt(_visit(docs, ring, "file:///w/a.py", "    def _drop_tail(", "x"))
    prompt(_visit(docs, ring, "file:///w/b.py", "    def keep(", "y"))  # a move: a's chunk
    prompt(_visit(docs, ring, "file:///w/a.py", "    def load_vocab(", "z"))
    back = prompt(_visit(docs, ring, "file:///w/a.py", "    def _drop_tail(x"))
    return first, back


def test_a_return_shows_the_recent_places_of_its_first_visit() -> None:
    first, back = _prompts(RecentHeads())
    assert back == first


def test_after_a_while_a_return_shows_the_ring_as_it_is() -> None:
    first, back = _prompts(RecentHeads(max_age_s=0.0))
    assert back != first and back.endswith(first[-200:])


def test_without_memory_a_return_starts_with_other_recent_places() -> None:
    first, back = _prompts(None)
    assert back != first and back.endswith(first[-200:])
