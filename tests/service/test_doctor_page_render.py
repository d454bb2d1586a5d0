"""The doctor's page as rendered (no browser): views, refresh, the doctor's name, phone CSS,
and that nothing from the store reaches it unescaped."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

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


# --- escaping and strictness (the page is a Jinja template, autoescaped) ------------------------

ATTACK = '<script>alert(1)</script>"onmouseover={{ 7*7 }}'


def attack(field: str) -> str:
    """A value that would run a script, break out of an attribute or be evaluated as Jinja if
    it were inserted raw; `field` tells the copies apart."""
    return ATTACK.replace("onmouseover", f"onmouseover-{field}")


def escaped(field: str) -> str:
    return f"&lt;script&gt;alert(1)&lt;/script&gt;&#34;onmouseover-{field}={{{{ 7*7 }}}}"


def test_data_from_the_store_is_escaped_wherever_it_lands() -> None:
    department = attack("department")
    decided = row(
        "decided",
        text=attack("text"),
        departments=[{"name": department, "probability": 0.9}],
        model_version=attack("version"),
        decided=department,
        decision="confirm",
        decided_by=attack("doctor"),
        urgency_decision="right",
        urgency_decided_by=attack("urgency-doctor"),
        abstain=True,
    )
    legacy = row("legacy", red_flags=[attack("red-flag")])  # no reasons: the ids are shown
    page = render_page([decided, legacy], [department], abstain_label=attack("abstain"))
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "<script" not in body and '"onmouseover' not in body
    assert "49" not in body  # {{ 7*7 }} in the data is text, never a template
    for place in (
        f'<td class="text">{escaped("text")}</td>',
        f'data-suggested="{escaped("department")}"',
        f"<td>{escaped('department')} (90%)<br>",
        f'<option value="{escaped("department")}" selected>{escaped("department")}</option>',
        f"<small>{escaped('version')}</small>",
        f"已确认 confirmed: {escaped('department')} ",
        f"· 医生 doctor: {escaped('doctor')}</span>",
        f"· 医生 doctor: {escaped('urgency-doctor')}</span>",
        f"<br><small>{escaped('red-flag')}</small>",
        f"需人工分诊 {escaped('abstain')}</span>",
    ):
        assert place in body, place
    assert page.count("<script") == 1  # the page's own


def test_reason_labels_and_evidence_are_escaped_once() -> None:
    text = "头痛 & <b>呕吐</b>"
    reason = {
        "start": 0,
        "end": 2,
        "level": "emergency",
        "label_zh": attack("label"),
        "label_en": "a & b",
        "evidence": "<b>",
        "source": "rule",
    }
    page = render_page([row("a", text=text, reasons=[reason])], ["神经内科"])
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    # the complaint is Markup from highlight(): its marks stay, its text is escaped once
    assert (
        f'<mark class="level-emergency" title="{escaped("label")}">头痛</mark>'
        " &amp; &lt;b&gt;呕吐&lt;/b&gt;"
    ) in body
    assert f"<li>{escaped('label')} <small>a &amp; b</small>：「&lt;b&gt;」</li>" in body
    assert "&amp;amp;" not in body and "&amp;lt;" not in body


def test_highlight_returns_markup_so_the_template_does_not_escape_it_again() -> None:
    from markupsafe import Markup

    from service.routes.doctor import highlight

    marked = highlight("<i>胸痛", [{"start": 3, "end": 5, "level": "emergency", "label_zh": "胸"}])
    assert isinstance(marked, Markup)
    assert marked == '&lt;i&gt;<mark class="level-emergency" title="胸">胸痛</mark>'


def test_the_environment_is_built_once_and_escapes_strings_too() -> None:
    from service.routes.doctor import templates

    assert templates() is templates()
    assert templates().from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


def test_a_missing_template_variable_raises_instead_of_rendering_empty() -> None:
    from jinja2 import UndefinedError

    from service.routes.doctor import page_context, templates

    page = templates().get_template("doctor.html")
    context = page_context([row("a", abstain=True)], ["神经内科"])
    assert "头痛三天" in page.render(context)
    for name in context:  # every variable the page is given is one it needs
        # (|tojson meets the Undefined in json.dumps, which raises TypeError naming its type)
        with pytest.raises((UndefinedError, TypeError), match=f"'{name}'|StrictUndefined"):
            page.render({k: v for k, v in context.items() if k != name})
    # and a row without a field it shows
    [shown] = context["rows"]
    short = {k: v for k, v in dataclasses.asdict(shown).items() if k != "version"}
    with pytest.raises(UndefinedError, match="version"):
        page.render({**context, "rows": [short]})


def _row_html(page: str, id_: str) -> str:
    start = page.index(f'data-id="{id_}"')
    return page[start : page.index("</tr>", start)]


def test_an_abstained_suggestion_cannot_be_confirmed_in_one_click() -> None:
    # e.g. an English complaint the model guessed at: shown, but not preselected or confirmable
    queue = [
        row("sure", abstain=False),
        row("unsure", abstain=True),
        row("unsure-decided", abstain=True, decided="心内科", decision="correct"),
    ]
    page = render_page(queue, ["心内科", "甲状腺疾病", "神经内科"])
    sure, unsure, decided = (_row_html(page, i) for i in ("sure", "unsure", "unsure-decided"))
    suggested = queue[0]["departments"][0]["name"]
    assert f'<option value="{suggested}" selected>' in sure
    assert 'class="confirm" onclick=' in sure and "disabled" not in sure
    assert 'class="confirm" disabled' in unsure and "decide(this, 'confirm')" not in unsure
    assert '<option value="" selected>' in unsure
    assert unsure.count(" selected>") == 2  # the empty department choice, and the level
    assert '<option value="心内科" selected>' in decided  # a decision stays shown as made
    assert '<option value="" selected>' not in decided


def test_the_page_script_refuses_a_correction_without_a_department() -> None:
    page = render_page([row("unsure", abstain=True)], ["心内科"])
    script = page[page.index("function decide") :]
    assert "if (!department)" in script[: script.index("send(")]
