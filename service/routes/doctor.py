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

Everything from the database is HTML-escaped; the highlighted complaint is built from escaped
slices of the text between the reasons' spans, never by inserting raw text.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterable
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

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

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>分诊队列 Triage queue</title>
<style>
 body {{ font-family: "Microsoft YaHei", "PingFang SC", Arial, sans-serif; margin: 1em; }}
 h1 {{ font-size: 1.4em; margin: 0 0 .3em; }}
 .meta {{ color: #666; font-size: .9em; margin-bottom: 1em; }}
 /* the refresh link and the views stay in reach however far down the doctor has scrolled */
 .meta {{ position: sticky; top: 0; z-index: 1; background: #fff; padding: .3em 0; }}
 table {{ border-collapse: collapse; width: 100%; }}
 th, td {{ border: 1px solid #ccc; padding: .4em .5em; vertical-align: top; text-align: left; }}
 th {{ background: #f3f3f3; font-weight: normal; }}
 tr.level-emergency_ambulance td {{ background: #f9d6d6; }}
 tr.level-emergency td {{ background: #fde8e8; }}
 tr.level-consultation_24 td {{ background: #fff4e0; }}
 .level {{ display: inline-block; padding: .1em .4em; border-radius: .2em; font-weight: bold;
          color: #fff; background: #666; }}
 .level.level-emergency_ambulance {{ background: #8b0000; }}
 .level.level-emergency {{ background: #d32f2f; }}
 .level.level-consultation_24 {{ background: #e67e00; }}
 .level.level-consultation {{ background: #1f6fb2; }}
 .level.level-self_care {{ background: #2e7d32; }}
 mark {{ background: #ffe08a; padding: 0 .1em; }}
 mark.level-emergency_ambulance, mark.level-emergency {{ background: #ffb3b3; }}
 mark.level-consultation_24 {{ background: #ffd699; }}
 mark.evidence {{ background: none; border-bottom: 2px solid #1f6fb2; }}
 ul.reasons {{ margin: .3em 0 0; padding-left: 1.2em; font-size: .9em; }}
 .abstain {{ color: #a60; }}
 .text {{ max-width: 32em; white-space: pre-wrap; }}
 .done {{ color: #070; }}
 .error {{ color: #b00; }}
 .urgency {{ margin-top: .5em; padding-top: .4em; border-top: 1px dashed #ccc; }}
 select, button {{ font-size: 1em; margin: .1em 0; max-width: 100%; }}
 .decided-by {{ color: #555; font-size: .9em; }}
 #doctor-name.missing {{ outline: 2px solid #e67e00; }}
 /* a phone (375 px): one cell under another, so the decision column stays on screen */
 @media (max-width: 700px) {{
  body {{ margin: .5em; }}
  .meta {{ position: static; }}
  #queue, #queue tbody, #queue tr, #queue td {{ display: block; width: auto; }}
  #queue thead {{ display: none; }}
  #queue tr {{ margin-bottom: .8em; border: 1px solid #999; }}
  #queue td {{ border: none; border-bottom: 1px solid #eee; overflow-wrap: anywhere; }}
  .text {{ max-width: none; }}
 }}
</style>
</head>
<body>
<h1>分诊队列 <small>Triage queue</small></h1>
<div class="meta">{count} 条咨询 consultations · 按紧急级别排序 most urgent first · {now}
 · <a href="" id="refresh" onclick="refresh(); return false;">刷新 Refresh</a>
 <label><input type="checkbox" id="auto-refresh" onchange="autoRefresh(this.checked)">
 每60秒自动刷新 auto-refresh every 60 s</label>
 · {views}
 · <label>医生 Doctor: <input id="doctor-name" size="12" maxlength="100" autocomplete="off"
 placeholder="姓名/工号 name or id" onchange="saveDoctor(this.value)"></label></div>
<table id="queue">
<thead><tr>
 <th>时间<br><small>Time</small></th>
 <th>主诉<br><small>Complaint</small></th>
 <th>年龄/性别<br><small>Age/Sex</small></th>
 <th>建议科室 (概率)<br><small>Suggested departments (probability)</small></th>
 <th>分诊级别<br><small>Triage level</small></th>
 <th>模型版本<br><small>Model</small></th>
 <th>医生确认<br><small>Doctor's decision</small></th>
</tr></thead>
<tbody>
{rows}
</tbody>
</table>
<script>
const LEVEL_LABELS = {level_labels};
const URGENCY_DECISIONS = {urgency_decisions};
const CSRF = {csrf};
const REFRESH_MS = {refresh_ms};
const SCROLL_KEY = "doctor-page-scroll:" + location.pathname + location.search;
// Keep the view (the URL) and the scroll position over a refresh: the browser does not
// restore the place when the page is reloaded by a script or the list has changed.
if ("scrollRestoration" in history) history.scrollRestoration = "manual";
function keepPlace() {{
  try {{ sessionStorage.setItem(SCROLL_KEY, String(window.scrollY)); }} catch (e) {{}}
}}
function refresh() {{
  keepPlace();
  location.reload();
}}
window.addEventListener("pagehide", keepPlace);
window.addEventListener("load", () => {{
  let y = null;
  try {{ y = sessionStorage.getItem(SCROLL_KEY); }} catch (e) {{}}
  if (y !== null) window.scrollTo(0, Number(y) || 0);
}});
let refreshTimer = null;
function autoRefresh(on) {{
  try {{ localStorage.setItem("doctor-page-auto-refresh", on ? "1" : ""); }} catch (e) {{}}
  clearTimeout(refreshTimer);
  if (on) refreshTimer = setTimeout(tick, REFRESH_MS);
}}
function tick() {{
  // not while the doctor is picking a department or level, or a decision is being saved
  const busy = document.activeElement && /^(SELECT|INPUT)$/.test(document.activeElement.tagName)
    || document.querySelector(".saving");
  if (busy) refreshTimer = setTimeout(tick, 5000);
  else refresh();
}}
// Who decides: asked once (the field in the header), kept in this browser, sent with every
// decision as `doctor`.
function doctorName() {{
  try {{ return localStorage.getItem("doctor-page-doctor") || ""; }} catch (e) {{ return ""; }}
}}
function saveDoctor(value) {{
  value = value.trim();
  try {{ localStorage.setItem("doctor-page-doctor", value); }} catch (e) {{}}
  const field = document.getElementById("doctor-name");
  field.value = value;
  field.classList.toggle("missing", !value);
}}
(function () {{
  const field = document.getElementById("doctor-name");
  field.value = doctorName();
  field.classList.toggle("missing", !field.value);
  let auto = false;
  try {{ auto = localStorage.getItem("doctor-page-auto-refresh") === "1"; }} catch (e) {{}}
  document.getElementById("auto-refresh").checked = auto;
  if (auto) autoRefresh(true);
}})();
function withDoctor(payload) {{
  const name = document.getElementById("doctor-name").value.trim() || doctorName();
  if (name) payload.doctor = name;
  return payload;
}}
function describeDoctor(payload) {{
  return payload.doctor ? " · 医生 doctor: " + payload.doctor : "";
}}
function newId() {{
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
}}
async function send(payload, status, describe) {{
  status.textContent = "保存中… saving";
  status.className = status.className.replace(/ (done|error|saving)/g, "") + " saving";
  try {{
    const response = await fetch("/v1/feedback", {{
      method: "POST",
      headers: {{"Content-Type": "application/json", "X-CSRF-Token": CSRF}},
      credentials: "same-origin",
      body: JSON.stringify(payload)
    }});
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.status);
    status.textContent = describe(body) + describeDoctor(payload);
    status.className = status.className.replace(/ saving/g, "") + " done";
  }} catch (error) {{
    status.textContent = "失败 failed: " + error.message;
    status.className = status.className.replace(/ saving/g, "") + " error";
  }}
}}
function decide(button, action) {{
  const row = button.closest("tr");
  const department = action === "confirm"
    ? row.dataset.suggested
    : row.querySelector("select.department").value;
  send(withDoctor({{consultation_id: row.dataset.id, department: department, action: action,
                    feedback_id: newId()}}),
       row.querySelector(".status"),
       body => (action === "confirm" ? "已确认 confirmed: " : "已更正 corrected: ")
         + body.department);
}}
function judge(button, decision) {{
  const row = button.closest("tr");
  const payload = withDoctor({{consultation_id: row.dataset.id, urgency_feedback: decision,
                               feedback_id: newId()}});
  if (decision !== "right") payload.corrected_level = row.querySelector("select.level").value;
  send(payload, row.querySelector(".urgency-status"),
       body => URGENCY_DECISIONS[body.urgency_feedback]
         + (body.corrected_level ? " → " + LEVEL_LABELS[body.corrected_level] : ""));
}}
</script>
</body>
</html>
"""

_ROW = """<tr class="{css}" data-id="{id}" data-suggested="{suggested}" data-level="{level}">
 <td>{time}</td>
 <td class="text">{text}</td>
 <td>{age} {sex}</td>
 <td>{departments}{abstain}</td>
 <td class="triage-level">{level_badge}{reasons}</td>
 <td><small>{version}</small></td>
 <td>
  <button type="button" class="confirm" onclick="decide(this, 'confirm')">确认 Confirm</button><br>
  <select class="department" aria-label="department">{options}</select>
  <button type="button" class="correct" onclick="decide(this, 'correct')">更正 Correct</button>
  <div class="status{status_css}">{status}</div>
  <div class="urgency">
   <button type="button" class="level-right"
    onclick="judge(this, 'right')">级别合适 Right</button>
   <button type="button" class="level-too-high"
    onclick="judge(this, 'too_high')">级别过高 Too high</button>
   <button type="button" class="level-too-low"
    onclick="judge(this, 'too_low')">级别过低 Too low</button><br>
   <select class="level" aria-label="corrected level">{level_options}</select>
   <div class="urgency-status{urgency_status_css}">{urgency_status}</div>
  </div>
 </td>
</tr>"""


def level_label(level: str) -> str:
    """'急诊 emergency' for a known level, an unknown one as itself (plain text: escape it)."""
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


def highlight(text: str, reasons: Iterable[Any], shown: int = TEXT_SHOWN) -> str:
    """The complaint as HTML with each reason's span in a <mark>.

    Only the first `shown` characters are shown. Spans that are empty, reversed, out of the
    text's range or not integers (and the learned backstop's, which has none) are ignored;
    overlapping spans merge into one mark titled with every label. Every piece of text is
    escaped on its own: the marks are the only markup.
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
    esc = html.escape
    parts: list[str] = []
    at = 0
    for start, end, group in merged:
        parts.append(esc(visible[at:start]))
        levels = [str(r["level"]) for r in group if r.get("level") in RANK]
        if levels:
            css = _level_css(min(levels, key=RANK.__getitem__))
        elif any(r.get("source") in EVIDENCE_SOURCES for r in group):
            css = "evidence"
        else:
            css = "level-unknown"
        titles = list(dict.fromkeys(_reason_label(r) for r in group))
        parts.append(
            f'<mark class="{css}" title="{esc("; ".join(titles))}">{esc(visible[start:end])}</mark>'
        )
        at = end
    parts.append(esc(visible[at:]))
    if len(text) > shown:
        parts.append("…")
    return "".join(parts)


def _reason_label(reason: dict[str, Any]) -> str:
    """The rule's Chinese label (its English one, then its id, only when a label is missing);
    for a suggestion's evidence, what it is."""
    if reason.get("source") in EVIDENCE_SOURCES:
        return EVIDENCE_TITLE
    return str(reason.get("label_zh") or reason.get("label_en") or reason.get("rule_id") or "")


def _reasons(item: dict[str, Any]) -> str:
    esc = html.escape
    entries: list[str] = []
    for reason in item.get("reasons") or []:
        if not isinstance(reason, dict):
            continue
        label = esc(_reason_label(reason))
        if not label:
            continue
        english = str(reason.get("label_en") or "")
        if reason.get("label_zh") and english and reason.get("source") not in EVIDENCE_SOURCES:
            label += f" <small>{esc(english)}</small>"  # doctors who read English, and audits
        if reason.get("source") == "model":
            entries.append(f"{label} <small>(模型 model)</small>")
        elif reason.get("evidence"):
            entries.append(f"{label}：「{esc(str(reason['evidence']))}」")
        else:
            entries.append(label)
    entries = list(dict.fromkeys(entries))
    if entries:
        return '<ul class="reasons">' + "".join(f"<li>{e}</li>" for e in entries) + "</ul>"
    if item.get("red_flags"):  # stored before reasons existed: the rule ids are all there is
        return "<br><small>" + esc(", ".join(map(str, item["red_flags"]))) + "</small>"
    return ""


def _urgency_status(item: dict[str, Any]) -> str:
    decision = item.get("urgency_decision")
    if not decision:
        return ""
    text = html.escape(URGENCY_DECISIONS.get(decision, decision))
    corrected = item.get("urgency_corrected_level")
    if corrected:
        text += " → " + html.escape(level_label(corrected))
    return text + _decided_by(item.get("urgency_decided_by"))


def _decided_by(doctor: Any) -> str:
    """' · 医生 doctor: <name>' for a decision stored with the doctor's name or id (queue rows
    carry it as `decided_by` / `urgency_decided_by` where the store selects it)."""
    if not doctor:
        return ""
    return f' <span class="decided-by">· 医生 doctor: {html.escape(str(doctor))}</span>'


def _row(item: dict[str, Any], labels: list[str], abstain_label: str) -> str:
    esc = html.escape
    departments = item["departments"]
    suggested = departments[0]["name"] if departments else ""
    decided = item.get("decided")
    options = "".join(
        f'<option value="{esc(name)}"{" selected" if name == (decided or suggested) else ""}>'
        f"{esc(name)}</option>"
        for name in labels
    )
    level = str(item.get("triage_level") or "consultation")
    picked = item.get("urgency_corrected_level") or level
    level_options = "".join(
        f'<option value="{name}"{" selected" if name == picked else ""}>'
        f"{esc(level_label(name))}</option>"
        for name in LEVELS
    )
    status = ""
    if decided:
        verb = "已确认 confirmed" if item["decision"] == "confirm" else "已更正 corrected"
        status = f"{verb}: {esc(decided)}" + _decided_by(item.get("decided_by"))
    urgency_status = _urgency_status(item)
    css = _level_css(level) + (" emergency" if level in EMERGENCY_LEVELS else "")
    return _ROW.format(
        css=css,
        id=esc(item["id"]),
        suggested=esc(suggested),
        level=esc(level),
        time=time.strftime("%m-%d %H:%M", time.localtime(item["received_at"])),
        # urgency reasons (coloured) and the words the top suggestion rests on (underlined)
        text=highlight(item["text"], [*(item.get("reasons") or []), *(item.get("evidence") or [])]),
        age="" if item["age"] is None else f"{item['age']}岁",
        sex={"F": "女", "M": "男"}.get(item["sex"] or "", ""),
        departments="<br>".join(
            f"{esc(d['name'])} ({d['probability']:.0%})" for d in departments[:3]
        ),
        abstain=f'<br><span class="abstain">需人工分诊 {esc(abstain_label)}</span>'
        if item["abstain"]
        else "",
        level_badge=f'<span class="level {_level_css(level)}">{esc(level_label(level))}</span>',
        reasons=_reasons(item),
        version=esc(item["model_version"]),
        options=options,
        status=status,
        status_css=" done" if decided else "",
        level_options=level_options,
        urgency_status=urgency_status,
        urgency_status_css=" done" if urgency_status else "",
    )


_VIEWS = {"open": "待处理 Undecided only", "all": "全部 All (undecided first)"}


def render_page(
    queue: list[dict[str, Any]],
    labels: list[str],
    view: str = "open",
    csrf: str = "",
    abstain_label: str = ABSTAIN_LABEL,
) -> str:
    """The whole page for these queue rows (as `ConsultationStore.queue` gives them);
    `abstain_label` is the serving triage bundle's (its manifest's `abstain_label`)."""
    views = " / ".join(
        f"<b>{label}</b>" if name == view else f'<a href="?view={name}">{label}</a>'
        for name, label in _VIEWS.items()
    )
    rows = "\n".join(_row(item, labels, abstain_label) for item in queue)
    level_labels = {name: level_label(name) for name in LEVELS}
    return _PAGE.format(
        count=len(queue),
        views=views,
        csrf=json.dumps(csrf),  # hex: nothing in it can close the script
        now=time.strftime("%Y-%m-%d %H:%M"),
        rows=rows or '<tr><td colspan="7">暂无咨询 No consultations yet</td></tr>',
        # ASCII-only JSON of the service's own constants: nothing in it can close the script
        level_labels=json.dumps(level_labels),
        urgency_decisions=json.dumps(URGENCY_DECISIONS),
        refresh_ms=AUTO_REFRESH_SECONDS * 1000,
    )


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
