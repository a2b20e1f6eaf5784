"""The benchmarks' CPU time: the server's from /proc, the figures of a run, accepted characters."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time

import pytest

from benchmarks import quality, tasks
from benchmarks.lspclient import LspProcess, Reply, clock_ticks, cpu_seconds, parse_proc_stat
from benchmarks.replay import cpu_figures

# A real line of /proc/<pid>/stat (52 fields), its command name made awkward: spaces and ")".
STAT = ("4242 (py thon) (x)) S 4200 4242 4200 34816 4242 4194304 5713 0 0 0 1234 567 0 0 20 0 "
        "9 0 123456 250000000 20000 18446744073709551615 1 1 0 0 0 0 0 16781312 134235650 0 0 "
        "0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n")


def test_utime_and_stime_are_read_after_the_last_parenthesis():
    assert parse_proc_stat(STAT) == (1234, 567)


def test_a_name_without_spaces_reads_the_same_fields():
    plain = STAT.replace("(py thon) (x))", "(python)")
    assert parse_proc_stat(plain) == (1234, 567)


def test_clock_ticks_are_the_kernels_user_hz():
    assert clock_ticks() == os.sysconf("SC_CLK_TCK") > 0


def test_cpu_seconds_agree_with_the_process_own_clock():
    before, own = cpu_seconds(os.getpid()), time.process_time()
    while time.process_time() - own < 0.3:  # busy for 0.3 CPU seconds, however loaded
        pass
    used, own_used = cpu_seconds(os.getpid()) - before, time.process_time() - own
    # /proc reports whole ticks: each reading is short by less than one, so the difference of
    # two is off by less than one either way (and 0.3 - 0.01 is not exact in floating point).
    assert used == pytest.approx(own_used, abs=2.5 / clock_ticks())
    assert used >= 0.3 - 2 / clock_ticks()


def test_cpu_seconds_count_every_thread_of_a_process():
    # The main thread only waits; the CPU is spent in another thread, as llama.cpp's workers
    # spend it in the server: 0.3 s of that thread's own CPU time, however busy the machine.
    child = subprocess.Popen([sys.executable, "-c", (
        "import threading, time\n"
        "def spin():\n"
        "    while time.thread_time() < 0.3: pass\n"
        "t = threading.Thread(target=spin); t.start(); t.join()\n"
        "print('spun', flush=True)\n"
        "input()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "spun\n"
        assert cpu_seconds(child.pid) >= 0.3 - 1 / clock_ticks()
    finally:
        child.communicate("\n", timeout=30)


def test_a_process_that_is_gone_has_no_cpu_time():
    assert math.isnan(cpu_seconds(-1))
    assert math.isnan(LspProcess().cpu())  # not started


def test_a_reply_carries_the_cpu_spent_while_its_request_was_in_flight():
    assert Reply(1.0, cpu_sent=2.5, cpu_at=3.25).cpu_s == pytest.approx(0.75)
    assert math.isnan(Reply(1.0).cpu_s)  # sent without a reading


def test_cpu_figures_split_a_run_into_requests_and_the_time_between():
    fig = cpu_figures([0.1, 0.3, math.nan, 0.2], total_s=1.0, accepted=20)
    assert fig["cpu_p50_s"] == pytest.approx(0.2)
    assert fig["cpu_mean_s"] == pytest.approx(0.2)
    assert fig["cpu_requests_s"] == pytest.approx(0.6)
    assert fig["cpu_between_s"] == pytest.approx(0.4)
    assert fig["cpu_per_char_s"] == pytest.approx(0.05)  # the whole run over what was kept


def test_nothing_accepted_has_no_cpu_per_character():
    fig = cpu_figures([], total_s=2.0, accepted=0)
    assert math.isnan(fig["cpu_per_char_s"]) and math.isnan(fig["cpu_p50_s"])
    assert fig["cpu_between_s"] == 2.0


def test_accepted_characters_are_the_common_prefix_after_normalising():
    line = tasks.Task("t", "line", "python", "x.py", "def f():\n    x  = g(a)\n", 13,
                      "x  = g(a)")
    assert quality.accepted_chars(line, "x = g(b)\nmore") == len("x = g(")
    assert quality.accepted_chars(line, "  x   =  g(a)  ") == len("x = g(a)")
    assert quality.accepted_chars(line, "") == 0
    block = tasks.Task("b", "block", "python", "x.py",
                       "def f():\n    a = 1\n    return a\n", 13, "a = 1\n    return a")
    assert quality.accepted_chars(block, "a = 1   \n    return b\n\n") == len(
        "a = 1\n    return ")
    assert quality.score(block, "a = 1\n    return a")["accepted"] == len(block.expected)


def test_quality_divides_the_run_total_by_the_kept_characters():
    rows = [{**quality.score(tasks.Task("t", "midline", "python", "x.py", "y = f(a)\n", 6,
                                        "a"), answer), "latency_ms": 10.0, "cpu_s": cpu}
            for answer, cpu in (("a", 0.5), ("b", 0.25))]
    assert quality.summarize(rows)["cpu_per_char_s"] == pytest.approx(0.75)
    assert quality.summarize(rows, total_cpu_s=3.0)["cpu_per_char_s"] == pytest.approx(3.0)
    assert quality.summarize(rows)["accepted_chars"] == 1
