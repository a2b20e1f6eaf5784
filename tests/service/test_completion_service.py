"""The completion service with a scripted engine: one request's path from the document to the
answer (trigger, cache, context, prompt, engine, filters), its stats record, and the work it
leaves for idle time. No model: the engine answers from rules (tests/support/fake_engine.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from slm_lsp.completion import service as service_module
from slm_lsp.completion.service import CompletionService
from slm_lsp.context.recent import RecentPlaces
from slm_lsp.documents import DocumentStore
from slm_lsp.engine import host as host_module
from slm_lsp.engine.base import GenerationRequest, Snippet
from slm_lsp.engine.host import EngineHost
from slm_lsp.settings import resolve
from tests.support.fake_engine import FakeEngine

URI = "file:///w/app.py"
BODY = "def area(w, h):\n    "  # an empty line in a body: a block completion


class World:
    """A service over a loaded scripted engine, and the documents it reads."""

    def __init__(self, engine: FakeEngine, settings) -> None:
        self.engine = engine
        self.host = EngineHost(lambda *status: None)
        self.documents = DocumentStore()
        self.service = CompletionService(settings, self.host, self.documents,
                                         RecentPlaces(lambda uri: None))

    def open(self, text: str, version: int = 1):
        return self.documents.open(URI, text, version, "python")

    async def until(self, check, timeout_s: float = 5.0) -> None:
        for _ in range(int(timeout_s / 0.01)):
            if check():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("timed out")


@pytest.fixture
def world(monkeypatch):
    worlds: list[World] = []

    async def make(rules: list[dict], engine_cls=FakeEngine, **completion) -> World:
        engine = engine_cls({"format": "plain", "rules": rules})
        monkeypatch.setattr(host_module, "make_engine",
                            lambda settings: (engine, engine.fmt, None))
        settings, problems = resolve({"completion": completion})
        assert not problems
        w = World(engine, settings)
        worlds.append(w)
        assert await w.host.load(settings) is not None
        return w

    yield make
    for w in worlds:
        w.host.shutdown()


async def test_no_trigger_no_model_call_and_no_record(world) -> None:
    w = await world([{"match": "", "text": "never"}])
    doc = w.open("total = compute(x)\n")
    inside_a_word = doc.text.index("pute")
    assert await w.service.complete(doc, inside_a_word, invoked=False, request_id=1) is None
    assert w.engine.prompts == []
    assert list(w.service.stats.records) == []


async def test_disabled_completion_asks_nothing(world) -> None:
    w = await world([{"match": "", "text": "return w * h"}], enable=False)
    doc = w.open(BODY)
    assert await w.service.complete(doc, len(BODY), invoked=True) is None
    assert w.engine.prompts == []


async def test_a_model_answer_goes_through_the_filters(world) -> None:
    # The filters cut the block where its indentation leaves the body.
    w = await world([{"match": "def area", "text": "return w * h\n\nprint(area(2, 3))\n"}])
    doc = w.open(BODY)
    result = await w.service.complete(doc, len(BODY), invoked=False)
    assert result is not None and result.source == "model"
    assert result.items == ["return w * h"]


AMONG = "def area(w, h):\n    \n    return w * h\n"  # an empty line among statements
AMONG_AT = AMONG.index("\n    \n") + 5


@pytest.mark.parametrize("invoked", [False, True])
async def test_an_answer_the_filters_drop_gives_way_to_the_next_candidate(world, invoked) -> None:
    # The greedy answer repeats the line after the cursor, so the filters drop it; the next
    # candidate, decoded over the prompt just evaluated, answers instead of nothing, whether the
    # user typed or asked.
    w = await world([{"match": "def area", "text": "return w * h\n", "decode_ms": 400,
                      "alternatives": ["w = abs(w)\n"]}], timeBudgetMs=2500)
    doc = w.open(AMONG)
    result = await w.service.complete(doc, AMONG_AT, invoked=invoked, candidates=invoked,
                                      request_id=3)
    assert result is not None and result.text == "w = abs(w)"
    (rec,) = w.service.stats.records
    assert rec["runs"] == 2 and "dropped" not in rec
    # The second run decodes only the candidates, over the same prompt, in what the greedy
    # answer's decoding left of the time budget.
    first, second = w.engine.requests
    assert first.greedy and not second.greedy and second.alternatives > 0
    assert second.prompt == first.prompt
    assert second.decode_budget_s == pytest.approx(2.5 - 0.4)


@pytest.mark.parametrize("invoked", [False, True])
async def test_no_candidates_once_the_greedy_answer_spent_the_time_budget(world, invoked) -> None:
    w = await world([{"match": "def area", "text": "return w * h\n", "decode_ms": 2450,
                      "alternatives": ["w = abs(w)\n"]}], timeBudgetMs=2500)
    doc = w.open(AMONG)
    result = await w.service.complete(doc, AMONG_AT, invoked=invoked, candidates=invoked,
                                      request_id=3)
    assert result is None and len(w.engine.requests) == 1


async def test_an_answer_the_filters_keep_is_one_run(world) -> None:
    w = await world([{"match": "def area", "text": "h = abs(h)\n",
                      "alternatives": ["w = abs(w)\n"]}])
    doc = w.open(AMONG)
    result = await w.service.complete(doc, AMONG_AT, invoked=False, request_id=4)
    assert result is not None and result.items == ["h = abs(h)"]
    (rec,) = w.service.stats.records
    assert rec["runs"] == 1 and len(w.engine.prompts) == 1


async def test_one_request_makes_one_record_with_its_times(world) -> None:
    w = await world([{"match": "def area", "text": "return w * h\n"}])
    doc = w.open(BODY)
    await w.service.complete(doc, len(BODY), invoked=False, request_id=7)
    records = list(w.service.stats.records)
    assert len(records) == 1
    rec = records[0]
    assert rec["id"] == 7 and rec["source"] == "model" and rec["stopReason"] == "stop"
    assert all(rec[k] >= 0 for k in ("snapshotMs", "waitMs", "buildMs", "postMs", "handlerMs"))
    assert rec["handlerMs"] >= rec["buildMs"] + rec["postMs"]
    assert w.service.stats.counters["requests"] == 1


async def test_typing_through_a_suggestion_is_served_from_the_cache(world) -> None:
    w = await world([{"match": "def area", "text": "return w * h\n"}], speculative=False)
    doc = w.open(BODY)
    first = await w.service.complete(doc, len(BODY), invoked=False, request_id=1)
    assert first is not None and first.text == "return w * h"
    doc.apply_change("ret", (1, 4), (1, 4))
    doc.version = 2
    w.service.document_changed(URI)
    second = await w.service.complete(doc, len(BODY) + 3, invoked=False, request_id=2)
    assert second is not None and second.source == "cache"
    assert second.text == "urn w * h"
    assert len(w.engine.prompts) == 1  # the model was asked once
    assert [r["source"] for r in w.service.stats.records] == ["model", "cache"]
    assert w.service.stats.counters["cache"] == 1


async def test_cross_file_context_is_found_on_the_inference_thread_once_the_trigger_fires(
        world, monkeypatch) -> None:
    threads: list[str] = []

    def select_snippets(index, text, offset, language_id, path, budget, count, *, tree=None):
        threads.append(threading.current_thread().name)
        return (Snippet("geometry.py", "def square(side):\n    return side * side\n"),)

    monkeypatch.setattr(service_module, "select_snippets", select_snippets)
    w = await world([{"match": "def area", "text": "return w * h\n"}])
    w.service.index = object()  # an index (the stand-in above reads none)
    doc = w.open("total = compute(x)\n" + BODY)
    assert await w.service.complete(doc, doc.text.index("pute"), invoked=False) is None
    assert threads == []  # no trigger, no context
    await w.service.complete(doc, len(doc.text), invoked=False)
    assert len(threads) == 1 and threads[0].startswith("slm-infer")
    assert "def square(side)" in w.engine.prompts[-1]  # the snippet is in the prompt


async def test_a_change_of_the_document_cancels_its_request(world) -> None:
    w = await world([{"match": "def area", "text": "return w * h\n", "delay_s": 5}])
    doc = w.open(BODY)
    task = asyncio.create_task(w.service.complete(doc, len(BODY), invoked=False,
                                                  request_id=1))
    await w.until(lambda: w.engine.prompts)
    doc.apply_change("r", (1, 4), (1, 4))
    doc.version = 2
    w.service.document_changed(URI)
    assert await asyncio.wait_for(task, 2) is None
    rec = w.service.stats.records[0]
    assert rec["dropped"] == "cancelled" and rec["stopMs"] >= 0


async def test_an_as_you_type_request_where_the_user_asked_waits_for_that_answer(
        world) -> None:
    w = await world([{"match": "def area", "text": "return w * h\n", "delay_s": 0.5}])
    doc = w.open(BODY)
    asked = asyncio.create_task(w.service.complete(doc, len(BODY), invoked=True,
                                                   request_id=1))
    await w.until(lambda: w.engine.prompts)  # the model runs the request the user asked for
    typed = await asyncio.wait_for(
        w.service.complete(doc, len(BODY), invoked=False, request_id=2), 5)
    answer = await asked
    assert answer is not None and answer.text.startswith("return w * h"), answer
    assert typed is not None and typed.source == "cache" and typed.text == answer.text
    sources = {r["id"]: r["source"] for r in w.service.stats.records}
    assert sources == {1: "model", 2: "cache"}  # one model call served both
    assert w.service.stats.counters["preempted"] == 0


async def test_an_as_you_type_request_elsewhere_still_pre_empts_an_asked_one(world) -> None:
    w = await world([{"match": "def area", "text": "return w * h\n", "delay_s": 5}])
    doc = w.open(BODY + "\n")
    asked = asyncio.create_task(w.service.complete(doc, len(BODY), invoked=True,
                                                   request_id=1))
    await w.until(lambda: w.engine.prompts)
    await asyncio.wait_for(w.service.complete(doc, len(BODY) + 1, invoked=False,
                                              request_id=2), 10)
    assert await asyncio.wait_for(asked, 2) is None
    assert w.service.stats.counters["preempted"] == 1


async def test_an_answer_for_text_that_is_gone_is_dropped(world) -> None:
    w = await world([{"match": "def area", "text": "return w * h\n", "delay_s": 1}])
    doc = w.open(BODY)
    task = asyncio.create_task(w.service.complete(doc, len(BODY), invoked=False))
    await w.until(lambda: w.engine.prompts)
    doc.version = 2  # a change the service was not told of: its answer must not be shown
    assert await task is None
    assert w.service.stats.records[0]["stopReason"] == "stop"  # the model did answer


async def test_the_completion_after_accepting_one_is_computed_in_idle_time(world) -> None:
    w = await world([{"match": "return w * h", "text": "  # the area"},
                     {"match": "def area", "text": "return w * h\n"}])
    doc = w.open(BODY)
    first = await w.service.complete(doc, len(BODY), invoked=False)
    assert first is not None and first.text == "return w * h"
    await w.until(lambda: w.service.stats.counters["speculated"] == 1)
    assert len(w.engine.prompts) == 2  # the request and the speculation
    doc.apply_change(first.text, (1, 4), (1, 4))  # the user accepts it
    doc.version = 2
    nxt = await w.service.complete(doc, len(BODY) + len(first.text), invoked=False)
    assert nxt is not None and nxt.source == "cache" and nxt.text == "  # the area"
    assert len(w.engine.prompts) == 2  # no new model call


class SlowPromptEngine(FakeEngine):
    """Says its prompts would take long to evaluate (a big model on a slow machine)."""

    def estimate(self, request: GenerationRequest) -> tuple[int, float]:
        return len(request.prompt), 100.0  # a token a character, 100 tokens/s: seconds


async def test_a_first_answer_from_a_short_window_warms_the_full_prompt_in_idle_time(
        world) -> None:
    w = await world([{"match": "def area", "text": "return w * h\n"}],
                    engine_cls=SlowPromptEngine, speculative=False)
    doc = w.open("import math\n" * 200 + BODY)
    result = await w.service.complete(doc, len(doc.text), invoked=False)
    assert result is not None and result.window == "short"
    await w.until(lambda: w.service.stats.counters["warmed"] == 1)
    short, full = w.engine.requests
    assert full.max_tokens == 0  # evaluated, nothing generated
    assert len(full.prompt) > len(short.prompt)


async def test_no_model_loaded_answers_nothing(world) -> None:
    w = await world([{"match": "", "text": "x"}])
    w.host.shutdown()
    doc = w.open(BODY)
    assert await w.service.complete(doc, len(BODY), invoked=True) is None
    assert list(w.service.stats.records) == []

