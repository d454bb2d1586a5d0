"""The HTTP contract: same shapes as the batch CLIs, errors that name the problem, health,
models, metrics, feedback, reload."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import ServiceSettings

TRIAGE = {"id": "c1", "text": "胸痛半小时，大汗，呼吸困难", "age": 62, "sex": "M"}
CHECK = {"id": "p1", "drugs": [{"name": "warfarin"}, {"name": "aspirin"}]}


def test_service_triage_answers_like_the_cli_and_queues_the_consultation(
    client: TestClient,
) -> None:
    response = client.post("/v1/triage", json=TRIAGE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "id",
        "departments",
        "abstain",
        "triage_level",
        "urgency",
        "red_flags",
        "reasons",
        "model",
        "department_map",
        "evidence",
    }
    assert body["urgency"] == "emergency"
    stored = client.get("/v1/consultations/c1").json()
    assert stored["text"] == TRIAGE["text"] and stored["model_version"] == body["model"]["version"]
    assert (stored["triage_level"], stored["reasons"]) == (body["triage_level"], body["reasons"])
    # the suggestion's evidence is stored for the doctor's page, with spans into the text as sent
    assert stored["evidence"] == body["evidence"]
    for item in body["evidence"]:
        assert str(TRIAGE["text"])[item["start"] : item["end"]] == item["text"]
    for reason in stored["reasons"]:  # spans index the text as sent (the page highlights them)
        if reason["source"] == "rule":
            assert str(TRIAGE["text"])[reason["start"] : reason["end"]] == reason["evidence"]


def test_service_lists_are_answered_with_lists(client: TestClient) -> None:
    many = client.post("/v1/triage", json=[{**TRIAGE, "id": f"m{i}"} for i in range(3)])
    assert many.status_code == 200 and [r["id"] for r in many.json()] == ["m0", "m1", "m2"]
    checks = client.post("/v1/prescriptions/check", json=[CHECK, {**CHECK, "id": "p2"}])
    assert [r["id"] for r in checks.json()] == ["p1", "p2"]
    assert client.post("/v1/triage", json=[]).status_code == 422
    too_many = client.post("/v1/triage", json=[{**TRIAGE, "id": str(i)} for i in range(101)])
    assert too_many.status_code == 422 and "at most 100" in too_many.json()["error"]


def test_service_prescription_and_cart_contracts(client: TestClient) -> None:
    check = client.post("/v1/prescriptions/check", json=CHECK).json()
    assert set(check) == {"id", "alerts", "pairs", "unresolved", "model"}
    assert any(a["type"] == "interaction" and a["interruptive"] for a in check["alerts"])
    cart = client.post("/v1/carts/score", json={"id": "k1", "cart": ["SKU-0034"], "k": 4}).json()
    assert set(cart) == {"id", "recommendations", "suppressed", "unknown_items", "model"}
    assert len(cart["recommendations"]) == 4


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/triage", {"id": "x", "text": ""}, "text"),
        ("/v1/triage", {"id": "x", "text": "咳嗽" * 50_001}, "text"),
        ("/v1/triage", {"id": "x", "text": "咳嗽", "age": "forty"}, "age"),
        ("/v1/triage", {"text": "咳嗽"}, "id: required field is missing"),
        ("/v1/triage", {"id": "x", "text": "咳嗽", "extra": 1}, "extra: unknown field"),
        ("/v1/prescriptions/check", {"id": "x", "drugs": []}, "drugs"),
        (
            "/v1/prescriptions/check",
            {"id": "x", "drugs": [{"name": "a", "dose_mg": -1}]},
            "dose_mg",
        ),
        ("/v1/prescriptions/check", {"id": "x", "drugs": [{"name": "ibuprofen"}] * 500}, "drugs"),
        ("/v1/carts/score", {"id": "x", "cart": ["a"], "k": 0}, "k"),
        ("/v1/carts/score", {"id": "x", "cart": ["a"], "k": 10_000}, "k"),
        ("/v1/carts/score", {"id": "x", "cart": ["a"] * 1001}, "cart"),
        ("/v1/carts/score", {"id": "x"}, "cart: required field is missing"),
        ("/v1/feedback", {"consultation_id": "c1", "department": "x", "action": "maybe"}, "action"),
    ],
)
def test_service_bad_input_is_a_4xx_that_names_the_field(
    client: TestClient, path: str, body: Any, field: str
) -> None:
    response = client.post(path, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert field in response.json()["error"]


def test_service_bad_bytes_are_4xx(client: TestClient) -> None:
    for raw in (b"\xff\xfe not utf-8", b"{not json", b"", b"[1, 2]", b'"text"'):
        response = client.post(
            "/v1/triage", content=raw, headers={"content-type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (raw, response.status_code, response.text)
        assert response.json()["error"]
    huge = client.post(
        "/v1/triage", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413 and "larger than" in huge.json()["error"]


def test_service_unknown_drugs_and_items_are_answered_not_refused(client: TestClient) -> None:
    check = client.post(
        "/v1/prescriptions/check", json={"id": "u", "drugs": [{"name": "Zorblaxitol"}]}
    ).json()
    assert check["unresolved"] == ["Zorblaxitol"]
    cart = client.post("/v1/carts/score", json={"id": "u", "cart": ["nope"]}).json()
    assert cart["unknown_items"] == ["nope"] and len(cart["recommendations"]) == 10


def test_service_feedback_is_stored_and_validated(client: TestClient) -> None:
    client.post("/v1/triage", json={**TRIAGE, "id": "fb"})
    labels = client.get("/v1/consultations/fb").json()["departments"]
    department = labels[-1]["name"]
    response = client.post(
        "/v1/feedback",
        json={
            "consultation_id": "fb",
            "department": department,
            "action": "correct",
            "feedback_id": "f-1",
        },
    )
    assert response.status_code == 201, response.text
    again = client.post(
        "/v1/feedback",
        json={
            "consultation_id": "fb",
            "department": department,
            "action": "correct",
            "feedback_id": "f-1",
        },
    )
    assert again.status_code == 201
    stored = client.get("/v1/consultations/fb").json()["feedback"]
    assert [f["feedback_id"] for f in stored] == ["f-1"] and stored[0]["department"] == department
    assert (
        client.post(
            "/v1/feedback",
            json={"consultation_id": "none", "department": department, "action": "confirm"},
        ).status_code
        == 404
    )
    wrong = client.post(
        "/v1/feedback",
        json={"consultation_id": "fb", "department": "不存在的科室", "action": "correct"},
    )
    assert wrong.status_code == 422 and "department" in wrong.json()["error"]


def test_service_health_ready_models_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    models = {m["task"]: m for m in client.get("/v1/models").json()}
    assert set(models) == {"triage", "prescription", "recommend"}
    assert all(m["bundle_hash"].startswith("sha256:") and m["version"] for m in models.values())
    client.post("/v1/triage", json=TRIAGE)
    client.post("/v1/triage", json={"id": "bad"})
    text = client.get("/metrics").text
    assert 'hospital_requests_total{endpoint="/v1/triage",method="POST",status="200"}' in text
    assert 'hospital_requests_total{endpoint="/v1/triage",method="POST",status="422"}' in text
    assert "hospital_request_seconds_bucket" in text and "hospital_model_info" in text
    assert client.get("/openapi.json").json()["paths"]["/v1/carts/score"]["post"]


def test_service_logs_never_hold_complaints_or_patients(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "我的隐私症状描述XYZ"
    with caplog.at_level("INFO", logger="service.access"):
        client.post("/v1/triage", json={**TRIAGE, "id": "private", "text": secret})
        client.post(
            "/v1/prescriptions/check",
            json={**CHECK, "patient": {"pregnant": True, "allergies": ["青霉素"]}},
        )
    records = [r for r in caplog.records if r.name == "service.access"]
    assert records and all(r.fields["status"] for r in records)  # type: ignore[attr-defined]
    lines = [f"{r.getMessage()} {json.dumps(r.fields, ensure_ascii=False)}" for r in records]  # type: ignore[attr-defined]
    assert not any(secret in line or "青霉素" in line for line in lines)


def test_access_log_is_one_json_object_not_a_json_string_inside_one() -> None:
    import logging

    from runtime.logs import JsonFormatter

    record = logging.LogRecord(
        "service.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/x"), None
    )
    record.fields = {"request_id": "r1", "path": "/x", "status": 200, "ms": 1.5}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["status"] == 200 and entry["path"] == "/x" and entry["message"] == "GET /x"


def test_service_api_key_is_required_when_set(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    settings = service_settings.model_copy(
        update={"api_key": "s3cret", "database": tmp_path / "k.db"}
    )
    with TestClient(create_app(settings)) as keyed:
        assert keyed.post("/v1/triage", json=TRIAGE).status_code == 401
        assert (
            keyed.post("/v1/triage", json=TRIAGE, headers={"X-API-Key": "wrong"}).status_code == 401
        )
        assert (
            keyed.post("/v1/triage", json=TRIAGE, headers={"X-API-Key": "s3cret"}).status_code
            == 200
        )
        assert keyed.get("/healthz").status_code == 200  # probes stay open
        login = keyed.get("/doctor?api_key=s3cret", follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/doctor"


def test_service_reload_refuses_a_broken_bundle_and_keeps_serving(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    good = tmp_path / "triage-good"
    shutil.copytree(service_settings.triage_bundle, good)
    link = tmp_path / "current"
    link.symlink_to(good)
    settings = service_settings.model_copy(
        update={"triage_bundle": link, "database": tmp_path / "r.db"}
    )
    with TestClient(create_app(settings)) as app_client:
        before = app_client.post("/v1/triage", json=TRIAGE).json()["model"]["version"]
        broken = tmp_path / "triage-broken"
        shutil.copytree(good, broken)
        (broken / "labels.json").write_text('["tampered"]')
        link.unlink()
        link.symlink_to(broken)
        refused = app_client.post("/admin/reload")
        assert refused.status_code == 409 and refused.json()["tasks"]["triage"].startswith(
            "refused"
        )
        assert app_client.post("/v1/triage", json=TRIAGE).json()["model"]["version"] == before
        assert app_client.get("/readyz").status_code == 200
        link.unlink()
        link.symlink_to(good)
        assert app_client.post("/admin/reload").status_code == 200


def test_service_reload_keeps_an_identical_bundle_and_refuses_one_altered_in_place(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    bundle = tmp_path / "triage-here"
    shutil.copytree(service_settings.triage_bundle, bundle)
    settings = service_settings.model_copy(
        update={"triage_bundle": bundle, "database": tmp_path / "same.db"}
    )
    with TestClient(create_app(settings)) as app_client:
        serving = app_client.app.state.models.get("triage")  # type: ignore[attr-defined]
        same = app_client.post("/admin/reload").json()["tasks"]["triage"]
        assert same.startswith("unchanged")
        # not rebuilt: the very same predictor keeps serving
        assert app_client.app.state.models.get("triage") is serving  # type: ignore[attr-defined]
        (bundle / "labels.json").write_text('["tampered"]')
        altered = app_client.post("/admin/reload")
        assert altered.status_code == 409
        assert "labels.json" in altered.json()["tasks"]["triage"]
        assert app_client.app.state.models.get("triage") is serving  # type: ignore[attr-defined]


def test_service_worker_started_after_a_reload_does_not_reload_again(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    from service.models import ServingModels

    stamp = tmp_path / "reload.stamp"
    stamp.write_text("earlier reload")
    registry = ServingModels({"triage": service_settings.triage_bundle}, stamp=stamp)
    assert registry._stamp_seen == stamp.stat().st_mtime  # the old stamp is not news
    registry.reload()
    loaded = registry.get("triage")
    stamp.write_text("a new reload")
    os.utime(stamp, (stamp.stat().st_mtime + 5, stamp.stat().st_mtime + 5))
    registry.poll()
    assert registry.get("triage") is loaded  # forced, but the bundle is identical
    assert registry._stamp_seen == stamp.stat().st_mtime


def test_service_readyz_names_the_worker(client: TestClient) -> None:
    assert client.get("/readyz").json()["worker_pid"] == os.getpid()


def test_service_shared_socket_is_tcp_so_connections_get_nodelay() -> None:
    # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP; uvicorn's own
    # multi-worker socket has proto 0, which added a 40 ms delayed-ACK stall to every answer
    import socket

    from service.__main__ import listening_socket

    sock = listening_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        sock.listen()
        client = socket.create_connection(sock.getsockname())
        accepted, _ = sock.accept()
        assert accepted.proto == socket.IPPROTO_TCP
        accepted.close()
        client.close()
    finally:
        sock.close()


def test_422_detail_lists_only_the_shape_sent(client: TestClient) -> None:
    # one request or a list: neither the message nor the detail mentions the list branch
    answer = client.post("/v1/triage", json={"text": ""})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"].startswith("id: required field is missing; text: text is empty")
    assert [entry["loc"] for entry in body["detail"]] == [["body", "id"], ["body", "text"]]
