"""The engine host: loading in the background with status, one inference thread, reloads and
shutdown. The engine is the scripted one (tests/support/fake_engine.py); no model."""

from __future__ import annotations

import asyncio
import threading

import pytest

from slm_lsp.engine import host as host_module
from slm_lsp.engine.host import EngineHost
from slm_lsp.errors import ModelNotFound
from slm_lsp.models.registry import load_registry
from slm_lsp.settings import resolve
from tests.support.fake_engine import FakeEngine


class ClosingEngine(FakeEngine):
    def __init__(self, script: dict) -> None:
        super().__init__(script)
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()


@pytest.fixture
def host():
    statuses: list[tuple] = []
    h = EngineHost(lambda *status: statuses.append(status))
    h.statuses = statuses  # type: ignore[attr-defined]
    yield h
    h.shutdown()


def _settings(model: str = ""):
    settings, problems = resolve({"model": model} if model else {})
    assert not problems
    return settings


def _serve(monkeypatch, *engines: FakeEngine, fmt=None) -> None:
    queue = list(engines)
    monkeypatch.setattr(host_module, "make_engine", lambda settings: (
        queue.pop(0), fmt or load_registry().formats["plain"], None))


async def test_a_load_reports_progress_then_ready(host, monkeypatch) -> None:
    engine = FakeEngine({"format": "plain"})
    _serve(monkeypatch, engine)
    fractions: list[float] = []
    loaded = await host.load(_settings(), fractions.append)
    assert loaded is not None and loaded.engine is engine and loaded.model_id == "fake"
    await asyncio.sleep(0)  # progress is reported through the event loop
    assert fractions == [1.0]
    assert host.statuses[0] == ("loading", "loading model", 0)
    assert host.statuses[-1] == ("ready", "fake", 100)
    assert await host.wait_ready(timeout=1) is loaded


async def test_the_loaded_format_is_the_one_the_engine_settled_on(host, monkeypatch) -> None:
    formats = load_registry().formats
    fim = next(f for f in formats.values() if f.is_fim)
    engine = FakeEngine({"format": fim.name})  # its vocabulary says FIM
    _serve(monkeypatch, engine, fmt=formats["plain"])  # the settings' guess
    loaded = await host.load(_settings())
    assert loaded is not None and loaded.fmt is engine.fmt and loaded.fmt.name == fim.name


async def test_a_failed_load_reports_one_error_and_disables_completion(host,
                                                                      monkeypatch) -> None:
    def missing(settings):
        raise ModelNotFound("no model named 'nowhere'")

    monkeypatch.setattr(host_module, "make_engine", missing)
    settings = _settings()
    assert await host.load(settings) is None
    assert host.error == "no model named 'nowhere'"
    assert host.statuses[-1] == ("error", "no model named 'nowhere'", None)
    assert await host.wait_ready(timeout=1) is None  # requests do not wait for it
    assert host.needs_reload(settings)  # the next change of settings tries again


async def test_a_reload_closes_the_previous_engine(host, monkeypatch) -> None:
    first, second = ClosingEngine({}), ClosingEngine({})
    _serve(monkeypatch, first, second)
    await host.load(_settings())
    loaded = await host.load(_settings())
    assert loaded is not None and loaded.engine is second
    assert first.closed.is_set() and not second.closed.is_set()


async def test_settings_that_change_the_model_need_a_reload(host, monkeypatch) -> None:
    _serve(monkeypatch, FakeEngine({}))
    settings = _settings()
    await host.load(settings)
    assert not host.needs_reload(settings)
    assert host.needs_reload(_settings("another-model"))


async def test_work_runs_on_one_inference_thread(host) -> None:
    names = {await host.run(lambda: threading.current_thread().name) for _ in range(3)}
    assert len(names) == 1 and names.pop().startswith("slm-infer")


async def test_shutdown_releases_the_engine_after_the_running_work(host, monkeypatch) -> None:
    engine = ClosingEngine({})
    _serve(monkeypatch, engine)
    await host.load(_settings())
    release = threading.Event()
    running = asyncio.ensure_future(host.run(release.wait, 5))
    await asyncio.sleep(0.05)
    host.shutdown()
    assert host.loaded is None
    assert not engine.closed.wait(0.1)  # not under the running work
    release.set()
    assert await running is True
    assert engine.closed.wait(2)
    assert await host.load(_settings()) is None  # no load after shutdown


async def test_the_host_owns_the_engines_it_loads_beside_the_completion_one(host, monkeypatch):
    made: list[ClosingEngine] = []

    def chat_engine(model, settings):
        made.append(ClosingEngine({}))
        return made[-1]

    monkeypatch.setattr(host_module, "make_chat_engine", chat_engine)
    first = await host.run(host.load_beside, "an-instruct-model", _settings())
    second = await host.run(host.load_beside, "another-one", _settings())
    assert made == [first, second]
    await host.run(host.close_beside, first)  # released when its feature no longer uses it
    assert first.closed.is_set() and not second.closed.is_set()
    host.shutdown()  # the rest at shutdown, once the inference thread's work has ended
    assert second.closed.wait(2)
