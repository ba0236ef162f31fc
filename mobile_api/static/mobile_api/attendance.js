// 考勤 on the handset: clock in / clock out where the inspector stands (POST /api/v1/attendance).
//
// The page's one "on duty" flag lives here, for every other script to read:
//   window.handsetDuty.onDuty            true between a clock in and a clock out (today)
//   document event "handset:duty"        {detail: {onDuty}} each time it changes
// (kept in localStorage "handset.on_duty" so that it survives a reload with no signal).
// Loaded after handset.js, whose `api`, `Auth`, `CFG`, `S` and `errorText` it uses.
"use strict";

(function () {
  const box = document.getElementById("duty");
  if (!box) return;
  const W = CFG.duty;
  const KEY = "handset.on_duty";
  const stateText = document.getElementById("duty-state");
  const message = document.getElementById("duty-message");
  const clockIn = document.getElementById("clock-in");
  const clockOut = document.getElementById("clock-out");
  let onDuty = localStorage.getItem(KEY) === "1";

  const isInspector = () => ((Auth.user && Auth.user.roles) || []).includes("inspector");
  const say = (text, kind) => { message.textContent = text || ""; message.className = kind || ""; };
  const hhmm = (iso) => new Date(iso).toLocaleTimeString(CFG.lang || undefined, { hour: "2-digit", minute: "2-digit" });

  function set(value, last) {
    const changed = value !== onDuty;
    onDuty = value;
    localStorage.setItem(KEY, value ? "1" : "0");
    render(last);
    if (changed) document.dispatchEvent(new CustomEvent("handset:duty", { detail: { onDuty } }));
  }

  function render(last) {
    box.hidden = !Auth.token || !isInspector();
    box.classList.toggle("on", onDuty);
    stateText.textContent = (onDuty ? W.on_duty : W.off_duty) + (last ? ` · ${W[last.action]} ${hhmm(last.at)}` : "");
    clockIn.hidden = onDuty;
    clockOut.hidden = !onDuty;
  }

  async function refresh() {
    if (!Auth.token) { set(false); return; }
    render();
    if (!isInspector()) return;
    try {
      const r = await api("GET", "/api/v1/attendance", undefined, undefined, 10000);
      if (r.ok) { const body = await r.json(); set(body.on_duty, body.last); }
    } catch (e) { /* offline: the flag as last known */ }
  }

  const here = () => new Promise((resolve, reject) => navigator.geolocation.getCurrentPosition(
    resolve, reject, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
  ));

  async function clock(action, button) {
    button.disabled = true; // one tap, one clock
    say(W.locating);
    try {
      let p;
      try { p = await here(); } catch (e) { say(W.no_location, "error"); return; }
      let r;
      try {
        r = await api("POST", "/api/v1/attendance", { action, lng: p.coords.longitude, lat: p.coords.latitude });
      } catch (e) { say(S.needs_network, "error"); return; }
      if (!r.ok) { say(await errorText(r), "error"); refresh(); return; }
      const body = await r.json();
      set(body.on_duty, body.last);
      say(W[action] + " ✓", "ok");
    } finally {
      button.disabled = false;
    }
  }

  clockIn.addEventListener("click", () => clock("clock_in", clockIn));
  clockOut.addEventListener("click", () => clock("clock_out", clockOut));
  window.addEventListener("online", refresh);
  // Signing in or out shows or hides #app: the duty bar follows whoever is signed in.
  new MutationObserver(refresh).observe(document.getElementById("app"), { attributes: true, attributeFilter: ["hidden"] });
  window.handsetDuty = { get onDuty() { return onDuty; }, refresh };
  refresh();
})();
