"""The pure parts of plot_sizes.py: names, series by size, load range (no matplotlib needed)."""

from __future__ import annotations

import math

import pytest

from benchmarks.plot_sizes import load_range, model_label, series


def run(params: int, path: str, kinds: dict, load=(1.0, 2.0)) -> dict:
    return {"benchmark": "moves", "model": {"id": path.rsplit("/", 1)[-1], "path": path,
                                            "params": params, "size_mb": params / 1e6},
            "load_average": {"before": [load[0], 0, 0], "after": [load[1], 0, 0], "cpus": 2},
            "configs": {"on": {"kinds": kinds}}}


def kind(n: int, ms: float, cpu: float) -> dict:
    return {"n": n, "p50_ms": ms, "cpu_p50_s": cpu, "cpu_mean_s": cpu * 1.1}


@pytest.mark.parametrize("path, label", [
    ("/x/SmolLM2-135M-Instruct.Q4_1.gguf", "SmolLM2 135M"),
    ("/c/gemma-3-270m-q4_k_m.gguf", "Gemma 3 270M"),
    ("/c/deepseek-coder-1.3b-base-random-v1.Q4_K_M.gguf", "DeepSeek-Coder 1.3B shape"),
    ("/c/starcoder2-3b-Q4_K_M.gguf", "StarCoder2 3B"),
    ("/c/mystery.gguf", "mystery.gguf"),
])
def test_models_are_named_and_random_weights_called_shapes(path, label):
    assert model_label({"id": path.rsplit("/", 1)[-1], "path": path}) == label


def test_series_are_ordered_by_size_and_skip_kinds_without_requests():
    runs = [run(1_300_000_000, "/c/deepseek-coder-1.3b-base-random-v1.gguf",
                {"in-place": kind(36, 7000, 6.9), "return": kind(0, math.nan, math.nan)}),
            run(135_000_000, "/x/smollm2-135m.gguf",
                {"in-place": kind(36, 600, 0.8), "return": kind(6, 950, 0.95)})]
    got = series(runs, "on", ["in-place", "return", "answered"])
    assert [p[0] for p in got["in-place"]] == [135_000_000, 1_300_000_000]
    assert got["in-place"][1][1:3] == (7000, 6.9)
    assert [p[0] for p in got["return"]] == [135_000_000]  # no return at 1.3B
    assert "answered" not in got
    assert series(runs, "off", ["in-place"]) == {}


def test_the_load_range_spans_every_run_before_and_after():
    runs = [run(1, "/a", {}, (1.5, 2.7)), run(2, "/b", {}, (4.4, 3.0))]
    assert load_range(runs) == (1.5, 4.4)
    assert all(math.isnan(x) for x in load_range([{"model": {}}]))
