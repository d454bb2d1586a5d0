"""Triage levels in the service: the store keeps them (and migrates a database written before
them), the queue sorts by them, doctors correct them through /v1/feedback, and the doctor's page
shows them with the reasons' words highlighted in the complaint, escaped.

The tests on the store and on the page's HTML run without a bundle. The HTTP ones use the
session's `client`, whose triage bundle the triage pipeline builds (tests/conftest.py).
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from consultations.store import ConsultationStore
from service.levels import LEVELS
from service.routes.doctor import EVIDENCE_TITLE, highlight, render_page

# The schema as it was before triage levels (service/store.py before the change), verbatim.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS consultations (
    id TEXT PRIMARY KEY,
    received_at REAL NOT NULL,
    text TEXT NOT NULL,
    age INTEGER,
    sex TEXT,
    departments TEXT NOT NULL,      -- JSON [{"name", "probability"}], best first
    abstain INTEGER NOT NULL,
    urgency TEXT NOT NULL,
    red_flags TEXT NOT NULL,        -- JSON [rule ids]
    model_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    feedback_id TEXT UNIQUE NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    department TEXT NOT NULL,
    action TEXT NOT NULL,           -- confirm | correct
    suggested TEXT,                 -- the model's top department at the time
    doctor TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_by_consultation ON feedback(consultation_id);
CREATE INDEX IF NOT EXISTS consultations_by_time ON consultations(received_at);
"""

CHEST_PAIN = "突发胸痛大汗半小时"


def reason(
    start: int, end: int, text: str, level: str = "emergency", label_zh: str = "急性胸痛"
) -> dict[str, Any]:
    """One rule reason, shaped as triage.schema.UrgencyReason."""
    return {
        "rule_id": "acute_chest_pain",
        "level": level,
        "concept": "chest_pain",
        "start": start,
        "end": end,
        "evidence": text[start:end],
        "label_zh": label_zh,
        "label_en": "acute chest pain",
        "source": "rule",
    }


BACKSTOP = {
    "rule_id": "learned_backstop",
    "level": "emergency",
    "concept": "",
    "start": 0,
    "end": 0,
    "evidence": "",
    "label_zh": "模型提示急症",
    "label_en": "the model flags an emergency",
    "source": "model",
}


def result(
    level: str, reasons: list[dict[str, Any]] | None = None, department: str = "心血管内科"
) -> dict[str, Any]:
    """A TriageResult as a dict (the shape /v1/triage stores)."""
    emergency = level in ("emergency_ambulance", "emergency")
    return {
        "departments": [{"name": department, "probability": 0.7}],
        "abstain": False,
        "triage_level": level,
        "urgency": "emergency" if emergency else "routine",
        "red_flags": [r["rule_id"] for r in reasons or []],
        "reasons": reasons or [],
        "model": {"name": "triage", "version": "v-test"},
    }


def test_service_levels_are_triages_levels() -> None:
    from triage.schema import TriageLevel

    assert set(LEVELS) == set(get_args(TriageLevel))


# --- the store ------------------------------------------------------------------------------


def test_store_migrates_a_database_written_before_triage_levels(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    old.executemany(
        "INSERT INTO consultations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("e1", 1.0, CHEST_PAIN, 60, "M", '[{"name": "心血管内科", "probability": 0.8}]', 0,
             "emergency", '["chest_pain"]', "v0"),
            ("r1", 2.0, "咳嗽三天", 30, "F", '[{"name": "呼吸内科", "probability": 0.6}]', 0,
             "routine", "[]", "v0"),
        ],
    )  # fmt: skip
    old.execute(
        "INSERT INTO feedback (feedback_id, consultation_id, department, action, suggested, "
        "doctor, created_at) VALUES ('old-1', 'r1', '呼吸内科', 'confirm', '呼吸内科', 'dr', 3.0)"
    )
    old.commit()
    old.close()

    store = ConsultationStore(path)
    emergency, routine = store.consultation("e1"), store.consultation("r1")
    assert emergency is not None and routine is not None
    assert (emergency["triage_level"], emergency["reasons"]) == ("emergency", [])
    assert (routine["triage_level"], routine["reasons"]) == ("consultation", [])
    assert emergency["red_flags"] == ["chest_pain"]
    assert routine["feedback"] == [
        {
            "feedback_id": "old-1",
            "department": "呼吸内科",
            "action": "confirm",
            "suggested": "呼吸内科",
            "urgency_feedback": None,
            "corrected_level": None,
            "suggested_level": None,
            "doctor": "dr",
            "created_at": 3.0,
        }
    ]
    # the migrated tables take the new rows: an urgency-only decision, a new consultation
    store.add_feedback("new-1", "r1", None, None, "dr", "too_low", "consultation_24")
    store.add_consultation(
        {"id": "n1", "text": CHEST_PAIN}, result("emergency_ambulance", [reason(2, 4, CHEST_PAIN)])
    )
    assert [f["feedback_id"] for f in store.consultation("r1")["feedback"]] == ["old-1", "new-1"]  # type: ignore[index]
    assert [q["id"] for q in store.queue(view="all")] == ["n1", "e1", "r1"]
    assert store.queue(view="all")[2]["urgency_decision"] == "too_low"
    # the department decision is not hidden by the later urgency-only one
    assert store.queue(view="all")[2]["decided"] == "呼吸内科"

    reopened = ConsultationStore(path)  # migrating again is a no-op
    assert reopened.feedback_ids() == {"old-1", "new-1"}
    assert reopened.consultation("n1")["reasons"][0]["start"] == 2  # type: ignore[index]
    db = sqlite3.connect(path)
    assert {r[1] for r in db.execute("PRAGMA index_list(feedback)")} >= {"feedback_by_consultation"}
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_store_queue_puts_the_most_urgent_level_first_then_the_newest(tmp_path: Path) -> None:
    store = ConsultationStore(tmp_path / "q.db")
    received = {  # id: (level, received_at)
        "self-new": ("self_care", 60.0),
        "amb-old": ("emergency_ambulance", 10.0),
        "cons-old": ("consultation", 20.0),
        "c24": ("consultation_24", 30.0),
        "em-new": ("emergency", 50.0),
        "em-old": ("emergency", 15.0),
        "cons-new": ("consultation", 55.0),
        "amb-new": ("emergency_ambulance", 40.0),
    }
    for consultation_id, (level, _) in received.items():
        store.add_consultation({"id": consultation_id, "text": "头痛"}, result(level))
    db = sqlite3.connect(tmp_path / "q.db")
    db.executemany(
        "UPDATE consultations SET received_at = ? WHERE id = ?",
        [(at, cid) for cid, (_, at) in received.items()],
    )
    db.commit()
    db.close()
    assert [q["id"] for q in store.queue()] == [
        "amb-new",
        "amb-old",
        "em-new",
        "em-old",
        "c24",
        "self-new",  # consultation and self-care together, newest first
        "cons-new",
        "cons-old",
    ]
    assert [q["id"] for q in store.queue(limit=3)] == ["amb-new", "amb-old", "em-new"]


def test_store_checks_the_corrected_levels_direction(tmp_path: Path) -> None:
    store = ConsultationStore(tmp_path / "d.db")
    store.add_consultation({"id": "c", "text": "头痛"}, result("consultation_24"))
    with pytest.raises(ValueError, match=r"^corrected_level: .*not lower"):
        store.add_feedback("a", "c", None, None, None, "too_high", "emergency")
    with pytest.raises(ValueError, match=r"^corrected_level: .*not lower"):
        store.add_feedback("b", "c", None, None, None, "too_high", "consultation_24")
    with pytest.raises(ValueError, match=r"^corrected_level: .*not higher"):
        store.add_feedback("c", "c", None, None, None, "too_low", "self_care")
    with pytest.raises(KeyError):
        store.add_feedback("d", "missing", None, None, None, "right", None)
    stored = store.add_feedback("e", "c", None, None, None, "too_low", "emergency_ambulance")
    assert stored["suggested_level"] == "consultation_24"
    assert store.feedback_ids() == {"e"}


# --- the page's HTML --------------------------------------------------------------------------


def test_highlight_marks_each_reasons_span_and_ignores_bad_spans() -> None:
    text = "头痛两天，今天突发胸痛"
    start = text.index("胸痛")
    html = highlight(
        text,
        [
            reason(start, start + 2, text),
            BACKSTOP,  # no span
            {**reason(0, 2, text), "start": -1},
            {**reason(0, 2, text), "end": len(text) + 1},
            {**reason(0, 2, text), "start": 3, "end": 3},
            {**reason(0, 2, text), "start": 5, "end": 2},
            {**reason(0, 2, text), "start": True, "end": 2},
            {**reason(0, 2, text), "start": "0", "end": "2"},
            {"level": "emergency"},
            "not a reason",
        ],
    )
    assert html == '头痛两天，今天突发<mark class="level-emergency" title="急性胸痛">胸痛</mark>'


def test_highlight_merges_overlaps_and_clips_to_the_shown_text() -> None:
    text = "胸痛伴呼吸困难" + "。" * 600
    html = highlight(
        text,
        [
            reason(0, 2, text, "emergency", "胸痛"),
            reason(1, 7, text, "emergency_ambulance", "呼吸困难"),
            reason(495, 510, text, "consultation_24", "长"),  # runs past the shown 500
            reason(520, 530, text, "consultation_24", "不显示"),  # starts past them
        ],
    )
    assert html.startswith(
        '<mark class="level-emergency_ambulance" title="胸痛; 呼吸困难">胸痛伴呼吸困难</mark>'
    )
    assert html.endswith('<mark class="level-consultation_24" title="长">。。。。。</mark>…')
    assert "不显示" not in html and html.count("<mark") == 2


def test_highlight_underlines_the_suggestions_evidence_beside_the_reasons() -> None:
    text = "宝宝咳嗽三天，今天突发胸痛"
    start = text.index("胸痛")
    evidence = [
        {"start": 2, "end": 4, "text": "咳嗽", "weight": 0.8, "source": "ngram"},
        {"start": start, "end": start + 2, "text": "胸痛", "weight": 0.3, "source": "ngram"},
    ]
    html = highlight(text, [reason(start, start + 2, text), *evidence])
    assert f'<mark class="evidence" title="{EVIDENCE_TITLE}">咳嗽</mark>' in html
    # where evidence and an urgency reason overlap, the level's colour wins
    assert '<mark class="level-emergency" title="急性胸痛; 建议科室的依据' in html


def test_page_escapes_a_complaint_with_a_script_and_a_span_over_it() -> None:
    text = '<script>alert("x")</script>突发胸痛 & <b>'
    start = text.index("突发")
    row = {
        "id": 'id"><script>',
        "received_at": 0.0,
        "text": text,
        "age": 50,
        "sex": "M",
        "departments": [{"name": "心血管内科<i>", "probability": 0.7}],
        "abstain": False,
        "urgency": "emergency",
        "red_flags": ["acute_chest_pain"],
        "model_version": "v<1>",
        "triage_level": "emergency_ambulance",
        "reasons": [
            reason(0, 8, text, "emergency", "脚本<img src=x onerror=alert(1)>"),
            reason(start, start + 4, text, "emergency_ambulance"),
            BACKSTOP,
        ],
        "decided": None,
        "decision": None,
        "urgency_decision": "too_high",
        "urgency_corrected_level": "emergency",
    }
    page = render_page([row], ["心血管内科<i>"])
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "<script" not in body and "<img" not in body and "<b>" not in body and "<i>" not in body
    assert (
        '<mark class="level-emergency" title="脚本&lt;img src=x onerror=alert(1)&gt;">'
        "&lt;script&gt;</mark>alert(&#34;x&#34;)&lt;/script&gt;"
        '<mark class="level-emergency_ambulance" title="急性胸痛">突发胸痛</mark> &amp; &lt;b&gt;'
    ) in body
    assert 'data-id="id&#34;&gt;&lt;script&gt;"' in body
    assert "急救/120" in body and "level-emergency_ambulance" in body
    assert "急性胸痛" in body and "模型提示急症" in body
    assert "acute_chest_pain" not in body  # the rules' labels, not their ids
    # each reason in Chinese with the English label beside it
    assert "急性胸痛 <small>acute chest pain</small>：「突发胸痛」" in body
    assert "级别过高 too high → 急诊 emergency" in body
    assert page.count("<script>") == 1  # the page's own script only


def test_page_shows_each_level_with_its_chinese_label(tmp_path: Path) -> None:
    rows = []
    for level in LEVELS:
        rows.append(
            {
                "id": level,
                "received_at": 0.0,
                "text": "头痛",
                "age": None,
                "sex": None,
                "departments": [],
                "abstain": True,
                "urgency": "routine",
                "red_flags": [],
                "model_version": "v",
                "triage_level": level,
                "reasons": [],
            }
        )
    page = render_page(rows, ["神经内科"])
    for level, label in zip(
        LEVELS, ["急救/120", "急诊", "24小时内就诊", "普通门诊", "自我护理"], strict=True
    ):
        assert f'<span class="level level-{level}">{label} ' in page
    assert page.count('class="level-right"') == 5 and page.count('<select class="level"') == 5


# --- over HTTP ----------------------------------------------------------------------------------


def _queued(client: TestClient, level: str, text: str = CHEST_PAIN, **extra: Any) -> str:
    """A consultation stored as /v1/triage would store it, with a level and reasons we choose."""
    consultation_id = f"u-{uuid.uuid4().hex[:10]}"
    store: ConsultationStore = client.app.state.store  # type: ignore[attr-defined]
    store.add_consultation({"id": consultation_id, "text": text}, {**result(level), **extra})
    return consultation_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"urgency_feedback": "too_high", "corrected_level": "emergency"}, "corrected_level"),
        ({"urgency_feedback": "too_high", "corrected_level": "consultation_24"}, "corrected_level"),
        ({"urgency_feedback": "too_low", "corrected_level": "self_care"}, "corrected_level"),
        ({"urgency_feedback": "right", "corrected_level": "consultation"}, "corrected_level"),
        ({"urgency_feedback": "too_high"}, "corrected_level: required"),
        ({"urgency_feedback": "too_low", "corrected_level": "urgent"}, "corrected_level"),
        ({"corrected_level": "self_care"}, "corrected_level"),
        ({"urgency_feedback": "wrong"}, "urgency_feedback"),
        ({}, "urgency_feedback"),
        ({"department": "心血管内科"}, "action"),
    ],
)
def test_urgency_feedback_is_validated(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    consultation_id = _queued(client, "consultation_24")
    response = client.post("/v1/feedback", json={"consultation_id": consultation_id, **body})
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]
    assert client.get(f"/v1/consultations/{consultation_id}").json()["feedback"] == []


def test_urgency_feedback_for_an_unknown_consultation_is_404(client: TestClient) -> None:
    response = client.post(
        "/v1/feedback",
        json={
            "consultation_id": "no-such-consultation",
            "urgency_feedback": "too_high",
            "corrected_level": "self_care",
        },
    )
    assert response.status_code == 404 and "consultation_id" in response.json()["error"]


def test_urgency_feedback_is_stored_and_returned(client: TestClient) -> None:
    consultation_id = _queued(client, "emergency")
    department = client.app.state.models.get("triage").labels[0]  # type: ignore[attr-defined]
    only_urgency = client.post(
        "/v1/feedback",
        json={
            "consultation_id": consultation_id,
            "urgency_feedback": "too_high",
            "corrected_level": "consultation",
            "doctor": "dr-li",
            "feedback_id": f"{consultation_id}-1",
        },
    )
    assert only_urgency.status_code == 201, only_urgency.text
    assert {
        k: only_urgency.json()[k]
        for k in ("department", "action", "urgency_feedback", "corrected_level", "suggested_level")
    } == {
        "department": None,
        "action": None,
        "urgency_feedback": "too_high",
        "corrected_level": "consultation",
        "suggested_level": "emergency",
    }
    both = client.post(
        "/v1/feedback",
        json={
            "consultation_id": consultation_id,
            "department": department,
            "action": "correct",
            "urgency_feedback": "right",
            "feedback_id": f"{consultation_id}-2",
        },
    )
    assert both.status_code == 201, both.text
    stored = client.get(f"/v1/consultations/{consultation_id}").json()
    assert stored["triage_level"] == "emergency"
    assert [
        (
            f["feedback_id"],
            f["department"],
            f["action"],
            f["urgency_feedback"],
            f["corrected_level"],
        )
        for f in stored["feedback"]
    ] == [
        (f"{consultation_id}-1", None, None, "too_high", "consultation"),
        (f"{consultation_id}-2", department, "correct", "right", None),
    ]
    queued = next(
        q
        for q in client.get("/v1/consultations?limit=1000&view=all").json()
        if q["id"] == consultation_id
    )
    assert (queued["decided"], queued["urgency_decision"]) == (department, "right")


def test_consultations_and_the_page_are_ordered_by_level(client: TestClient) -> None:
    routine = _queued(client, "self_care")
    ambulance = _queued(client, "emergency_ambulance")
    within_a_day = _queued(client, "consultation_24")
    ids = [q["id"] for q in client.get("/v1/consultations?limit=1000").json()]
    assert ids.index(ambulance) < ids.index(within_a_day) < ids.index(routine)
    page = client.get("/doctor?limit=1000").text
    assert page.index(f'data-id="{ambulance}"') < page.index(f'data-id="{within_a_day}"')
    assert page.index(f'data-id="{within_a_day}"') < page.index(f'data-id="{routine}"')


def test_doctor_page_highlights_the_reasons_and_escapes_the_complaint(client: TestClient) -> None:
    text = "<script>alert(1)</script>突发胸痛大汗"
    start = text.index("胸痛")
    consultation_id = _queued(
        client,
        "emergency_ambulance",
        text,
        reasons=[
            reason(start, start + 2, text, "emergency_ambulance", "急性胸痛伴大汗"),
            reason(0, 8, text, "emergency", "脚本"),
            BACKSTOP,
        ],
    )
    page = client.get("/doctor?limit=1000").text
    row = page[page.index(f'data-id="{consultation_id}"') :]
    row = row[: row.index("</tr>")]
    assert (
        '<mark class="level-emergency" title="脚本">&lt;script&gt;</mark>alert(1)&lt;/script&gt;'
        '突发<mark class="level-emergency_ambulance" title="急性胸痛伴大汗">胸痛</mark>大汗'
    ) in row
    assert "<script" not in row
    assert "急救/120" in row and "急性胸痛伴大汗" in row and "模型提示急症" in row
    assert "judge(this, 'too_low')" in row
