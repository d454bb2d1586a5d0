"""`python -m service` with two workers: one /metrics scrape counts every worker's requests,
made-up HTTP methods fold into one label, and slow clients meet the deadlines there too."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def two_workers(
    triage_bundle: Path,
    prescription_bundle: Path,
    recommend_bundle: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    var = tmp_path_factory.mktemp("mp")
    env = {
        **os.environ,
        "HOSPITAL_TRIAGE_BUNDLE": str(triage_bundle),
        "HOSPITAL_PRESCRIPTION_BUNDLE": str(prescription_bundle),
        "HOSPITAL_RECOMMEND_BUNDLE": str(recommend_bundle),
        "HOSPITAL_DATABASE": str(var / "db.sqlite"),
        "HOSPITAL_ALLOW_UNSIGNED_BUNDLES": "true",
        "HOSPITAL_WORKERS": "2",
        "HOSPITAL_PORT": str(port),
        "HOSPITAL_HEADER_TIMEOUT_S": "1",
        "HOSPITAL_LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "service"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    ready = 0
    while time.time() < deadline and ready < 10:  # both workers answering
        try:
            ready += httpx.get(f"{base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            time.sleep(0.3)
    assert ready >= 10, "the service did not become ready"
    yield base
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def _count(text: str, endpoint: str, method: str) -> float:
    pattern = (
        r'hospital_requests_total\{endpoint="'
        + re.escape(endpoint)
        + r'",method="'
        + method
        + r'",status="(\d+)"\} ([0-9.e+]+)'
    )
    return sum(float(value) for _, value in re.findall(pattern, text))


def test_one_scrape_counts_every_workers_requests(two_workers: str) -> None:
    with httpx.Client(base_url=two_workers, timeout=10) as client:
        before = _count(client.get("/metrics").text, "/healthz", "GET")
        for _ in range(40):  # new connections: the kernel spreads them over both workers
            httpx.get(f"{two_workers}/healthz", timeout=10)
        for _ in range(5):
            client.request("FROBNICATE", "/healthz")
        pids = {
            httpx.get(f"{two_workers}/readyz", timeout=10).json()["worker_pid"] for _ in range(20)
        }
        scrapes = [client.get("/metrics").text for _ in range(4)]
    assert len(pids) == 2, "the requests did not reach both workers"
    for text in scrapes:
        assert _count(text, "/healthz", "GET") - before == 40
        assert _count(text, "/healthz", "other") == 5
        assert "FROBNICATE" not in text


def test_an_idle_connection_is_closed_by_the_real_server(two_workers: str) -> None:
    host, port = two_workers.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        started = time.perf_counter()
        assert sock.recv(1024) == b""
        assert time.perf_counter() - started < 3
