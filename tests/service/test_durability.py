"""kill -9 of the server while feedback is being posted: every acknowledged feedback is there
after a restart (SQLite WAL, synchronous=FULL, commit before the 201)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from service.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(settings: ServiceSettings, database: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "HOSPITAL_TRIAGE_BUNDLE": str(settings.triage_bundle),
        "HOSPITAL_PRESCRIPTION_BUNDLE": str(settings.prescription_bundle),
        "HOSPITAL_RECOMMEND_BUNDLE": str(settings.recommend_bundle),
        "HOSPITAL_DATABASE": str(database),
        "HOSPITAL_ALLOW_UNSIGNED_BUNDLES": "true",  # fixture bundles are built, not promoted
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "service.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("server did not start")


def test_durability_acknowledged_feedback_survives_kill_9(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    database = tmp_path / "durable.db"
    server, url = _start(service_settings, database)
    consultations = [f"k{i}" for i in range(5)]
    for cid in consultations:
        assert (
            httpx.post(
                f"{url}/v1/triage", json={"id": cid, "text": "头痛三天，伴恶心"}, timeout=10
            ).status_code
            == 200
        )
    department = httpx.get(f"{url}/v1/consultations/k0", timeout=10).json()["departments"][0][
        "name"
    ]
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post(worker: int) -> None:
        with httpx.Client(base_url=url, timeout=5) as client:
            n = 0
            while not stop.is_set():
                feedback_id = f"w{worker}-{n}"
                n += 1
                try:
                    response = client.post(
                        "/v1/feedback",
                        json={
                            "consultation_id": consultations[n % 5],
                            "department": department,
                            "action": "confirm",
                            "feedback_id": feedback_id,
                        },
                    )
                except httpx.HTTPError:
                    return  # the server is gone: this request was never acknowledged
                if response.status_code == 201:
                    with lock:
                        acked.append(feedback_id)

    threads = [threading.Thread(target=post, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.time() + 30
    while len(acked) < 300 and time.time() < deadline:
        time.sleep(0.01)
    server.kill()  # SIGKILL mid-stream: no shutdown, no flush
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(acked) >= 300, f"only {len(acked)} acknowledged before the deadline"

    restarted, url = _start(service_settings, database)
    try:
        stored: set[str] = set()
        for cid in consultations:
            feedback = httpx.get(f"{url}/v1/consultations/{cid}", timeout=10).json()["feedback"]
            stored |= {f["feedback_id"] for f in feedback}
    finally:
        restarted.kill()
        restarted.wait(timeout=10)
    lost = set(acked) - stored
    assert not lost, f"{len(lost)} acknowledged feedback rows lost, e.g. {sorted(lost)[:5]}"


def test_durability_racing_duplicate_ids_never_overwrite_and_survive_kill_9(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    """Two clients post the same consultation ids with different complaints (and one retries
    its own): each id is acknowledged for one complaint only, and that one is what is stored
    after a kill -9 and a restart."""
    database = tmp_path / "ids.db"
    server, url = _start(service_settings, database)
    acked: dict[str, set[str]] = {}
    unexpected: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post(text: str, retries: int) -> None:
        with httpx.Client(base_url=url, timeout=5) as client:
            n = 0
            while not stop.is_set():
                cid = f"d{n}"
                n += 1
                for _ in range(retries):
                    try:
                        response = client.post(
                            "/v1/triage", json={"id": cid, "text": f"{text}{n}天"}
                        )
                    except httpx.HTTPError:
                        return
                    if response.status_code == 200:
                        with lock:
                            acked.setdefault(cid, set()).add(f"{text}{n}天")
                    elif response.status_code != 409:
                        with lock:
                            unexpected.append(f"{response.status_code} {response.text[:100]}")

    threads = [
        threading.Thread(target=post, args=("头痛", 2)),  # sends each id twice: a retry
        threading.Thread(target=post, args=("腹痛", 1)),  # the same ids, another complaint
    ]
    for thread in threads:
        thread.start()
    deadline = time.time() + 30
    while len(acked) < 150 and time.time() < deadline:
        time.sleep(0.01)
    server.kill()
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(acked) >= 150, f"only {len(acked)} ids acknowledged before the deadline"
    assert not unexpected, unexpected[:3]
    assert all(len(texts) == 1 for texts in acked.values()), "an id acknowledged twice"

    restarted, url = _start(service_settings, database)
    try:
        for cid, texts in acked.items():
            stored = httpx.get(f"{url}/v1/consultations/{cid}", timeout=10)
            assert stored.status_code == 200, f"acknowledged {cid} lost"
            assert stored.json()["text"] in texts
    finally:
        restarted.kill()
        restarted.wait(timeout=10)
