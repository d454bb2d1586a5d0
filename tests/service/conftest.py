"""Service fixtures: the app over the tiny bundles the pipeline tests build."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import ServiceSettings


@pytest.fixture(scope="session")
def service_settings(
    tmp_path_factory: pytest.TempPathFactory,
    triage_bundle: Path,
    prescription_bundle: Path,
    recommend_bundle: Path,
) -> ServiceSettings:
    return ServiceSettings(
        triage_bundle=triage_bundle,
        prescription_bundle=prescription_bundle,
        recommend_bundle=recommend_bundle,
        database=tmp_path_factory.mktemp("service") / "consultations.db",
        reload_poll_seconds=3600,
        json_logs=False,
        allow_unsigned_bundles=True,  # the fixtures' bundles are built, not promoted; see
        # test_bundle_signatures.py for signed ones
    )


@pytest.fixture(scope="session")
def client(service_settings: ServiceSettings) -> Iterator[TestClient]:
    with TestClient(create_app(service_settings)) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(
    service_settings: ServiceSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    settings = service_settings.model_copy(
        update={"database": tmp_path_factory.mktemp("live") / "db.sqlite"}
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
