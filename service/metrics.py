"""Prometheus metrics of one app: requests, errors and latency per endpoint, model versions.

A registry per app (not the global default), so tests can build many apps in one process.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Latency buckets around the 50 ms p99 target, fine below it.
BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """The service's collectors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
        )
        self.reloads = Counter(
            "hospital_reloads_total",
            "Bundle reloads by task and outcome",
            ["task", "outcome"],
            registry=self.registry,
        )

    def record(self, models: Any, report: dict[str, str]) -> None:
        """After a (re)load: the version each task now serves, and the reload outcomes."""
        self.model.clear()
        for task, outcome in report.items():
            self.reloads.labels(task, outcome.split(" ", 1)[0].rstrip(":")).inc()
            predictor = models.get(task)
            if predictor is not None:
                manifest = predictor.bundle.manifest
                self.model.labels(task, manifest.name, manifest.bundle_version).set(1)
