"""GET /doctor: the doctors' queue of consultations scored at intake (server-rendered HTML).

Emergencies first, then newest first. For each consultation the doctor confirms the suggested
department or picks another; the page posts that to /v1/feedback with a small script and marks
the row. Plain HTML and one script, no framework: it has to work on an old hospital PC.
"""

from __future__ import annotations

import html
import time
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from service.deps import Authorized, StoreDep, TriageDep

router = APIRouter(tags=["doctor"])

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
 table {{ border-collapse: collapse; width: 100%; }}
 th, td {{ border: 1px solid #ccc; padding: .4em .5em; vertical-align: top; text-align: left; }}
 th {{ background: #f3f3f3; font-weight: normal; }}
 tr.emergency td {{ background: #fde8e8; }}
 .urgency-emergency {{ color: #b00; font-weight: bold; }}
 .abstain {{ color: #a60; }}
 .text {{ max-width: 32em; white-space: pre-wrap; }}
 .done {{ color: #070; }}
 .error {{ color: #b00; }}
 select, button {{ font-size: 1em; margin: .1em 0; }}
</style>
</head>
<body>
<h1>分诊队列 <small>Triage queue</small></h1>
<div class="meta">{count} 条咨询 consultations · 急诊优先 emergencies first · {now}
 · <a href="">刷新 Refresh</a></div>
<table id="queue">
<thead><tr>
 <th>时间<br><small>Time</small></th>
 <th>主诉<br><small>Complaint</small></th>
 <th>年龄/性别<br><small>Age/Sex</small></th>
 <th>建议科室 (概率)<br><small>Suggested departments (probability)</small></th>
 <th>紧急程度<br><small>Urgency</small></th>
 <th>模型版本<br><small>Model</small></th>
 <th>医生确认<br><small>Doctor's decision</small></th>
</tr></thead>
<tbody>
{rows}
</tbody>
</table>
<script>
async function decide(button, action) {{
  const row = button.closest("tr");
  const status = row.querySelector(".status");
  const department = action === "confirm"
    ? row.dataset.suggested
    : row.querySelector("select").value;
  status.textContent = "保存中… saving";
  status.className = "status";
  try {{
    const response = await fetch("/v1/feedback", {{
      method: "POST",
      headers: {{"Content-Type": "application/json"}},
      credentials: "same-origin",
      body: JSON.stringify({{consultation_id: row.dataset.id, department: department,
                             action: action, feedback_id: crypto.randomUUID ?
                             crypto.randomUUID() : String(Date.now()) + Math.random()}})
    }});
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.status);
    status.textContent = (action === "confirm" ? "已确认 confirmed: " : "已更正 corrected: ")
      + body.department;
    status.className = "status done";
  }} catch (error) {{
    status.textContent = "失败 failed: " + error.message;
    status.className = "status error";
  }}
}}
</script>
</body>
</html>
"""

_ROW = """<tr class="{css}" data-id="{id}" data-suggested="{suggested}">
 <td>{time}</td>
 <td class="text">{text}</td>
 <td>{age} {sex}</td>
 <td>{departments}{abstain}</td>
 <td class="urgency-{urgency}">{urgency_label}{flags}</td>
 <td><small>{version}</small></td>
 <td>
  <button type="button" class="confirm" onclick="decide(this, 'confirm')">确认 Confirm</button><br>
  <select aria-label="department">{options}</select>
  <button type="button" class="correct" onclick="decide(this, 'correct')">更正 Correct</button>
  <div class="status{status_css}">{status}</div>
 </td>
</tr>"""


def _row(item: dict[str, Any], labels: list[str]) -> str:
    esc = html.escape
    departments = item["departments"]
    suggested = departments[0]["name"] if departments else ""
    decided = item.get("decided")
    options = "".join(
        f'<option value="{esc(name)}"{" selected" if name == (decided or suggested) else ""}>'
        f"{esc(name)}</option>"
        for name in labels
    )
    status = ""
    if decided:
        verb = "已确认 confirmed" if item["decision"] == "confirm" else "已更正 corrected"
        status = f"{verb}: {esc(decided)}"
    return _ROW.format(
        css="emergency" if item["urgency"] == "emergency" else "",
        id=esc(item["id"]),
        suggested=esc(suggested),
        time=time.strftime("%m-%d %H:%M", time.localtime(item["received_at"])),
        text=esc(item["text"][:500]),
        age="" if item["age"] is None else f"{item['age']}岁",
        sex={"F": "女", "M": "男"}.get(item["sex"] or "", ""),
        departments="<br>".join(
            f"{esc(d['name'])} ({d['probability']:.0%})" for d in departments[:3]
        ),
        abstain='<br><span class="abstain">需人工分诊 refer to a nurse</span>'
        if item["abstain"]
        else "",
        urgency=esc(item["urgency"]),
        urgency_label="急诊 emergency" if item["urgency"] == "emergency" else "普通 routine",
        flags=("<br><small>" + esc(", ".join(item["red_flags"])) + "</small>")
        if item["red_flags"]
        else "",
        version=esc(item["model_version"]),
        options=options,
        status=status,
        status_css=" done" if decided else "",
    )


@router.get("/doctor", response_class=HTMLResponse, dependencies=[Authorized])
def doctor_page(
    request: Request,
    store: StoreDep,
    predictor: TriageDep,
    limit: int = Query(200, ge=1, le=1000),
) -> HTMLResponse:
    """The queue as an HTML page (Chinese, with English labels)."""
    queue = store.queue(limit)
    rows = "\n".join(_row(item, list(predictor.labels)) for item in queue)
    page = _PAGE.format(
        count=len(queue),
        now=time.strftime("%Y-%m-%d %H:%M"),
        rows=rows or '<tr><td colspan="7">暂无咨询 No consultations yet</td></tr>',
    )
    response = HTMLResponse(page)
    key = request.query_params.get("api_key")
    if key:  # the page's script then authenticates with the cookie
        response.set_cookie("api_key", key, httponly=True, samesite="strict")
    return response
