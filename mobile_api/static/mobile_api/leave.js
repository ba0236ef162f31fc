// 请假 on the handset: ask for leave (POST /api/v1/leave) and see the decisions (GET /api/v1/leave).
//
// The form's Idempotency-Key is made when the form is opened (and again after a request is filed):
// a double click, or a resend after a lost answer, files one request. The list refreshes when the
// page is shown again and after each submit, so a supervisor's decision appears without a reload.
// Loaded after handset.js, whose `api`, `Auth`, `CFG` and `errorText` it uses.
"use strict";

(function () {
  const box = document.getElementById("leave");
  if (!box) return;
  const L = CFG.leave;
  const form = document.getElementById("leave-form");
  const button = document.getElementById("leave-submit");
  const message = document.getElementById("leave-message");
  const list = document.getElementById("leave-list");
  const pendingCount = document.getElementById("leave-pending");
  let key = crypto.randomUUID();
  let busy = false;

  const isInspector = () => ((Auth.user && Auth.user.roles) || []).includes("inspector");
  const say = (text, kind) => { message.textContent = text || ""; message.className = kind || ""; };
  const local = (iso) => new Date(iso).toLocaleString(CFG.lang || undefined, {
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  const item = (tag, cls, text) => { const n = document.createElement(tag); if (cls) n.className = cls; n.textContent = text; return n; };

  function render(requests) {
    list.replaceChildren();
    if (!requests.length) list.append(item("li", "hint", L.none));
    for (const r of requests) {
      const li = document.createElement("li");
      li.dataset.leave = r.id;
      li.append(
        item("span", "status-" + r.status, r.status_label), " ",
        item("span", "", `${local(r.start)} – ${local(r.end)}`), document.createElement("br"),
        item("span", "", r.reason), document.createElement("br"),
        item("small", "hint", `${L.asked_at} ${local(r.created_at)}` + (r.decided_at ? ` · ${L.decided_at} ${local(r.decided_at)}` : "")),
      );
      list.append(li);
    }
    const n = requests.filter((r) => r.status === "pending").length;
    pendingCount.hidden = !n;
    pendingCount.textContent = n ? L.pending_count.replace("{n}", n) : "";
  }

  async function refresh() {
    box.hidden = !Auth.token || !isInspector();
    if (box.hidden) return;
    try {
      const r = await api("GET", "/api/v1/leave", undefined, undefined, 10000);
      if (r.ok) render(await r.json());
    } catch (e) { /* offline: the list as last shown */ }
  }

  box.addEventListener("toggle", () => {
    if (!box.open) return;
    if (!busy) key = crypto.randomUUID(); // a new form, a new request
    refresh();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return; // this form's request is already on its way
    busy = true;
    button.disabled = true;
    const data = Object.fromEntries(new FormData(form));
    try {
      let r;
      // datetime-local gives the wall time with no offset: the server reads it in the city's zone.
      try { r = await api("POST", "/api/v1/leave", data, { "Idempotency-Key": key }); } catch (e) { say(S.needs_network, "error"); return; }
      if (!r.ok) { say(await errorText(r), "error"); return; }
      say(L.sent, "ok");
      form.reset();
      key = crypto.randomUUID();
      await refresh();
    } finally {
      busy = false;
      button.disabled = false;
    }
  });

  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  window.addEventListener("online", refresh);
  new MutationObserver(refresh).observe(document.getElementById("app"), { attributes: true, attributeFilter: ["hidden"] });
  window.handsetLeave = { refresh };
  refresh();
})();
