const SCROLL_KEY = "doctor-page-scroll:" + location.pathname + location.search;
// Keep the view (the URL) and the scroll position over a refresh: the browser does not
// restore the place when the page is reloaded by a script or the list has changed.
if ("scrollRestoration" in history) history.scrollRestoration = "manual";
function keepPlace() {
  try { sessionStorage.setItem(SCROLL_KEY, String(window.scrollY)); } catch (e) {}
}
function refresh() {
  keepPlace();
  location.reload();
}
window.addEventListener("pagehide", keepPlace);
window.addEventListener("load", () => {
  let y = null;
  try { y = sessionStorage.getItem(SCROLL_KEY); } catch (e) {}
  if (y !== null) window.scrollTo(0, Number(y) || 0);
});
let refreshTimer = null;
function autoRefresh(on) {
  try { localStorage.setItem("doctor-page-auto-refresh", on ? "1" : ""); } catch (e) {}
  clearTimeout(refreshTimer);
  if (on) refreshTimer = setTimeout(tick, REFRESH_MS);
}
function tick() {
  // not while the doctor is picking a department or level, or a decision is being saved
  const busy = document.activeElement && /^(SELECT|INPUT)$/.test(document.activeElement.tagName)
    || document.querySelector(".saving");
  if (busy) refreshTimer = setTimeout(tick, 5000);
  else refresh();
}
// Who decides: asked once (the field in the header), kept in this browser, sent with every
// decision as `doctor`.
function doctorName() {
  try { return localStorage.getItem("doctor-page-doctor") || ""; } catch (e) { return ""; }
}
function saveDoctor(value) {
  value = value.trim();
  try { localStorage.setItem("doctor-page-doctor", value); } catch (e) {}
  const field = document.getElementById("doctor-name");
  field.value = value;
  field.classList.toggle("missing", !value);
}
(function () {
  const field = document.getElementById("doctor-name");
  field.value = doctorName();
  field.classList.toggle("missing", !field.value);
  let auto = false;
  try { auto = localStorage.getItem("doctor-page-auto-refresh") === "1"; } catch (e) {}
  document.getElementById("auto-refresh").checked = auto;
  if (auto) autoRefresh(true);
})();
function withDoctor(payload) {
  const name = document.getElementById("doctor-name").value.trim() || doctorName();
  if (name) payload.doctor = name;
  return payload;
}
function describeDoctor(payload) {
  return payload.doctor ? " · 医生 doctor: " + payload.doctor : "";
}
function newId() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
}
async function send(payload, status, describe) {
  status.textContent = "保存中… saving";
  status.className = status.className.replace(/ (done|error|saving)/g, "") + " saving";
  try {
    const response = await fetch("/v1/feedback", {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": CSRF},
      credentials: "same-origin",
      body: JSON.stringify(payload)
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.status);
    status.textContent = describe(body) + describeDoctor(payload);
    status.className = status.className.replace(/ saving/g, "") + " done";
  } catch (error) {
    status.textContent = "失败 failed: " + error.message;
    status.className = status.className.replace(/ saving/g, "") + " error";
  }
}
function decide(button, action) {
  const row = button.closest("tr");
  const department = action === "confirm"
    ? row.dataset.suggested
    : row.querySelector("select.department").value;
  if (!department) {  // an abstained row starts with no department chosen
    const status = row.querySelector(".status");
    status.textContent = "请先选择科室 choose a department first";
    status.className = status.className.replace(/ (done|saving)/g, "") + " error";
    return;
  }
  send(withDoctor({consultation_id: row.dataset.id, department: department, action: action,
                    feedback_id: newId()}),
       row.querySelector(".status"),
       body => (action === "confirm" ? "已确认 confirmed: " : "已更正 corrected: ")
         + body.department);
}
function judge(button, decision) {
  const row = button.closest("tr");
  const payload = withDoctor({consultation_id: row.dataset.id, urgency_feedback: decision,
                               feedback_id: newId()});
  if (decision !== "right") payload.corrected_level = row.querySelector("select.level").value;
  send(payload, row.querySelector(".urgency-status"),
       body => URGENCY_DECISIONS[body.urgency_feedback]
         + (body.corrected_level ? " → " + LEVEL_LABELS[body.corrected_level] : ""));
}
