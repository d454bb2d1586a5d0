"""Slow and idle clients are cut off by the server set-up (service/server.py), while normal
requests and kept-alive connections keep working. Short deadlines (1 s) keep the test fast."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from service.app import create_app
from service.server import RateLimitedLog, server_config
from service.settings import ServiceSettings

DEADLINE_S = 1.0


@pytest.fixture(scope="module")
def guarded_server(
    service_settings: ServiceSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    settings = service_settings.model_copy(
        update={
            "database": tmp_path_factory.mktemp("slow") / "db.sqlite",
            "port": port,
            "header_timeout_s": DEADLINE_S,
            "body_timeout_s": DEADLINE_S,
            "keep_alive_timeout_s": 3.0,
        }
    )
    server = uvicorn.Server(server_config(settings, create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(timeout=10)


def _closed_after(address: tuple[str, int], sent: bytes, wait: float = 5.0) -> float | None:
    """Seconds until the server closes a connection that sent `sent` and then nothing."""
    with socket.create_connection(address, timeout=wait) as sock:
        if sent:
            sock.sendall(sent)
        started = time.perf_counter()
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return time.perf_counter() - started
        except TimeoutError:
            return None
        except ConnectionResetError:
            return time.perf_counter() - started


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connects and says nothing
        b"POST /v1/triage HTTP/1.1\r\nHost: x\r\nContent-Type: app",  # half a head
        b"POST /v1/triage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n" + b'{"id": "slow", "text": "',  # half a body
    ],
    ids=["idle", "half-head", "half-body"],
)
def test_idle_and_half_sent_requests_are_closed_at_the_deadline(
    guarded_server: tuple[str, int], sent: bytes
) -> None:
    closed = _closed_after(guarded_server, sent)
    assert closed is not None, "the server kept the connection open"
    assert closed < DEADLINE_S + 1.5


def test_normal_requests_and_kept_alive_connections_still_work(
    guarded_server: tuple[str, int],
) -> None:
    host, port = guarded_server
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=10) as client:
        for _ in range(3):  # one connection, kept alive across the deadline
            answer = client.post("/v1/triage", json={"id": "ok", "text": "头痛三天"})
            assert answer.status_code == 200
            time.sleep(DEADLINE_S * 0.6)
        assert client.get("/healthz").status_code == 200


def test_the_asyncio_log_is_rate_limited() -> None:
    limit = RateLimitedLog(per_minute=3)
    records = [
        logging.LogRecord("asyncio", 40, __file__, 1, "accept failed", None, None)
        for _ in range(10)
    ]
    assert [limit.filter(r) for r in records] == [True] * 3 + [False] * 7
