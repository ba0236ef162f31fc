// 城管通 web page: report with camera and GPS, an offline queue that never files a report twice
// (each report keeps the Idempotency-Key it was given when it was made), tasks, verify/check/handle.
"use strict";

const CFG = JSON.parse(document.getElementById("handset-config").textContent);
const S = CFG.strings;
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
};

// ------------------------------------------------------------------ the API, with the token

const Auth = {
  get token() { return localStorage.getItem("handset.token"); },
  set(token, user) { localStorage.setItem("handset.token", token); localStorage.setItem("handset.user", JSON.stringify(user)); },
  clear() { localStorage.removeItem("handset.token"); localStorage.removeItem("handset.user"); },
  get user() { return JSON.parse(localStorage.getItem("handset.user") || "null"); },
};

async function api(method, path, body, headers) {
  const init = { method, headers: Object.assign({ Accept: "application/json" }, headers || {}) };
  if (Auth.token) init.headers.Authorization = "Token " + Auth.token;
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  const response = await fetch(path, init); // throws on no network
  if (response.status === 401 && path !== "/api/v1/auth/token") { Auth.clear(); show(); }
  return response;
}

const errorText = async (response) => {
  const data = await response.json().catch(() => ({}));
  const e = data.error || {};
  return (e.message || response.status) + (e.fields && Object.keys(e.fields).length ? " " + JSON.stringify(e.fields) : "");
};

// ------------------------------------------------------------------ the offline queue (IndexedDB)

const Queue = {
  db: null,
  open() {
    if (this.db) return Promise.resolve(this.db);
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("handset", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("reports", { keyPath: "key" });
      req.onsuccess = () => { this.db = req.result; resolve(this.db); };
      req.onerror = () => reject(req.error);
    });
  },
  async tx(mode, fn) {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const t = db.transaction("reports", mode);
      const result = fn(t.objectStore("reports"));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
    });
  },
  add(report) { return this.tx("readwrite", (s) => s.put(report)); },
  remove(key) { return this.tx("readwrite", (s) => s.delete(key)); },
  all() { return this.tx("readonly", (s) => s.getAll()); },
};

let flushing = null;
function flush() {
  // One flush at a time; a second call waits for the first (the server's idempotency covers the rest).
  if (!flushing) flushing = sendQueued().finally(() => { flushing = null; });
  return flushing;
}

async function sendQueued() {
  const reports = (await Queue.all()).sort((a, b) => a.made_at.localeCompare(b.made_at));
  for (const report of reports) {
    const body = new FormData();
    for (const [k, v] of Object.entries(report.fields)) body.append(k, v);
    for (const photo of report.photos) body.append("photos", photo, photo.name || "photo.jpg");
    let response;
    try {
      response = await api("POST", "/api/v1/cases", body, { "Idempotency-Key": report.key });
    } catch (e) {
      break; // no network: keep everything, try again later
    }
    if (response.status === 200 || response.status === 201) {
      const data = await response.json();
      await Queue.remove(report.key);
      $("#report-status").textContent = S.sent + " " + data.number;
      $("#report-status").className = "ok";
    } else if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 429) {
      // The server will never take this one as it is: say why, and stop retrying it.
      const why = await errorText(response);
      await Queue.remove(report.key);
      $("#rejected").append(el("li", {}, `${report.fields.category} ${report.made_at}: ${S.failed}: ${why}`));
    } else {
      break; // 5xx, 401, 429: keep it for later
    }
  }
  await showQueue();
}

async function showQueue() {
  const reports = await Queue.all();
  $("#queue-count").textContent = String(reports.length);
  $("#queue").replaceChildren(...reports.map((r) => el("li", {}, `${r.fields.category} · ${r.fields.description || ""} · ${r.made_at}`)));
}

// ------------------------------------------------------------------ reporting

let position = null;
function locate() {
  if (!navigator.geolocation) { $("#position").textContent = S.no_location; return; }
  $("#position").textContent = S.locating;
  navigator.geolocation.getCurrentPosition(
    (p) => {
      position = { lng: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy };
      $("#position").textContent = `${S.located} ${position.lng.toFixed(5)}, ${position.lat.toFixed(5)} (±${Math.round(position.accuracy)} m)`;
    },
    () => { $("#position").textContent = S.no_location; },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
  );
}

async function submitReport(event) {
  event.preventDefault();
  const form = event.target;
  if (!position) { $("#report-status").textContent = S.need_location; $("#report-status").className = "error"; return; }
  const data = new FormData(form);
  const fields = {
    category: data.get("category"),
    description: data.get("description") || "",
    address: data.get("address") || "",
    urgency: data.get("urgency"),
    self_resolved: data.get("self_resolved") ? "true" : "false",
    lng: String(position.lng),
    lat: String(position.lat),
    crs: "wgs84",
    reported_at: new Date().toISOString(),
  };
  const photos = [...form.querySelector("input[name=photos]").files];
  // The key is made once, here: every later attempt sends the same one.
  const report = { key: crypto.randomUUID(), fields, photos, made_at: fields.reported_at };
  await Queue.add(report);
  form.reset();
  $("#report-status").textContent = S.queued;
  $("#report-status").className = "";
  await showQueue();
  await flush();
}

let categories = [];
async function loadCategories() {
  const cached = JSON.parse(localStorage.getItem("handset.categories") || "null");
  try {
    const r = await api("GET", "/api/v1/categories", undefined, cached ? { "If-None-Match": cached.etag } : {});
    if (r.status === 200) {
      const tree = await r.json();
      localStorage.setItem("handset.categories", JSON.stringify({ etag: r.headers.get("ETag"), tree }));
      fillCategories(tree);
      return;
    }
  } catch (e) { /* offline: the cached tree will do */ }
  if (cached) fillCategories(cached.tree);
}

function fillCategories(tree) {
  const en = CFG.lang === "en";
  categories = [];
  for (const kind of tree.kinds) for (const major of kind.majors) for (const c of major.categories) {
    categories.push({ code: c.code, label: `${c.code} ${en && c.name_en ? c.name_en : c.name}`, group: en && major.name_en ? major.name_en : major.name });
  }
  renderCategories("");
}

function renderCategories(filter) {
  const f = filter.trim().toLowerCase();
  const select = $("#category");
  const keep = select.value;
  const groups = new Map();
  for (const c of categories.filter((c) => !f || c.label.toLowerCase().includes(f))) {
    if (!groups.has(c.group)) groups.set(c.group, el("optgroup", { label: c.group }));
    groups.get(c.group).append(el("option", { value: c.code }, c.label));
  }
  select.replaceChildren(...groups.values());
  if (keep) select.value = keep;
}

// ------------------------------------------------------------------ tasks and case actions

async function loadTasks() {
  try {
    const r = await api("GET", "/api/v1/tasks");
    if (!r.ok) return;
    const { tasks } = await r.json();
    $("#task-count").textContent = String(tasks.length);
    $("#tasks").replaceChildren(...(tasks.length ? tasks.map((t) => el("li", { class: "light-" + (t.light || "none"), "data-number": t.case.number, onclick: () => openCase(t.case.number) },
      `${CFG.actions[t.task] || t.task} · ${t.case.number} · ${t.case.category_name}`, el("br"),
      `${S.due} ${t.due_at ? new Date(t.due_at).toLocaleString() : "—"} · ${t.case.address || t.case.cell || ""}`)) : [el("li", {}, S.no_tasks)]));
  } catch (e) { /* offline */ }
}

const ACTION_FIELDS = {
  verify: [["result", ["exists", "not_found", "unable"]], ["note"], ["photos"]],
  check: [["result", ["passed", "failed"]], ["note"], ["photos"]],
  handle: [["note"], ["photos"]],
  return: [["reason"]],
  request_postpone: [["hours"], ["reason"]],
  request_suspend: [["reason"]],
};

async function openCase(number) {
  const box = $("#case");
  let r;
  try { r = await api("GET", `/api/v1/cases/${encodeURIComponent(number)}`); } catch (e) { box.textContent = S.needs_network; box.hidden = false; return; }
  if (!r.ok) { box.textContent = await errorText(r); box.hidden = false; return; }
  const c = await r.json();
  const photos = el("div");
  for (const p of c.photos) {
    api("GET", p.thumbnail_url).then((resp) => resp.ok ? resp.blob() : null).then((blob) => {
      if (blob) photos.append(el("img", { src: URL.createObjectURL(blob), alt: p.stage }));
    }).catch(() => {});
  }
  const forms = c.actions.filter((a) => ACTION_FIELDS[a]).map((action) => {
    const inputs = ACTION_FIELDS[action].map(([name, options]) => {
      let input;
      if (options) input = el("select", { name }, ...options.map((o) => el("option", { value: o }, S[o === "failed" ? "failed_check" : o] || o)));
      else if (name === "photos") input = el("input", { type: "file", name, accept: "image/*", capture: "environment", multiple: "" });
      else if (name === "hours") input = el("input", { type: "number", name, min: 1, max: 720, value: 24 });
      else input = el("input", { name, maxlength: 500 });
      return el("label", {}, S[name] || name, input);
    });
    const status = el("p");
    const form = el("form", { "data-action": action }, el("strong", {}, CFG.actions[action] || action), ...inputs, el("button", { type: "submit" }, CFG.actions[action] || action), status);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = new FormData(form);
      for (const [k, v] of [...body.entries()]) if (v instanceof File && !v.size) body.delete(k);
      body.append("version", c.version);
      try {
        const resp = await api("POST", `/api/v1/cases/${encodeURIComponent(number)}/actions/${action}`, body);
        if (resp.ok) { status.textContent = S.done; status.className = "ok"; loadTasks(); setTimeout(() => openCase(number), 300); }
        else { status.textContent = await errorText(resp); status.className = "error"; }
      } catch (err) { status.textContent = S.needs_network; status.className = "error"; }
    });
    return form;
  });
  box.replaceChildren(
    el("h2", {}, `${c.number} · ${c.category_name}`),
    el("p", {}, `${CFG.states[c.state] || c.state} · ${c.address || c.cell || ""}`),
    el("p", {}, c.description),
    photos,
    ...forms,
    el("ol", {}, ...c.timeline.map((e) => el("li", {}, `${new Date(e.at).toLocaleString()} ${CFG.actions[e.action] || e.action} ${e.actor || ""} ${e.note || ""}`))),
  );
  box.hidden = false;
}

// ------------------------------------------------------------------ live: the handset socket

let socket = null, attempt = 0, refreshTimer = null;
function connect() {
  if (!Auth.token) return;
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/ws/handset/");
  socket.onopen = () => {
    const since = localStorage.getItem("handset.last_id");
    socket.send(JSON.stringify(Object.assign({ type: "auth", token: Auth.token }, since ? { since: +since } : {})));
  };
  socket.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "authenticated" || m.type === "synced") attempt = 0;
    if (m.type === "event" && m.id) {
      if (m.id <= +(localStorage.getItem("handset.last_id") || 0)) return;
      localStorage.setItem("handset.last_id", String(m.id));
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(loadTasks, 300);
    }
    if (m.type === "resync") { localStorage.setItem("handset.last_id", String(m.last_id)); loadTasks(); }
  };
  socket.onclose = (e) => {
    if (e.code === 4401) return; // a bad token: the next API call sends the user to the login form
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random());
    attempt = Math.min(attempt + 1, 5);
    setTimeout(connect, delay);
  };
}

// ------------------------------------------------------------------ the page

function network() {
  const on = navigator.onLine;
  $("#net").textContent = on ? "●" : "○";
  $("#net").className = "net" + (on ? "" : " off");
  $("#offline-banner").hidden = on;
  $("#offline-banner").textContent = S.offline;
}

function show() {
  const user = Auth.user;
  $("#login").hidden = !!Auth.token;
  $("#app").hidden = !Auth.token;
  $("#who").textContent = user ? user.username : "";
}

async function start() {
  show();
  network();
  await showQueue();
  if (!Auth.token) return;
  loadCategories();
  loadTasks();
  locate();
  connect();
  flush();
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const data = Object.fromEntries(new FormData(e.target));
  try {
    const r = await api("POST", "/api/v1/auth/token", data);
    if (!r.ok) { $("#login-error").textContent = S.login_failed + ": " + (await errorText(r)); return; }
    const body = await r.json();
    Auth.set(body.token, body.user);
    e.target.reset();
    start();
  } catch (err) { $("#login-error").textContent = S.needs_network; }
});
$("#logout").addEventListener("click", async () => {
  try { await api("DELETE", "/api/v1/auth/token"); } catch (e) { /* offline: forget it locally anyway */ }
  Auth.clear();
  if (socket) socket.close(4401);
  show();
});
$("#report-form").addEventListener("submit", submitReport);
$("#locate").addEventListener("click", locate);
$("#category-search").addEventListener("input", (e) => renderCategories(e.target.value));
for (const tab of document.querySelectorAll(".tabs [data-tab]")) {
  tab.addEventListener("click", () => {
    for (const t of document.querySelectorAll(".tabs [data-tab]")) t.classList.toggle("active", t === tab);
    for (const p of document.querySelectorAll("[data-panel]")) p.hidden = p.dataset.panel !== tab.dataset.tab;
    if (tab.dataset.tab === "tasks") loadTasks();
  });
}
window.addEventListener("online", () => { network(); flush(); loadTasks(); });
window.addEventListener("offline", network);
setInterval(() => { if (navigator.onLine) flush(); }, 10000);
if ("serviceWorker" in navigator) navigator.serviceWorker.register(CFG.sw, { scope: "/m/" }).catch(() => {});
window.handset = { flush, Queue, sendQueued }; // for the browser test and for debugging
start();
