"""The service against a hostile or careless client (issue 12's findings, each with the fixed
behaviour asserted): reused ids, malformed numbers and strings, oversized work, a full queue,
a starving doctors' queue, and a store that cannot be written."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from consultations.store import ConsultationStore
from service.app import create_app
from service.settings import ServiceSettings
from service.work import Overloaded, PredictionGate

CHEST_PAIN = "突发胸痛大汗半小时，呼吸困难"
ITCH = "皮肤瘙痒起红疹三天"
SECRET = "隐私主诉ZQX"


def _fresh(service_settings: ServiceSettings, tmp_path: Path, **update: object) -> TestClient:
    settings = service_settings.model_copy(
        update={"database": tmp_path / "db" / "consultations.db", **update}
    )
    return TestClient(create_app(settings))


# -- 1. ids are never reused -------------------------------------------------------------------


def test_a_reused_consultation_id_is_refused_and_the_decided_one_kept(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    with _fresh(service_settings, tmp_path) as client:
        first = {"id": "c-1", "text": CHEST_PAIN, "age": 66, "sex": "M"}
        assert client.post("/v1/triage", json=first).status_code == 200
        department = client.get("/v1/consultations/c-1").json()["departments"][0]["name"]
        decided = {
            "consultation_id": "c-1",
            "department": department,
            "action": "confirm",
            "feedback_id": "f-1",
        }
        assert client.post("/v1/feedback", json=decided).status_code == 201

        other = client.post("/v1/triage", json={"id": "c-1", "text": ITCH, "age": 30})
        assert other.status_code == 409 and "'c-1'" in other.json()["error"]
        kept = client.get("/v1/consultations/c-1").json()
        assert kept["text"] == CHEST_PAIN and kept["feedback"][0]["feedback_id"] == "f-1"

        retry = client.post("/v1/triage", json=first)  # the same complaint again: a retry
        assert retry.status_code == 200 and retry.headers["X-Consultations-Stored"] == "true"
        assert len(client.get("/v1/consultations/c-1").json()["feedback"]) == 1

        batch = [
            {"id": "c-2", "text": CHEST_PAIN},
            {"id": "c-3", "text": ITCH},
            {"id": "c-2", "text": ITCH},
        ]
        refused = client.post("/v1/triage", json=batch)
        assert refused.status_code == 409 and "'c-2'" in refused.json()["error"]
        # one conflicting item refuses the whole list: nothing of it is stored
        mixed = [{"id": "c-4", "text": CHEST_PAIN}, {"id": "c-1", "text": ITCH}]
        assert client.post("/v1/triage", json=mixed).status_code == 409
        for missing in ("c-2", "c-3", "c-4"):
            assert client.get(f"/v1/consultations/{missing}").status_code == 404


def test_a_feedback_id_is_idempotent_and_never_echoes_what_was_not_stored(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    with _fresh(service_settings, tmp_path) as client:
        client.post("/v1/triage", json={"id": "c", "text": ITCH})
        department = client.get("/v1/consultations/c").json()["departments"][0]["name"]
        post = {"consultation_id": "c", "department": department, "action": "confirm"}
        first = client.post("/v1/feedback", json={**post, "feedback_id": "f"})
        again = client.post("/v1/feedback", json={**post, "feedback_id": "f"})
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        changed = {**post, "feedback_id": "f", "urgency_feedback": "right"}
        conflict = client.post("/v1/feedback", json=changed)
        assert conflict.status_code == 409 and "'f'" in conflict.json()["error"]
        assert len(client.get("/v1/consultations/c").json()["feedback"]) == 1


# -- 2. malformed numbers and strings: 4xx naming the field, no body in the log ----------------

MALFORMED = [
    ("/v1/triage", '{"id": "x", "text": "头痛", "age": NaN}', "age"),
    ("/v1/triage", '{"id": "x", "text": "头痛", "age": Infinity}', "age"),
    ("/v1/triage", '{"id": "x", "text": "头痛", "age": 1e400}', "age"),
    ("/v1/triage", '{"id": "x", "text": "\\ud800' + SECRET + '"}', "text"),
    ("/v1/triage", '{"id": "\\udfff", "text": "' + SECRET + '"}', "id"),
    (
        "/v1/prescriptions/check",
        '{"id": "x", "drugs": [{"name": "warfarin", "dose_mg": NaN}]}',
        "dose_mg",
    ),
    (
        "/v1/prescriptions/check",
        '{"id": "x", "drugs": [{"name": "x"}], "patient": {"weight_kg": -Infinity}}',
        "weight_kg",
    ),
    (
        "/v1/prescriptions/check",
        (
            '{"id": "x", "drugs": [{"name": "x"}], "patient": {"allergies": ["\\ud800'
            + SECRET
            + '"]}}'
        ),
        "allergies",
    ),
    ("/v1/carts/score", '{"id": "x", "cart": ["\\udc00"]}', "cart"),
    ("/v1/feedback", '{"consultation_id": "\\ud800", "department": "x"}', "consultation_id"),
    ("/v1/feedback", '{"consultation_id": "c", "doctor": "' + SECRET + '\\ud800"}', "doctor"),
]


@pytest.mark.parametrize(("path", "body", "field"), MALFORMED)
def test_malformed_numbers_and_strings_are_4xx_naming_the_field_and_never_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture, path: str, body: str, field: str
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert field in response.json()["error"]
    assert "input" not in json.dumps(response.json()["detail"])
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert SECRET not in logged and "NaN" not in logged and "ud800" not in logged.lower()


# -- 4. the work of one call is bounded, and over capacity is a 503 with Retry-After ----------


def test_one_call_cannot_ask_for_unbounded_work(client: TestClient) -> None:
    drugs = [{"name": f"drug-{i}"} for i in range(50)]  # 1,275 pairs with itself
    batch = [{"id": f"rx-{i}", "drugs": drugs} for i in range(10)]
    refused = client.post("/v1/prescriptions/check", json=batch)
    assert refused.status_code == 413 and "drug pairs" in refused.json()["error"]
    assert client.post("/v1/prescriptions/check", json=batch[:3]).status_code == 200
    texts = [{"id": f"t-{i}", "text": "头痛" * 4_000} for i in range(20)]  # 160,000 characters
    refused = client.post("/v1/triage", json=texts)
    assert refused.status_code == 413 and "complaint characters" in refused.json()["error"]


def test_the_prediction_gate_refuses_over_capacity_and_runs_off_the_event_loop() -> None:
    gate = PredictionGate(max_pending=2, retry_after_s=3)
    release = threading.Event()
    loop_threads: list[str] = []

    def slow() -> str:
        loop_threads.append(threading.current_thread().name)
        release.wait(10)
        return "done"

    async def scenario() -> tuple[list[object], float]:
        first = asyncio.ensure_future(gate.run(slow))
        second = asyncio.ensure_future(gate.run(slow))
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        with pytest.raises(Overloaded) as refused:
            await gate.run(slow)
        assert refused.value.status_code == 503 and refused.value.headers == {"Retry-After": "3"}
        tick = time.perf_counter() - started  # the loop answered while work was running
        release.set()
        return list(await asyncio.gather(first, second)), tick

    results, tick = asyncio.run(scenario())
    gate.shutdown()
    assert results == ["done", "done"] and tick < 0.5
    assert loop_threads and all(name.startswith("predict") for name in loop_threads)


# -- 5. the doctors' queue: open consultations first, decided ones out of the default view -----


def test_new_routine_consultations_are_not_starved_by_decided_emergencies(tmp_path: Path) -> None:
    store = ConsultationStore(tmp_path / "q.db")
    result = {
        "departments": [{"name": "心血管内科", "probability": 0.9}],
        "abstain": False,
        "urgency": "emergency",
        "red_flags": ["chest_pain"],
        "model": {"version": "v"},
        "triage_level": "emergency",
    }
    store.add_consultations([({"id": f"em-{i}", "text": f"胸痛{i}"}, result) for i in range(250)])
    for i in range(250):
        store.add_feedback(f"f-{i}", f"em-{i}", None, None, "dr", "right")
    store.add_consultation({"id": "open-em", "text": "胸痛"}, result)
    routine = {**result, "urgency": "routine", "triage_level": "consultation", "red_flags": []}
    store.add_consultation({"id": "routine", "text": "皮疹"}, routine)
    assert [q["id"] for q in store.queue(limit=200)] == ["open-em", "routine"]
    everything = store.queue(limit=300, view="all")
    assert [q["id"] for q in everything[:2]] == ["open-em", "routine"] and len(everything) == 252
    page = store.queue(limit=100, offset=200, view="all")
    assert len(page) == 52 and {q["id"] for q in page} <= {f"em-{i}" for i in range(250)}
    assert store.counts() == {"open": 2, "total": 252}


# -- 6. store trouble degrades only what needs the store ---------------------------------------


def test_a_read_only_store_still_triages_marks_it_unsaved_and_is_not_ready(
    service_settings: ServiceSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _fresh(service_settings, tmp_path) as client:
        opened = ConsultationStore._connect

        def read_only(self: ConsultationStore) -> object:
            db = opened(self)
            db.execute("PRAGMA query_only = ON")  # as a read-only file or a full disk refuses
            return db

        monkeypatch.setattr(ConsultationStore, "_connect", read_only)
        answer = client.post("/v1/triage", json={"id": "ro", "text": CHEST_PAIN})
        assert answer.status_code == 200 and answer.headers["X-Consultations-Stored"] == "false"
        assert answer.json()["triage_level"].startswith("emergency")
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["store"] == "unavailable"


def test_a_locked_store_still_triages_marks_it_unsaved_and_is_not_ready(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    import sqlite3

    with _fresh(service_settings, tmp_path) as client:
        other = sqlite3.connect(tmp_path / "db" / "consultations.db", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        try:
            started = time.perf_counter()
            answer = client.post("/v1/triage", json={"id": "locked", "text": CHEST_PAIN})
            assert answer.status_code == 200 and answer.headers["X-Consultations-Stored"] == "false"
            assert time.perf_counter() - started < 5
            assert client.get("/readyz").status_code == 503
            assert client.get("/healthz").status_code == 200
        finally:
            other.execute("ROLLBACK")
            other.close()
        again = client.post("/v1/triage", json={"id": "locked", "text": CHEST_PAIN})
        assert again.headers["X-Consultations-Stored"] == "true"
        assert client.get("/v1/consultations/locked").status_code == 200


def test_an_unusable_database_path_stops_only_the_queue(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    settings = service_settings.model_copy(update={"database": blocker / "consultations.db"})
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/triage", json={"id": "x", "text": CHEST_PAIN})
        assert answer.status_code == 200 and answer.headers["X-Consultations-Stored"] == "false"
        check = {"id": "rx", "drugs": [{"name": "warfarin"}, {"name": "aspirin"}]}
        assert client.post("/v1/prescriptions/check", json=check).status_code == 200
        queue = client.get("/v1/consultations")
        assert queue.status_code == 503 and "store" in queue.json()["error"]
        assert client.get("/readyz").json()["store"] == "unavailable"


def test_the_doctor_page_works_while_the_triage_bundle_is_down(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    with _fresh(service_settings, tmp_path) as client:
        client.post("/v1/triage", json={"id": "before", "text": CHEST_PAIN})
        client.app.state.models.slots["triage"].predictor = None  # type: ignore[attr-defined]
        assert client.post("/v1/triage", json={"id": "y", "text": ITCH}).status_code == 503
        page = client.get("/doctor")
        assert page.status_code == 200 and 'data-id="before"' in page.text


# -- 7. bundles: signed by the registry, ONNX failures are refusals, refusals are not retried --


def _signed_copy(bundle: Path, folder: Path, private: bytes) -> Path:
    import shutil

    from runtime.signing import SIGNATURE_NAME, sign_manifest

    shutil.copytree(bundle, folder)
    (folder / SIGNATURE_NAME).write_text(
        sign_manifest((folder / "manifest.json").read_bytes(), private)
    )
    return folder


def test_the_service_refuses_unsigned_and_rehashed_bundles_and_keeps_the_signed_one(
    triage_bundle: Path, tmp_path: Path
) -> None:
    import hashlib
    import shutil

    from runtime.signing import generate_key_pair
    from service.models import ServingModels

    private, public = generate_key_pair(tmp_path / "keys")
    signed = _signed_copy(triage_bundle, tmp_path / "signed", private.read_bytes())
    current = tmp_path / "current"
    current.symlink_to(signed)
    registry = ServingModels(
        {"triage": current}, public_key=public.read_bytes(), allow_unsigned=False
    )
    assert registry.reload()["triage"].startswith("loaded")

    tampered = _signed_copy(triage_bundle, tmp_path / "tampered", private.read_bytes())
    manifest = json.loads((tampered / "manifest.json").read_text())
    (tampered / "examples.jsonl").write_text("")  # golden answers removed, hashes rewritten
    manifest["files"]["examples.jsonl"] = "sha256:" + hashlib.sha256(b"").hexdigest()
    (tampered / "manifest.json").write_text(json.dumps(manifest))
    current.unlink()
    current.symlink_to(tampered)
    report = registry.reload()["triage"]
    assert report.startswith("refused") and "does not match" in report
    assert registry.get("triage").bundle.path == signed  # the signed one keeps serving

    unsigned = tmp_path / "unsigned"
    shutil.copytree(triage_bundle, unsigned)
    current.unlink()
    current.symlink_to(unsigned)
    assert "unsigned" in registry.reload()["triage"]
    no_key = ServingModels({"triage": current}, public_key=None, allow_unsigned=False)
    assert "no bundle public key" in no_key.reload()["triage"]


def test_a_model_onnxruntime_rejects_is_a_refusal_at_start_and_is_not_retried(
    triage_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib
    import shutil

    from service import models

    broken = tmp_path / "broken"
    shutil.copytree(triage_bundle, broken)
    garbage = b"this is not an onnx graph"
    (broken / "model.onnx").write_bytes(garbage)
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["files"]["model.onnx"] = "sha256:" + hashlib.sha256(garbage).hexdigest()
    (broken / "manifest.json").write_text(json.dumps(manifest))
    current = tmp_path / "current"
    current.symlink_to(broken)

    calls = []
    predictor_class = models.predictor_class

    class Counted:
        @staticmethod
        def from_bundle(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return predictor_class("triage").from_bundle(*args, **kwargs)

    monkeypatch.setattr(models, "predictor_class", lambda task: Counted)
    registry = models.ServingModels({"triage": current})
    report = registry.reload()["triage"]  # at start: refused, not a crash
    assert report.startswith("refused") and not registry.ready()
    assert registry.slots["triage"].error == report.removeprefix("refused: ")
    for _ in range(3):
        registry.poll()  # the refused bundle is unchanged: not loaded again
    assert len(calls) == 1
    shutil.rmtree(broken)
    shutil.copytree(triage_bundle, broken)  # repaired in place: picked up
    registry.poll()
    assert len(calls) == 2 and registry.ready()


# -- 8. roles: one key per kind of client, keys never in query strings ------------------------

KEYS = {
    "intake_key": "k-intake",
    "pharmacy_key": "k-pharmacy",
    "doctor_key": "k-doctor",
    "admin_key": "k-admin",
}


def test_each_key_opens_its_own_routes_only(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    with _fresh(service_settings, tmp_path, **KEYS) as client:
        triage = {"id": "r1", "text": ITCH}
        check = {"id": "rx", "drugs": [{"name": "warfarin"}]}
        cases = {
            "k-intake": ("POST", "/v1/triage", triage),
            "k-pharmacy": ("POST", "/v1/prescriptions/check", check),
            "k-doctor": ("GET", "/v1/consultations", None),
            "k-admin": ("GET", "/v1/models", None),
        }
        for key in cases:
            for other, (method, path, body) in cases.items():
                answer = client.request(method, path, json=body, headers={"X-API-Key": key})
                if key == other:
                    assert answer.status_code == 200, (key, path, answer.text)
                else:
                    assert answer.status_code == 401, (key, path)
        assert client.post("/admin/reload", headers={"X-API-Key": "k-doctor"}).status_code == 401
        assert client.get("/v1/models").status_code == 401
        # a key in the query string opens nothing (but the page's one-time login)
        assert client.post("/v1/triage?api_key=k-intake", json=triage).status_code == 401
        ready = client.get("/readyz").json()
        assert "path" not in json.dumps(ready) and "sha256" not in json.dumps(ready)


def test_the_doctor_page_login_cookie_and_csrf(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    with _fresh(service_settings, tmp_path, **KEYS) as client:
        assert client.get("/doctor?api_key=k-intake", follow_redirects=False).status_code == 401
        assert client.get("/doctor?api_key=医生", follow_redirects=False).status_code == 401
        login = client.get("/doctor?api_key=k-doctor", follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/doctor"
        cookie = login.headers["set-cookie"].lower()
        assert all(flag in cookie for flag in ("httponly", "secure", "samesite=strict"))
        jar = {"hospital_doctor_key": "k-doctor"}  # what the browser keeps (HTTPS in production)
        page = client.get("/doctor", cookies=jar)
        assert page.status_code == 200
        token = page.text.split("const CSRF = ")[1].split(";")[0].strip('"')
        feedback = {"consultation_id": "none", "urgency_feedback": "right"}
        forged = client.post("/v1/feedback", json=feedback, cookies=jar)
        assert forged.status_code == 403  # a same-site form cannot send the token
        sent = client.post(
            "/v1/feedback", json=feedback, cookies=jar, headers={"X-CSRF-Token": token}
        )
        assert sent.status_code == 404  # authorised; the consultation does not exist
        assert client.post("/admin/reload", cookies=jar).status_code == 401


# -- 9. the page's origin: headers, no CDN docs, 413 for chunked bodies ------------------------


def test_patient_data_answers_carry_security_headers_and_docs_are_off(client: TestClient) -> None:
    for answer in (
        client.get("/doctor"),
        client.post("/v1/triage", json={"id": "h", "text": ITCH}),
        client.post("/v1/triage", content=b"x" * 2_000_000),
    ):
        headers = answer.headers
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404


def test_a_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks():  # no Content-Length: the limit is found while streaming
        for _ in range(40):
            yield b"x" * 50_000

    answer = client.post(
        "/v1/triage", content=chunks(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413 and "larger than" in answer.json()["error"]
