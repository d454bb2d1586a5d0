"""GET /doctor: the doctors' queue of consultations scored at intake (server-rendered HTML).

Most urgent triage level first (急救/120, 急诊, 24小时内就诊, then the rest), then newest first.
Each row shows the level in colour with the reasons that raised it (the rules' Chinese labels),
and highlights in the complaint the words each reason fired on. For each consultation the doctor
confirms the suggested department or picks another, and judges the level (right, too high or too
low, with the level it should have been); the page posts each decision to /v1/feedback with a
small script and marks the row. Plain HTML and one script, no framework: it has to work on an old
hospital PC.

Doctors keep the page open all day: the default view lists only undecided consultations, the
refresh link (and the optional 60 s auto-refresh, off until ticked) keeps the view and the scroll
position, the doctor's name or id is asked once (kept in the browser) and sent with every
decision as `doctor`, and on a phone (375 px) the cells stack so the decision buttons stay on
screen.

The HTML is service/templates/doctor.html (Jinja, autoescape on, StrictUndefined), with the
style and the script inlined from doctor.css and doctor.js beside it. This module hands it plain
text, which the template escapes; the one exception is the highlighted complaint, Markup built
here from escaped slices of the text between the reasons' spans, never by inserting raw text.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from service.deps import (
    COOKIE,
    SettingsDep,
    StoreDep,
    auth_required,
    authorize,
    csrf_token,
    key_matches,
    role_keys,
)
from service.levels import EMERGENCY_LEVELS, LABELS_EN, LABELS_ZH, LEVELS, RANK
from triage.predictor import ABSTAIN_LABEL

router = APIRouter(tags=["doctor"])

# Evidence items (triage.schema.Evidence) are highlighted beside the urgency reasons.
EVIDENCE_SOURCES = ("ngram", "sentence")
EVIDENCE_TITLE = "建议科室的依据 words the top suggestion rests on"
TEXT_SHOWN = 500
"""Characters of a complaint shown on the page (spans past it are not highlighted)."""

URGENCY_DECISIONS = {
    "right": "级别合适 level right",
    "too_high": "级别过高 too high",
    "too_low": "级别过低 too low",
}

AUTO_REFRESH_SECONDS = 60
"""The page's auto-refresh period (off until the doctor ticks its checkbox)."""


def level_label(level: str) -> str:
    """'急诊 emergency' for a known level, an unknown one as itself (plain text, not HTML)."""
    if level in LABELS_ZH:
        return f"{LABELS_ZH[level]} {LABELS_EN[level]}"
    return str(level)


def _level_css(level: Any) -> str:
    """A CSS class only ever built from the known level names."""
    return f"level-{level}" if level in RANK else "level-unknown"


def _span(reason: dict[str, Any], size: int) -> tuple[int, int] | None:
    """A reason's [start, end) when it is a real span inside a text of `size` characters."""
    start, end = reason.get("start"), reason.get("end")
    if type(start) is not int or type(end) is not int:  # bool is an int: not a span
        return None
    if not 0 <= start < end <= size:
        return None
    return start, end


_MARK = Markup('<mark class="{}" title="{}">{}</mark>')
"""Markup.format escapes each argument."""


def highlight(text: str, reasons: Iterable[Any], shown: int = TEXT_SHOWN) -> Markup:
    """The complaint as HTML with each reason's span in a <mark>.

    Only the first `shown` characters are shown. Spans that are empty, reversed, out of the
    text's range or not integers (and the learned backstop's, which has none) are ignored;
    overlapping spans merge into one mark titled with every label. Every piece of text is
    escaped on its own: the marks are the only markup, and the Markup returned is what tells
    the template not to escape it again.
    """
    visible = text[:shown]
    spans: list[tuple[int, int, dict[str, Any]]] = []
    for reason in reasons:
        if not isinstance(reason, dict):
            continue
        span = _span(reason, len(text))
        if span is None or span[0] >= len(visible):
            continue
        spans.append((span[0], min(span[1], len(visible)), reason))
    spans.sort(key=lambda s: (s[0], s[1]))
    merged: list[tuple[int, int, list[dict[str, Any]]]] = []
    for start, end, reason in spans:
        if merged and start < merged[-1][1]:
            first, last, group = merged[-1]
            merged[-1] = (first, max(last, end), [*group, reason])
        else:
            merged.append((start, end, [reason]))
    parts: list[str] = []  # plain text, or Markup: Markup.join escapes the plain pieces
    at = 0
    for start, end, group in merged:
        parts.append(visible[at:start])
        levels = [str(r["level"]) for r in group if r.get("level") in RANK]
        if levels:
            css = _level_css(min(levels, key=RANK.__getitem__))
        elif any(r.get("source") in EVIDENCE_SOURCES for r in group):
            css = "evidence"
        else:
            css = "level-unknown"
        titles = list(dict.fromkeys(_reason_label(r) for r in group))
        parts.append(_MARK.format(css, "; ".join(titles), visible[start:end]))
        at = end
    parts.append(visible[at:])
    if len(text) > shown:
        parts.append("…")
    return Markup("").join(parts)


def _reason_label(reason: dict[str, Any]) -> str:
    """The rule's Chinese label (its English one, then its id, only when a label is missing);
    for a suggestion's evidence, what it is."""
    if reason.get("source") in EVIDENCE_SOURCES:
        return EVIDENCE_TITLE
    return str(reason.get("label_zh") or reason.get("label_en") or reason.get("rule_id") or "")


# What the template shows, as plain text: it escapes every field but a row's `text`.


@dataclass(frozen=True, slots=True)
class _Reason:
    label: str
    english: str
    """The English label beside a rule's Chinese one (doctors who read English, and audits)."""
    model: bool
    """Raised by the learned backstop, not a rule."""
    evidence: str
    """The words the rule fired on."""


@dataclass(frozen=True, slots=True)
class _Department:
    name: str
    probability: str


@dataclass(frozen=True, slots=True)
class _Row:
    id: str
    css: str
    """The <tr>'s classes: its level's colour, and `emergency` for the two emergency levels."""
    suggested: str
    level: str
    time: str
    text: Markup
    """The complaint from `highlight`: the one field the template does not escape."""
    age: str
    sex: str
    departments: list[_Department]
    abstain: bool
    level_css: str
    level_label: str
    reasons: list[_Reason]
    red_flags: list[str]
    version: str
    picked_department: str
    """The department selected in the row's list: the one decided, else the suggested one, else
    (the model abstained) none: the doctor must choose."""
    picked_level: str
    """The level selected in the row's list: the one a doctor corrected it to, else its own."""
    status: str
    """'已确认 confirmed: <department>' (or corrected) once decided, else ''."""
    decided_by: str
    """The doctor's name or id, where the store selected it with the decision."""
    urgency_status: str
    urgency_decided_by: str


def _reasons(item: dict[str, Any]) -> list[_Reason]:
    entries: list[_Reason] = []
    for reason in item.get("reasons") or []:
        if not isinstance(reason, dict):
            continue
        label = _reason_label(reason)
        if not label:
            continue
        english = str(reason.get("label_en") or "")
        if not reason.get("label_zh") or reason.get("source") in EVIDENCE_SOURCES:
            english = ""  # the label already is the English one, or says what evidence is
        model = reason.get("source") == "model"
        evidence = "" if model else str(reason.get("evidence") or "")
        entries.append(_Reason(label, english, model, evidence))
    return list(dict.fromkeys(entries))  # several spans of one rule: one entry


def _urgency_status(item: dict[str, Any]) -> str:
    decision = item.get("urgency_decision")
    if not decision:
        return ""
    text = str(URGENCY_DECISIONS.get(decision, decision))
    corrected = item.get("urgency_corrected_level")
    if corrected:
        text += " → " + level_label(corrected)
    return text


def _row(item: dict[str, Any]) -> _Row:
    departments = item["departments"]
    suggested = departments[0]["name"] if departments else ""
    decided = item.get("decided")
    level = str(item.get("triage_level") or "consultation")
    status = ""
    if decided:
        verb = "已确认 confirmed" if item["decision"] == "confirm" else "已更正 corrected"
        status = f"{verb}: {decided}"
    return _Row(
        id=str(item["id"]),
        css=_level_css(level) + (" emergency" if level in EMERGENCY_LEVELS else ""),
        suggested=str(suggested),
        level=level,
        time=time.strftime("%m-%d %H:%M", time.localtime(item["received_at"])),
        # urgency reasons (coloured) and the words the top suggestion rests on (underlined)
        text=highlight(item["text"], [*(item.get("reasons") or []), *(item.get("evidence") or [])]),
        age="" if item["age"] is None else f"{item['age']}岁",
        sex={"F": "女", "M": "男"}.get(item["sex"] or "", ""),
        departments=[
            _Department(str(d["name"]), f"{d['probability']:.0%}") for d in departments[:3]
        ],
        abstain=bool(item["abstain"]),
        level_css=_level_css(level),
        level_label=level_label(level),
        reasons=_reasons(item),
        red_flags=[str(flag) for flag in item.get("red_flags") or []],
        version=str(item["model_version"]),
        # an abstained suggestion is not preselected and cannot be confirmed in one click: a
        # confident-looking guess (English complaints, unusual wording) must not become the
        # doctor's decision by default
        picked_department=str(decided or ("" if item["abstain"] else suggested)),
        picked_level=str(item.get("urgency_corrected_level") or level),
        status=status,
        decided_by=str(item.get("decided_by") or ""),
        urgency_status=_urgency_status(item),
        urgency_decided_by=str(item.get("urgency_decided_by") or ""),
    )


_VIEWS = {"open": "待处理 Undecided only", "all": "全部 All (undecided first)"}


@functools.cache
def templates() -> Environment:
    """The page's templates, loaded once on first use (not at import, not per request).

    Autoescape is on for every template, not by file name: the inlined doctor.css and
    doctor.js are templates too. StrictUndefined makes a missing or misspelt variable an
    error instead of an empty cell.
    """
    return Environment(
        loader=PackageLoader("service", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_context(
    queue: list[dict[str, Any]],
    labels: list[str],
    view: str = "open",
    csrf: str = "",
    abstain_label: str = ABSTAIN_LABEL,
) -> dict[str, Any]:
    """What doctor.html is rendered with (see `render_page`)."""
    levels = [(name, level_label(name)) for name in LEVELS]
    rows = [_row(item) for item in queue]
    # every row's department list offers the same choices: rendered (by options.html) once per
    # department selected in some row, not once a row
    options = templates().get_template("options.html").module.department_options  # type: ignore[attr-defined]
    return {
        "rows": rows,
        "department_options": {
            picked: options(labels, picked) for picked in {row.picked_department for row in rows}
        },
        "level_choices": levels,
        "views": list(_VIEWS.items()),
        "view": view,
        "now": time.strftime("%Y-%m-%d %H:%M"),
        "abstain_label": abstain_label,
        "csrf": csrf,
        "level_labels": dict(levels),
        "urgency_decisions": URGENCY_DECISIONS,
        "refresh_ms": AUTO_REFRESH_SECONDS * 1000,
    }


def render_page(
    queue: list[dict[str, Any]],
    labels: list[str],
    view: str = "open",
    csrf: str = "",
    abstain_label: str = ABSTAIN_LABEL,
) -> str:
    """The whole page for these queue rows (as `ConsultationStore.queue` gives them);
    `abstain_label` is the serving triage bundle's (its manifest's `abstain_label`)."""
    context = page_context(queue, labels, view, csrf, abstain_label)
    return templates().get_template("doctor.html").render(context)


@router.get("/doctor", response_class=HTMLResponse)
def doctor_page(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
    view: Literal["open", "all"] = "open",
) -> Response:
    """The queue as an HTML page (Chinese, with English labels): open consultations first (see
    `GET /v1/consultations`). It reads SQLite only, so it works while the triage bundle is
    down; the department choices then fall back to those already in the queue.

    Log in once with `/doctor?api_key=<doctor key>`: the key is checked, kept in a Secure,
    HttpOnly, SameSite=Strict cookie, and the browser is sent back to `/doctor` without it.
    """
    login = request.query_params.get("api_key")
    if login is not None:
        if auth_required(settings) and not key_matches(login, role_keys(settings, "doctor")):
            raise HTTPException(status_code=401, detail="api_key: not a doctor key")
        back = RedirectResponse("/doctor", status_code=303)
        back.set_cookie(
            COOKIE, login, httponly=True, samesite="strict", secure=settings.secure_cookies
        )
        return back
    authorize(request, "doctor", request.headers.get("X-API-Key"))
    queue = store.queue(limit, offset, view)
    predictor = request.app.state.models.get("triage")
    labels = (
        list(predictor.labels)
        if predictor is not None
        else sorted({d["name"] for item in queue for d in item["departments"]})
    )
    abstain_label = predictor.abstain_label if predictor is not None else ABSTAIN_LABEL
    return HTMLResponse(render_page(queue, labels, view, csrf_token(settings), abstain_label))
