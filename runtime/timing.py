"""Latency measurement shared by training (deploy choice) and the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def latency_ms(
    call: Callable[[T], object], inputs: Sequence[T], warmup: int = 10
) -> dict[str, float]:
    """Time `call` once per input (after `warmup` calls) and return p50/p90/p99/mean in ms."""
    for item in list(inputs)[:warmup]:
        call(item)
    samples = []
    for item in inputs:
        started = time.perf_counter()
        call(item)
        samples.append((time.perf_counter() - started) * 1000.0)
    values = np.asarray(samples)
    return {
        "n": float(len(values)),
        "p50_ms": float(np.percentile(values, 50)),
        "p90_ms": float(np.percentile(values, 90)),
        "p99_ms": float(np.percentile(values, 99)),
        "mean_ms": float(values.mean()),
    }
