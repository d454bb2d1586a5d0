"""Prometheus metrics of one app: requests, errors and latency per endpoint, model versions.

A registry per app (not the global default), so tests can build many apps in one process.
Label values come from fixed sets: the endpoint is the route template ("unmatched" for any
other path) and the method one of the HTTP methods the service knows ("other" for the rest), so
a client cannot grow the series count. With several workers, `python -m service` points
PROMETHEUS_MULTIPROC_DIR at a fresh folder before they start: each worker then writes its values
there and one scrape of /metrics, whichever worker answers it, sums them all.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    """The method as a metric label: a known HTTP method, else "other"."""
    return method if method in METHODS else "other"


def exposition(metrics: ServiceMetrics) -> tuple[bytes, str]:
    """The text /metrics answers: every worker's values when running multi-process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(metrics.registry), CONTENT_TYPE_LATEST


# Latency buckets around the 50 ms p99 target, fine below it.
BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """The service's collectors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._shown: set[tuple[str, str, str]] = set()
        self.requests = Counter(
            "hospital_requests_total",
            "HTTP requests by endpoint and status code",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "hospital_errors_total",
            "HTTP 5xx answers and unhandled exceptions by endpoint",
            ["endpoint"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hospital_request_seconds",
            "Request latency by endpoint",
            ["endpoint"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.model = Gauge(
            "hospital_model_info",
            "1 for the bundle version each task serves",
            ["task", "name", "version"],
            registry=self.registry,
            multiprocess_mode="liveall",  # per live worker: a stale version shows up as such
        )
        self.reloads = Counter(
            "hospital_reloads_total",
            "Bundle reloads by task and outcome",
            ["task", "outcome"],
            registry=self.registry,
        )

    def record(self, models: Any, report: dict[str, str]) -> None:
        """After a (re)load: the version each task now serves, and the reload outcomes."""
        # A multi-process value lives on in its file after clear(): zero the old versions first.
        for labels in self._shown:
            self.model.labels(*labels).set(0)
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            self.model.clear()
        self._shown = set()
        for task, outcome in report.items():
            self.reloads.labels(task, outcome.split(" ", 1)[0].rstrip(":")).inc()
            predictor = models.get(task)
            if predictor is not None:
                manifest = predictor.bundle.manifest
                self.model.labels(task, manifest.name, manifest.bundle_version).set(1)
                self._shown.add((task, manifest.name, manifest.bundle_version))
