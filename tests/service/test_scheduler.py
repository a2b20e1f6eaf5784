"""Latest wins: requests pre-empt older requests and idle-time work, on one inference thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from slm_lsp.completion.scheduler import Scheduler
from slm_lsp.completion.stats import CompletionStats
from slm_lsp.engine.base import Cancel
from slm_lsp.engine.host import EngineHost


@pytest.fixture
def scheduler():
    host = EngineHost(lambda *status: None)
    yield Scheduler(host, CompletionStats())
    host.shutdown()


def _waiting_job(started: threading.Event):
    """A job that runs until it is cancelled; returns whether it was."""

    def job(cancel: Cancel) -> bool:
        started.set()
        return cancel.wait(5)

    return job


async def _until(event: threading.Event) -> None:
    for _ in range(500):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the job did not start")


async def test_a_job_runs_on_the_inference_thread(scheduler) -> None:
    name = await scheduler.run("file:///a.py", lambda cancel: threading.current_thread().name)
    assert name.startswith("slm-infer")


async def test_a_newer_request_preempts_the_running_one(scheduler) -> None:
    started = threading.Event()
    older = asyncio.create_task(scheduler.run("file:///a.py", _waiting_job(started)))
    await _until(started)
    newer = await scheduler.run("file:///b.py", lambda cancel: cancel.is_set())
    assert await older is True  # its cancel was raised
    assert newer is False
    assert scheduler.stats.counters["preempted"] == 1


async def test_a_cancelled_request_raises_its_cancel_and_is_counted(scheduler) -> None:
    started = threading.Event()
    cancels: list[Cancel] = []

    def job(cancel: Cancel) -> bool:
        cancels.append(cancel)
        return _waiting_job(started)(cancel)

    task = asyncio.create_task(scheduler.run("file:///a.py", job))
    await _until(started)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancels[0].is_set()
    assert scheduler.stats.counters["cancelled"] == 1


async def test_a_change_of_the_document_cancels_only_its_request(scheduler) -> None:
    started = threading.Event()
    task = asyncio.create_task(scheduler.run("file:///a.py", _waiting_job(started)))
    await _until(started)
    scheduler.document_changed("file:///other.py")
    await asyncio.sleep(0.05)
    assert not task.done()
    scheduler.document_changed("file:///a.py")
    assert await task is True


async def test_idle_work_is_preempted_by_a_request(scheduler) -> None:
    started = threading.Event()
    results: list[bool] = []
    scheduler.when_idle("speculation", _waiting_job(started), results.append)
    await _until(started)
    await scheduler.run("file:///a.py", lambda cancel: None)
    for _ in range(100):
        if results:
            break
        await asyncio.sleep(0.01)
    assert results == [True]  # it saw its cancel, and ``done`` got its result


async def test_a_change_of_a_document_cancels_idle_work_before_it_starts(scheduler) -> None:
    started = threading.Event()
    ran: list[str] = []
    request = asyncio.create_task(scheduler.run("file:///a.py", _waiting_job(started)))
    await _until(started)
    scheduler.when_idle("warming", lambda cancel: ran.append("warmed"), ran.append)
    scheduler.document_changed("file:///a.py")  # ends the request, and the idle job queued
    await request
    await asyncio.sleep(0.1)
    assert ran == []  # neither the job nor its ``done`` ran


async def test_a_newer_idle_job_of_the_same_kind_replaces_the_older(scheduler) -> None:
    started = threading.Event()
    results: list[bool] = []
    scheduler.when_idle("speculation", _waiting_job(started), results.append)
    await _until(started)
    scheduler.when_idle("speculation", lambda cancel: "second", results.append)
    for _ in range(100):
        if len(results) == 2:
            break
        await asyncio.sleep(0.01)
    assert results == [True, "second"]
