"""The doctor's page as rendered (no browser): views, refresh, the doctor's name, phone CSS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.routes.doctor import render_page


def row(id_: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "received_at": 0.0,
        "text": "头痛三天",
        "age": 40,
        "sex": "F",
        "departments": [{"name": "神经内科", "probability": 0.8}],
        "abstain": False,
        "urgency": "routine",
        "red_flags": [],
        "model_version": "v1",
        "triage_level": "consultation",
        "reasons": [],
        "decided": None,
        "decision": None,
        **extra,
    }


def test_views_offer_undecided_only_and_all_with_undecided_first() -> None:
    page = render_page([row("a")], ["神经内科"], view="open")
    assert "<b>待处理 Undecided only</b>" in page
    assert '<a href="?view=all">全部 All (undecided first)</a>' in page
    page = render_page([row("a")], ["神经内科"], view="all")
    assert '<a href="?view=open">待处理 Undecided only</a>' in page


def test_refresh_keeps_the_place_and_auto_refresh_is_off_by_default() -> None:
    page = render_page([row("a")], ["神经内科"])
    assert 'id="refresh" onclick="refresh(); return false;"' in page
    assert 'type="checkbox" id="auto-refresh"' in page
    assert 'id="auto-refresh" checked' not in page  # off unless the doctor ticked it before
    assert "const REFRESH_MS = 60000;" in page
    assert "sessionStorage.setItem(SCROLL_KEY" in page and "window.scrollTo(0" in page
    assert "cdn" not in page.lower() and "<script src" not in page


def test_decisions_carry_the_doctor_and_decided_rows_show_who() -> None:
    page = render_page([row("a")], ["神经内科"])
    assert 'id="doctor-name"' in page and "payload.doctor = name" in page
    assert page.count("withDoctor({") == 2  # department decisions and urgency judgements
    decided = row(
        "b",
        decided="神经内科",
        decision="confirm",
        decided_by="李医生<b>",
        urgency_decision="right",
        urgency_decided_by="dr-wang",
    )
    body = render_page([decided], ["神经内科"])
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    assert "已确认 confirmed: 神经内科" in body
    assert "医生 doctor: 李医生&lt;b&gt;" in body and "<b>" not in body
    assert "级别合适 level right" in body and "医生 doctor: dr-wang" in body
    # without a stored name nothing is claimed
    plain = render_page([row("c", decided="神经内科", decision="confirm")], ["神经内科"])
    assert "医生 doctor:" not in plain[plain.index("<tbody>") : plain.index("</tbody>")]


def test_phone_css_stacks_the_cells() -> None:
    page = render_page([row("a")], ["神经内科"])
    assert "@media (max-width: 700px)" in page
    assert "#queue, #queue tbody, #queue tr, #queue td {{" not in page  # format braces undone
    assert "#queue, #queue tbody, #queue tr, #queue td { display: block;" in page


def test_queue_rows_name_the_doctor_who_decided(tmp_path: Path) -> None:
    from consultations.store import ConsultationStore

    store = ConsultationStore(tmp_path / "db.sqlite")
    store.add_consultation(
        {"id": "c0", "text": "咳嗽两周", "age": 40, "sex": "F"},
        {
            "departments": [{"name": "呼吸内科", "probability": 0.6}],
            "abstain": False,
            "urgency": "routine",
            "red_flags": [],
            "model": {"name": "triage", "version": "v1"},
        },
    )
    store.add_feedback("f0", "c0", "呼吸内科", "confirm", "dr-li")
    store.add_feedback("f1", "c0", None, None, "dr-wang", "right")
    [row] = store.queue(view="all")
    assert (row["decided_by"], row["urgency_decided_by"]) == ("dr-li", "dr-wang")
