// 城管通 web page: report with camera and GPS, an offline queue that never files a report twice
// (each report keeps the Idempotency-Key it was given when it was made), tasks, verify/check/handle.
"use strict";

const CFG = JSON.parse(document.getElementById("handset-config").textContent);
const S = CFG.strings;
// The workflow's rules from the server (dispatch.labels.client_table): each action's fields and photos.
const W = CFG.workflow;
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
};
const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
const say = (text, kind) => { $("#report-status").textContent = text; $("#report-status").className = kind || ""; };

// ------------------------------------------------------------------ the API, with the token

const Auth = {
  get token() { return localStorage.getItem("handset.token"); },
  get user() { return JSON.parse(localStorage.getItem("handset.user") || "null"); },
  get username() { return this.user ? this.user.username : null; },
  set(token, user) { localStorage.setItem("handset.token", token); localStorage.setItem("handset.user", JSON.stringify(user)); },
  clear() { localStorage.removeItem("handset.token"); localStorage.removeItem("handset.user"); },
};

async function api(method, path, body, headers, timeoutMs = 30000) {
  const init = { method, headers: Object.assign({ Accept: "application/json" }, headers || {}) };
  if (Auth.token) init.headers.Authorization = "Token " + Auth.token;
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  // A weak signal can leave a request hanging for minutes: give up and let the caller retry.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  init.signal = abort.signal;
  let response;
  try {
    response = await fetch(path, init); // throws on no network and on the timeout
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 401 && path !== "/api/v1/auth/token") { Auth.clear(); show(); }
  Clock.learn(response);
  return response;
}

// The server refuses a report time more than 5 minutes ahead of its clock: a phone whose clock is
// fast would have its queued reports refused. Learn the difference from the server's Date header.
const Clock = {
  learn(response) {
    const date = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(date)) localStorage.setItem("handset.clock_offset", String(date - Date.now()));
  },
  now() {
    const offset = +(localStorage.getItem("handset.clock_offset") || 0);
    return new Date(Math.abs(offset) > 60000 ? Date.now() + offset : Date.now()); // the header has 1 s steps
  },
};

const errorText = async (response) => {
  const data = await response.json().catch(() => ({}));
  const e = data.error || {};
  // The problems in words (field and problem in the page's language), never the API's codes.
  const fields = (e.problems || []).map(([field, problem]) => `${field}: ${problem}`).join(", ");
  return (e.message || response.status) + (fields ? ` (${fields})` : "");
};

// ------------------------------------------------------------------ the offline queue (IndexedDB)

// One database, a store per kind of thing waiting for the network: reports, case actions (with
// their photos) and position samples. Each survives a reload, a dead battery excepted.
const STORES = { reports: { keyPath: "key" }, actions: { keyPath: "key" }, positions: { keyPath: "id", autoIncrement: true } };
const DB = {
  db: null,
  open() {
    if (this.db) return Promise.resolve(this.db);
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("handset", 2);
      req.onupgradeneeded = () => {
        for (const [name, options] of Object.entries(STORES)) {
          if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name, options);
        }
      };
      req.onsuccess = () => {
        this.db = req.result;
        this.db.onversionchange = () => { this.db.close(); this.db = null; }; // a newer page wants to upgrade
        resolve(this.db);
      };
      req.onerror = () => reject(req.error);
    });
  },
  async tx(store, mode, fn) {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const request = fn(t.objectStore(store));
      t.oncomplete = () => resolve(request ? request.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  },
};
const storeOf = (name) => ({
  add(item) { return DB.tx(name, "readwrite", (s) => s.put(item)); },
  remove(key) { return DB.tx(name, "readwrite", (s) => s.delete(key)); },
  removeMany(keys) { return DB.tx(name, "readwrite", (s) => { keys.forEach((k) => s.delete(k)); }); },
  all() { return DB.tx(name, "readonly", (s) => s.getAll()); },
  async mine() { return (await this.all()).filter(mine); },
});
const Queue = storeOf("reports");
const Actions = storeOf("actions"); // verify / check / handle made without signal
const Samples = storeOf("positions"); // the patrol trail, waiting to be sent

// A report belongs to the user who made it (one made before reports carried a user: to whoever is signed in).
const mine = (r) => !r.user || r.user === Auth.username;

// Reports the server refused (4xx): gone from the queue, listed until the user dismisses them.
const Rejected = {
  all() { return JSON.parse(localStorage.getItem("handset.rejected") || "[]"); },
  add(item) { // once per report, even if two sends of it were refused
    const all = this.all().filter((r) => r.key !== item.key);
    localStorage.setItem("handset.rejected", JSON.stringify([...all, item]));
  },
  clear() { localStorage.removeItem("handset.rejected"); },
};

let flushing = null, flushAgain = false;
function flush() {
  // One flush at a time: a call during a flush runs one more pass after it (it may carry a new report).
  if (flushing) { flushAgain = true; return flushing; }
  flushing = (async () => {
    do { flushAgain = false; await sendQueued(); } while (flushAgain && Auth.token);
  })().finally(() => { flushing = null; });
  return flushing;
}

// A refusal the server will repeat for ever (4xx but signed-out, timeout and rate limit): the
// item is dropped from its queue and listed, never retried.
const refused = (status) => status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429;

async function sendQueued() {
  if (!Auth.token) return showQueue();
  if (await sendReports()) await sendActions();
  await Track.send();
  await showQueue();
}

async function sendReports() {
  // A shared phone: each user's reports go out only under their own token.
  const reports = (await Queue.mine()).sort((a, b) => a.made_at.localeCompare(b.made_at));
  for (const report of reports) {
    const body = new FormData();
    for (const [k, v] of Object.entries(report.fields)) body.append(k, v);
    let bytes = 0;
    report.photos.forEach((photo, i) => { body.append("photos", photo, photo.name || `photo-${i + 1}.jpg`); bytes += photo.size || 0; });
    let response;
    try {
      response = await api("POST", "/api/v1/cases", body, { "Idempotency-Key": report.key }, 30000 + bytes / 20);
    } catch (e) {
      return false; // no network or timed out: keep everything, try again later (the key makes a retry safe)
    }
    if (response.status === 200 || response.status === 201) {
      const data = await response.json().catch(() => ({}));
      await Queue.remove(report.key);
      say(S.sent + " " + (data.number || ""), "ok");
      Mine.soon();
    } else if (refused(response.status)) {
      // The server will never take this one as it is: drop it, and say so where it stays visible.
      const why = await errorText(response);
      await Queue.remove(report.key);
      Rejected.add({ key: report.key, user: report.user, made_at: report.made_at, category: report.fields.category, description: report.fields.description, error: why });
      say(S.failed + ": " + why, "error");
    } else {
      return false; // 5xx, 401 (signed out), 408, 429: keep it for later
    }
  }
  return true;
}

// What became of queued actions, for the form that made one: told when its action is sent or
// refused, now or after the signal returns (if the form is still open).
const Outcomes = {
  listeners: new Map(),
  listen(key, fn) { this.listeners.set(key, fn); },
  settle(key, outcome) {
    const fn = this.listeners.get(key);
    this.listeners.delete(key);
    if (fn) fn(outcome);
  },
};

// Verify / check / handle made on the street: each with its own Idempotency-Key and the case's
// version as the inspector saw it. A retry of one the server took changes nothing; one made
// against a case someone changed meanwhile is refused (409) with the server's words on what changed.
async function sendActions() {
  const queued = (await Actions.mine()).sort((a, b) => a.made_at.localeCompare(b.made_at));
  for (const item of queued) {
    const body = new FormData();
    for (const [k, v] of Object.entries(item.fields)) body.append(k, v);
    let bytes = 0;
    item.photos.forEach((photo, i) => { body.append("photos", photo, photo.name || `photo-${i + 1}.jpg`); bytes += photo.size || 0; });
    body.append("version", item.version);
    let response;
    try {
      const path = `/api/v1/cases/${encodeURIComponent(item.number)}/actions/${encodeURIComponent(item.action)}`;
      response = await api("POST", path, body, { "Idempotency-Key": item.key }, 30000 + bytes / 20);
    } catch (e) {
      return false;
    }
    if (response.ok) {
      const c = await response.json().catch(() => null);
      await Actions.remove(item.key);
      if (c && c.number) CaseCache.put(c);
      Outcomes.settle(item.key, { ok: true, text: S.done });
      refreshSoon();
    } else if (refused(response.status)) {
      const why = await errorText(response);
      await Actions.remove(item.key);
      Rejected.add({ key: item.key, user: item.user, made_at: item.made_at, number: item.number, action: item.action, conflict: response.status === 409, error: why });
      Outcomes.settle(item.key, { ok: false, text: why });
      refreshSoon();
    } else {
      return false;
    }
  }
  return true;
}

async function showQueue() {
  const all = await Queue.all();
  const own = all.filter(mine);
  const actions = await Actions.mine();
  const count = own.length + actions.length;
  $("#queue-count").textContent = String(count);
  $("#queue-count").classList.toggle("busy", count > 0);
  const time = (iso) => new Date(iso).toLocaleString();
  $("#queue").replaceChildren(
    ...own.map((r) => el("li", {},
      `${categoryLabel(r.fields.category)} · ${r.fields.description || ""}`, el("br"),
      el("small", {}, `${time(r.made_at)} · ${S.photos} ${r.photos.length}`))),
    ...actions.map((a) => el("li", { class: "queued-action", "data-number": a.number },
      `${CFG.actions[a.action] || a.action} · ${a.number}`, el("br"),
      el("small", {}, `${time(a.made_at)} · ${S.photos} ${a.photos.length}`))));
  const others = all.length - own.length;
  $("#queue-others").hidden = !others;
  $("#queue-others").textContent = fmt(S.others_queued, { n: others });
  const rejected = Rejected.all().filter(mine);
  $("#rejected-box").hidden = !rejected.length;
  $("#rejected").replaceChildren(...rejected.map((r) => el("li", { class: r.conflict ? "conflict" : "", "data-number": r.number || null },
    r.action ? `${CFG.actions[r.action] || r.action} · ${r.number} · ${time(r.made_at)}` : `${categoryLabel(r.category)} · ${r.description || ""} · ${time(r.made_at)}`,
    el("br"), el("small", {}, r.error))));
  $("#rejected-alert").hidden = !rejected.length;
  $("#rejected-alert-text").textContent = fmt(S.rejected_alert, { n: rejected.length });
}

// ------------------------------------------------------------------ reporting

let position = null, watchId = null;
function locate() {
  if (!navigator.geolocation) { $("#position").textContent = S.no_location; return; }
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  if (!position) $("#position").textContent = S.locating;
  // Keep the fix fresh while the page is open: an inspector walks between reports.
  watchId = navigator.geolocation.watchPosition(
    (p) => {
      position = { lng: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy, at: Date.now() };
      $("#position").textContent = `${S.located} ${position.lng.toFixed(5)}, ${position.lat.toFixed(5)} (±${Math.round(position.accuracy)} m)`;
      $("#position").className = "";
      describePosition();
      Track.sample(position);
    },
    () => { if (!position) { $("#position").textContent = S.no_location; $("#position").className = "error"; } },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 10000 },
  );
}

// The address a person reads, from the server's gazetteer (nearest named place, else the
// community and street): filled in while the inspector has not typed one of their own. The same
// answer names the cell: outside the inspector's own grid, the page warns (a report is still taken).
let described = null; // {lng, lat, at} of the last fix the server described
async function describePosition() {
  const input = $("#report-address");
  if (!position) return;
  const moved = described ? metres(position, described) : Infinity;
  if (moved < 20 || (described && Date.now() - described.at < 10000)) return;
  described = { lng: position.lng, lat: position.lat, at: Date.now() };
  try {
    const r = await api("GET", `/api/v1/grid/locate?lng=${position.lng}&lat=${position.lat}`, undefined, undefined, 10000);
    if (!r.ok) return;
    const body = await r.json();
    if (body.address && (!input.value || input.dataset.auto === "1")) {
      input.value = body.address;
      input.dataset.auto = "1";
    }
    warnOutsideGrid(body);
  } catch (err) { described = null; /* offline: the server describes the point when the report arrives */ }
}

function warnOutsideGrid(located) {
  const own = (Auth.user && Auth.user.grids) || [];
  const outside = own.length > 0 && located.cell && !own.includes(located.cell.code);
  $("#grid-warning").hidden = !outside;
  if (outside) $("#grid-warning").textContent = fmt(S.outside_grid, { cell: located.cell.code, community: (located.community || {}).name || "" });
}

// Metres between two {lng, lat} (an equirectangular estimate: plenty for tens of metres).
const metres = (a, b) => Math.hypot((a.lng - b.lng) * 111320 * Math.cos((a.lat * Math.PI) / 180), (a.lat - b.lat) * 110540);

// Photos chosen for a report or an action: previewed before sending, each with a remove button.
// Choosing again adds to them (a phone camera takes one photo at a time).
function photoPicker(input) {
  const picked = [];
  const box = el("div", { class: "previews" });
  const render = () => box.replaceChildren(...picked.map((file, i) => {
    const url = URL.createObjectURL(file);
    return el("figure", { class: "preview" },
      el("img", { src: url, alt: file.name || "", onload: () => URL.revokeObjectURL(url), onerror: () => URL.revokeObjectURL(url) }),
      el("button", { type: "button", class: "remove", title: S.remove_photo, "aria-label": S.remove_photo,
        onclick: () => { picked.splice(i, 1); render(); } }, "×"));
  }));
  input.addEventListener("change", () => { picked.push(...input.files); input.value = ""; render(); });
  (input.closest("label") || input).after(box);
  return { get files() { return [...picked]; }, clear() { picked.length = 0; render(); } };
}

const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
const MAX_EDGE = 2560, SHRINK_ABOVE_BYTES = 2 * 1024 * 1024;

async function preparePhoto(file) {
  // Phone cameras make 3–12 MB photos: shrink big ones (a weak signal, the server's 10 MB limit),
  // and turn what the server does not take (HEIC…) into JPEG when the browser can read it.
  if (PHOTO_TYPES.includes(file.type) && file.size <= SHRINK_ABOVE_BYTES) return file;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    if (blob && (blob.size < file.size || !PHOTO_TYPES.includes(file.type))) {
      return new File([blob], (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
    }
  } catch (e) { /* the browser cannot decode it: send it as it is if the server takes it */ }
  if (!PHOTO_TYPES.includes(file.type)) throw new Error(S.bad_photo);
  return file;
}

// The report's Idempotency-Key is made when the form is opened (and again once a report is queued):
// a double click, or the form sent twice, carries the same key, and the server files one case.
let reportKey = crypto.randomUUID();
let reportBusy = null;

async function submitReport(event) {
  event.preventDefault();
  const form = event.target;
  if (reportBusy === reportKey) return; // this form's report is already being made
  if (!position) { say(S.need_location, "error"); return; }
  const key = reportKey;
  const button = form.querySelector("button[type=submit]");
  reportBusy = key;
  button.disabled = true;
  try {
    await makeReport(form, key);
  } finally {
    reportBusy = null;
    button.disabled = false;
  }
}

async function makeReport(form, key) {
  const data = new FormData(form);
  const chosen = reportPhotos.files;
  if (chosen.length > CFG.max_photos) { say(S.too_many_photos, "error"); return; }
  let photos;
  try { photos = await Promise.all(chosen.map(preparePhoto)); } catch (e) { say(e.message, "error"); return; }
  const fields = {};
  for (const [name, value] of data.entries()) if (typeof value === "string") fields[name] = value; // the form's own fields
  Object.assign(fields, {
    self_resolved: data.get("self_resolved") ? "true" : "false",
    lng: String(position.lng),
    lat: String(position.lat),
    crs: "wgs84",
    reported_at: Clock.now().toISOString(),
  });
  // Every later attempt sends the same key, so the server files it once.
  const report = { key, user: Auth.username, fields, photos, made_at: fields.reported_at };
  try {
    await Queue.add(report);
  } catch (e) {
    say(S.failed + ": " + (e && e.message ? e.message : e), "error"); // no IndexedDB (a private window?)
    return;
  }
  form.reset();
  reportPhotos.clear();
  reportKey = crypto.randomUUID(); // a new report from here on
  $("#report-address").dataset.auto = "";
  described = null;
  describePosition();
  renderCategories("");
  say(S.queued);
  await showQueue();
  await flush();
}

let categories = [];
const categoryLabel = (code) => (categories.find((c) => c.code === code) || { label: code }).label;
// A case's category in the page's language (the API names it in Chinese).
const categoryName = (code, fallback) => (categories.find((c) => c.code === code) || { name: fallback }).name;

async function loadCategories() {
  const cached = JSON.parse(localStorage.getItem("handset.categories") || "null");
  if (cached) fillCategories(cached.tree); // offline, or until the server answers
  try {
    const r = await api("GET", "/api/v1/categories", undefined, cached && cached.etag ? { "If-None-Match": cached.etag } : {});
    if (r.status === 200) {
      const tree = await r.json();
      localStorage.setItem("handset.categories", JSON.stringify({ etag: r.headers.get("ETag"), tree }));
      fillCategories(tree);
    }
  } catch (e) { /* offline: the cached tree will do */ }
}

function fillCategories(tree) {
  const en = CFG.lang === "en";
  categories = [];
  for (const kind of tree.kinds) for (const major of kind.majors) for (const c of major.categories) {
    const name = en && c.name_en ? c.name_en : c.name;
    categories.push({
      code: c.code,
      name,
      label: `${c.code} ${name}`,
      search: [c.code, c.name, c.name_en || ""].join(" ").toLowerCase(),
      group: `${kind.name} · ${en && major.name_en ? major.name_en : major.name}`,
    });
  }
  renderCategories($("#category-search").value);
  renderTasks();
  showQueue();
}

function renderCategories(filter) {
  const f = filter.trim().toLowerCase();
  const select = $("#category");
  const keep = select.value;
  const groups = new Map();
  for (const c of categories.filter((c) => !f || c.search.includes(f))) {
    if (!groups.has(c.group)) groups.set(c.group, el("optgroup", { label: c.group }));
    groups.get(c.group).append(el("option", { value: c.code }, c.label));
  }
  select.replaceChildren(el("option", { value: "" }, S.choose), ...groups.values());
  const codes = categories.filter((c) => !f || c.search.includes(f)).map((c) => c.code);
  if (keep && codes.includes(keep)) select.value = keep;
  else if (f && codes.length === 1) select.value = codes[0];
}

// ------------------------------------------------------------------ tasks and case actions

let tasks = null;
async function loadTasks() {
  if (!Auth.token) return;
  try {
    const r = await api("GET", "/api/v1/tasks");
    if (!r.ok) return;
    tasks = (await r.json()).tasks;
    renderTasks();
  } catch (e) { /* offline: keep the list shown */ }
}

function renderTasks() {
  if (!tasks) return;
  $("#task-count").textContent = String(tasks.length);
  $("#tasks").replaceChildren(...(tasks.length ? tasks.map((t) => el("li", { class: "task light-" + (t.light || "none"), "data-number": t.case.number, onclick: () => openCase(t.case.number) },
    el("strong", {}, `${CFG.actions[t.task] || t.task} · ${t.case.number}`), " ", categoryName(t.case.category, t.case.category_name), el("br"),
    el("small", {}, `${S.due} ${t.due_at ? new Date(t.due_at).toLocaleString() : "—"} · ${t.case.address || t.case.cell || ""}`))) : [el("li", {}, S.no_tasks)]));
}

// An input for one field of the workflow table, by its kind (names of people, departments and cases are typed).
function inputFor(f) {
  const attrs = { name: f.name, "data-kind": f.kind, required: f.required };
  switch (f.kind) {
    case "choice":
    case "bool":
      return el("select", attrs, ...f.choices.map(([value, name]) => el("option", { value: String(value) }, name)));
    case "number":
      return el("input", Object.assign(attrs, { type: "number", step: 1, min: f.min, max: f.max, value: f.default }));
    case "longitude":
    case "latitude":
      return el("input", Object.assign(attrs, { type: "number", step: "any", min: f.min, max: f.max, inputmode: "decimal" }));
    case "datetime":
      return el("input", Object.assign(attrs, { type: "datetime-local" }));
    default:
      return el("input", Object.assign(attrs, { maxlength: f.max, value: f.default }));
  }
}

const requiredMark = (required) => (required ? el("abbr", { class: "required", title: W.words.required }, "*") : "");

// What the table says is missing, said before anything is sent (the server checks the same).
function problemWith(form, t, files) {
  const missing = t.fields.filter((f) => f.required && !String(form.elements[f.name].value || "").trim()).map((f) => f.label);
  if (missing.length) return W.words.missing + missing.join(", ");
  if (t.photos === "required" && !files.length) return W.words.photos_required;
  if (files.length > t.max_photos) return W.words.too_many_photos.replace("{n}", t.max_photos);
  return null;
}

// Cases this phone has opened, kept for reading (and acting) without signal.
const CaseCache = {
  KEY: "handset.cases",
  all() { const v = JSON.parse(localStorage.getItem(this.KEY) || "null"); return v && v.user === Auth.username ? v.cases : {}; },
  get(number) { return this.all()[number] || null; },
  put(c) {
    const cases = this.all();
    cases[c.number] = Object.assign({}, c, { kept_at: new Date().toISOString() });
    const newest = Object.values(cases).sort((a, b) => b.kept_at.localeCompare(a.kept_at)).slice(0, 40);
    try {
      localStorage.setItem(this.KEY, JSON.stringify({ user: Auth.username, cases: Object.fromEntries(newest.map((x) => [x.number, x])) }));
    } catch (e) { /* storage full: reading offline is a convenience */ }
  },
};

async function openCase(number) {
  const box = $("#case");
  let c = null, offline = false;
  try {
    const r = await api("GET", `/api/v1/cases/${encodeURIComponent(number)}`);
    if (!r.ok) { box.textContent = await errorText(r); box.hidden = false; return; }
    c = await r.json();
    CaseCache.put(c);
  } catch (e) {
    c = CaseCache.get(number); // no signal: the copy kept when it was last opened
    offline = true;
    if (!c) { box.textContent = S.needs_network; box.hidden = false; return; }
  }
  const photos = el("div", { class: "photos" });
  for (const p of offline ? [] : c.photos) {
    // Photo URLs need the token: fetch them and show blob URLs; a tap opens the full photo.
    api("GET", p.thumbnail_url).then((resp) => resp.ok ? resp.blob() : null).then((blob) => {
      if (!blob) return;
      photos.append(el("img", { src: URL.createObjectURL(blob), alt: p.stage || "", onclick: async () => {
        const full = await api("GET", p.url).catch(() => null);
        if (full && full.ok) window.open(URL.createObjectURL(await full.blob()), "_blank");
      } }));
    }).catch(() => {});
  }
  const waiting = new Set((await Actions.mine()).filter((a) => a.number === c.number).map((a) => a.action));
  // One form per action this person may take now, built from the action's entry in the workflow table.
  const forms = c.actions.filter((a) => W.transitions[a]).map((action) => {
    const t = W.transitions[action];
    const inputs = t.fields.map((f) => el("label", {}, f.label, requiredMark(f.required), inputFor(f)));
    let picker = null;
    if (t.photos !== "none") {
      const input = el("input", { type: "file", name: "photos", accept: "image/*", capture: "environment", multiple: "", "data-photos": t.photos });
      inputs.push(el("label", {}, W.words.photos, requiredMark(t.photos === "required"), input));
      if (t.photos === "required") inputs.push(el("small", { class: "photos-required" }, W.words.photos_required));
      picker = () => input; // bound below, once the label is in the form
    }
    const result = el("p");
    const button = el("button", { type: "submit" }, CFG.actions[action] || action);
    const form = el("form", { "data-action": action, novalidate: true }, el("strong", {}, CFG.actions[action] || action), ...inputs, button, result);
    if (picker) picker = photoPicker(picker());
    if (waiting.has(action)) { button.disabled = true; result.textContent = S.action_queued; }
    // The action's Idempotency-Key is made with the form: a double click carries the same one.
    const key = crypto.randomUUID();
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (button.disabled) return;
      const body = new FormData(form);
      body.delete("photos");
      const files = picker ? picker.files : [];
      const problem = problemWith(form, t, files);
      if (problem) { result.textContent = problem; result.className = "error"; return; }
      button.disabled = true;
      let prepared;
      try { prepared = await Promise.all(files.map(preparePhoto)); } catch (err) {
        result.textContent = err.message; result.className = "error"; button.disabled = false; return;
      }
      const fields = {};
      for (const [name, value] of body.entries()) if (typeof value === "string") fields[name] = value;
      // Queued first, sent from the queue: without signal it waits there like a report.
      try {
        await Actions.add({ key, user: Auth.username, number: c.number, action, fields, photos: prepared, version: c.version, made_at: Clock.now().toISOString() });
      } catch (err) { result.textContent = S.failed + ": " + (err && err.message ? err.message : err); result.className = "error"; button.disabled = false; return; }
      result.textContent = S.action_queued; result.className = "";
      // Until it is sent the button stays disabled and the queue tab lists it.
      Outcomes.listen(key, (out) => {
        result.textContent = out.text;
        result.className = out.ok ? "ok" : "error";
        if (out.ok) { loadTasks(); setTimeout(() => { if (!$("#case").hidden) openCase(number); }, 800); }
      });
      await showQueue();
      await flush();
    });
    return form;
  });
  box.replaceChildren(
    el("button", { type: "button", class: "close", onclick: () => { box.hidden = true; } }, "×"),
    el("h2", {}, `${c.number} · ${categoryName(c.category, c.category_name)}`),
    offline ? el("p", { class: "hint" }, fmt(S.kept_copy, { at: new Date(c.kept_at).toLocaleString() })) : "",
    el("p", {}, `${CFG.states[c.state] || c.state} · ${c.address || c.cell || ""}`),
    el("p", {}, c.description),
    photos,
    ...forms,
    timelineOf(c),
  );
  box.hidden = false;
  box.scrollIntoView({ block: "start" });
}

const timelineOf = (c) => el("ol", { class: "timeline" }, ...(c.timeline || []).map((e) =>
  el("li", {}, `${new Date(e.at).toLocaleString()} ${CFG.actions[e.action] || e.action} ${e.actor || ""} ${e.note || ""}`)));

// ------------------------------------------------------------------ my reports, kept for offline reading

const Mine = {
  KEY: "handset.mine",
  timer: null,
  kept() { const v = JSON.parse(localStorage.getItem(this.KEY) || "null"); return v && v.user === Auth.username ? v : null; },
  soon() { clearTimeout(this.timer); this.timer = setTimeout(() => this.load(), 500); },
  async load() {
    if (!Auth.token) return;
    try {
      const r = await api("GET", "/api/v1/cases?mine=1&limit=30");
      if (r.ok) {
        const list = (await r.json()).results.filter((c) => c.reporter === Auth.username);
        const old = new Map(((this.kept() || {}).cases || []).map((c) => [c.number, c]));
        const cases = [];
        for (const c of list) {
          const have = old.get(c.number);
          if (have && have.version === c.version) { cases.push(have); continue; }
          const d = await api("GET", `/api/v1/cases/${encodeURIComponent(c.number)}`);
          const full = d.ok ? await d.json() : c;
          cases.push({ number: full.number, category: full.category, category_name: full.category_name, state: full.state,
            address: full.address || full.cell || "", description: full.description, reported_at: full.reported_at,
            version: full.version, timeline: (full.timeline || []).map(({ at, action, actor, note }) => ({ at, action, actor, note })) });
        }
        localStorage.setItem(this.KEY, JSON.stringify({ user: Auth.username, at: new Date().toISOString(), cases }));
      }
    } catch (e) { /* offline: the kept copy */ }
    this.render();
  },
  render() {
    const kept = this.kept();
    $("#mine-updated").textContent = kept ? fmt(navigator.onLine ? S.mine_updated : S.kept_copy, { at: new Date(kept.at).toLocaleString() }) : "";
    const cases = kept ? kept.cases : [];
    $("#mine").replaceChildren(...(cases.length ? cases.map((c) => el("li", { "data-number": c.number, "data-state": c.state },
      el("strong", {}, `${c.number} · ${categoryName(c.category, c.category_name)}`), " ",
      el("span", { class: "state" }, CFG.states[c.state] || c.state), el("br"),
      el("small", {}, `${new Date(c.reported_at).toLocaleString()} · ${c.address}`),
      el("details", {}, el("summary", {}, S.timeline), timelineOf(c)))) : [el("li", {}, S.no_reports)]));
  },
};

// ------------------------------------------------------------------ on duty: the patrol trail

// 在岗 (on duty) is one switch, set by clock in / clock out (attendance.js) through
// window.handset.setOnDuty(true | false). While on duty the page samples its position for the
// trail; off duty it samples nothing.
const Duty = {
  key: () => "handset.track_on",
  get on() { return !!Auth.username && localStorage.getItem(this.key()) === Auth.username; },
  async set(on) {
    on = !!on;
    if (on === this.on || !Auth.username) return;
    if (on) localStorage.setItem(this.key(), Auth.username);
    else {
      localStorage.removeItem(this.key());
      // Sent in order after the points before it: the server takes the inspector off the live map.
      await Samples.add({ user: Auth.username, off_duty: true, made_at: Clock.now().toISOString() });
    }
    Track.last = null;
    if (on) Track.sample(position);
    renderDuty();
    await flush();
  },
};

const Track = {
  last: null, // {lng, lat, t}: the last point sampled
  paused: false, // the page was hidden too long (battery): no sampling until it is seen again
  // At most one point per min_interval_s, and only after moving min_move_m or idle_s passing.
  sample(p) {
    const T = CFG.track;
    if (!p || !Duty.on || this.paused) return;
    const now = Date.now();
    if (now - p.at > 2 * T.idle_s * 1000) return; // a fix this old says nothing about now
    if (this.last) {
      const since = now - this.last.t;
      if (since < T.min_interval_s * 1000) return;
      if (metres(p, this.last) < T.min_move_m && since < T.idle_s * 1000) return;
    }
    this.last = { lng: p.lng, lat: p.lat, t: now };
    const point = { user: Auth.username, lng: p.lng, lat: p.lat, accuracy: p.accuracy, recorded_at: Clock.now().toISOString() };
    Samples.add(point).then(renderDuty).catch(() => {});
  },
  sending: false,
  // Sent in batches with their own times; an off-duty mark ends a batch. Kept until the server took them.
  async send() {
    if (this.sending) return;
    this.sending = true;
    try {
      const all = (await Samples.mine()).sort((a, b) => a.id - b.id);
      while (all.length) {
        const batch = [];
        while (all.length && batch.length < CFG.track.batch) {
          const item = all.shift();
          batch.push(item);
          if (item.off_duty) break;
        }
        const off = batch.some((x) => x.off_duty);
        const points = batch.filter((x) => !x.off_duty).map(({ lng, lat, accuracy, recorded_at }) => ({ lng, lat, accuracy, recorded_at }));
        let r;
        try { r = await api("POST", "/api/v1/positions", { crs: "wgs84", positions: points, on_duty: !off }); } catch (e) { return; }
        if (!r.ok && !refused(r.status)) return; // later
        await Samples.removeMany(batch.map((x) => x.id)); // taken, or never to be taken (bad points)
        if (r.ok) localStorage.setItem("handset.track_sent_at", JSON.stringify({ user: Auth.username, at: new Date().toISOString() }));
      }
    } finally {
      this.sending = false;
      renderDuty();
    }
  },
};

// The trail bar, while on duty: when a position was last sent, how many wait, the battery rule.
async function renderDuty() {
  const user = Auth.user;
  const inspector = !!user && (user.roles || []).includes(CFG.track_role);
  const on = inspector && Duty.on;
  $("#track").hidden = !on;
  if (!on) return;
  $("#track-hint").hidden = false;
  const sent = JSON.parse(localStorage.getItem("handset.track_sent_at") || "null");
  const last = sent && sent.user === Auth.username ? `${S.last_sent} ${new Date(sent.at).toLocaleTimeString()}` : S.never_sent;
  const waiting = (await Samples.mine().catch(() => [])).filter((x) => !x.off_duty).length;
  $("#track-last").textContent = last + (waiting ? " · " + fmt(S.positions_waiting, { n: waiting }) : "");
}

// Battery: a page hidden longer than hidden_pause_s stops watching the GPS and sampling; it
// resumes when seen again, and says when it paused.
let hiddenSince = null, pauseTimer = null;
document.addEventListener("visibilitychange", () => {
  if (document.hidden) {
    hiddenSince = Date.now();
    clearTimeout(pauseTimer);
    pauseTimer = setTimeout(() => {
      Track.paused = true;
      if (watchId !== null) { navigator.geolocation.clearWatch(watchId); watchId = null; }
    }, CFG.track.hidden_pause_s * 1000);
  } else {
    clearTimeout(pauseTimer);
    if (Track.paused) {
      Track.paused = false;
      const note = $("#track-note");
      note.textContent = fmt(S.track_paused, { from: new Date(hiddenSince).toLocaleTimeString(), to: new Date().toLocaleTimeString() });
      note.hidden = false;
      if (Auth.token) locate();
    }
  }
});
// Standing still, the GPS may fall silent: a point a minute all the same (the rule above decides).
setInterval(() => Track.sample(position), 5000);

// ------------------------------------------------------------------ live: the handset socket

const LastId = {
  get() { const v = localStorage.getItem("handset.last_id"); return v === null ? null : +v; },
  set(id) { localStorage.setItem("handset.last_id", String(id)); },
  clear() { localStorage.removeItem("handset.last_id"); },
};

let socket = null, attempt = 0, reconnectTimer = null, refreshTimer = null;
const refreshSoon = () => { clearTimeout(refreshTimer); refreshTimer = setTimeout(loadTasks, 300); };

function connect() {
  clearTimeout(reconnectTimer);
  if (socket) { const old = socket; socket = null; old.close(); }
  if (!Auth.token) return;
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/handset/");
  socket = ws;
  ws.onopen = () => {
    // The token goes in the first message, never in the URL. With a last id, the server replays
    // what this page missed (the `resume` of the protocol, in the same message), then says `synced`.
    const since = LastId.get();
    ws.send(JSON.stringify(Object.assign({ type: "auth", token: Auth.token }, since !== null ? { since } : {})));
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "authenticated") { attempt = 0; $("#live").classList.add("on"); refreshSoon(); }
    else if (m.type === "synced") LastId.set(Math.max(LastId.get() || 0, m.last_id));
    else if (m.type === "resync") { LastId.set(m.last_id); refreshSoon(); }
    else if (m.type === "event" && m.id) {
      if (m.id <= (LastId.get() || 0)) return; // already applied
      LastId.set(m.id);
      refreshSoon();
    }
  };
  ws.onclose = (e) => {
    if (socket !== ws) return; // replaced or closed on purpose
    socket = null;
    $("#live").classList.remove("on");
    if (e.code === 4401 || !Auth.token) return; // a bad token: the next API call sends the user to the login form
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random());
    attempt = Math.min(attempt + 1, 5);
    reconnectTimer = setTimeout(connect, delay);
  };
}

function disconnect() {
  clearTimeout(reconnectTimer);
  if (socket) { const old = socket; socket = null; old.close(); }
  $("#live").classList.remove("on");
}

// ------------------------------------------------------------------ the page

function network() {
  const on = navigator.onLine;
  $("#net").textContent = on ? S.online : S.offline_short;
  $("#net").className = "net" + (on ? "" : " off");
  $("#offline-banner").hidden = on;
}

function show() {
  const user = Auth.user;
  $("#login").hidden = !!Auth.token;
  $("#app").hidden = !Auth.token;
  $("#who").textContent = user ? user.username : "";
  $("#live").hidden = !Auth.token;
  renderDuty();
  // Department staff do not report: their page opens on the tasks.
  const reports = !user || (user.roles || []).some((role) => CFG.report_roles.includes(role));
  $("[data-tab=report]").hidden = !reports;
  if (!reports && !$("[data-panel=report]").hidden) $("[data-tab=tasks]").click();
}

async function start() {
  show();
  network();
  await showQueue();
  if (!Auth.token) return;
  loadCategories();
  loadTasks();
  Mine.render();
  Mine.load();
  locate();
  connect();
  flush();
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const data = Object.fromEntries(new FormData(e.target));
  $("#login-error").textContent = "";
  try {
    const r = await api("POST", "/api/v1/auth/token", data);
    if (!r.ok) { $("#login-error").textContent = S.login_failed + ": " + (await errorText(r)); return; }
    const body = await r.json();
    if (Auth.username !== body.user.username) LastId.clear();
    Auth.set(body.token, body.user);
    e.target.reset();
    start();
  } catch (err) { $("#login-error").textContent = S.needs_network; }
});
$("#logout").addEventListener("click", async () => {
  try { await api("DELETE", "/api/v1/auth/token"); } catch (e) { /* offline: forget it locally anyway */ }
  Auth.clear();
  LastId.clear();
  disconnect();
  tasks = null;
  $("#tasks").replaceChildren();
  $("#case").hidden = true;
  $("#task-count").textContent = "0";
  $("#mine").replaceChildren();
  show();
});
$("#report-form").addEventListener("submit", submitReport);
const reportPhotos = photoPicker($("#report-form input[name=photos]"));

$("#locate").addEventListener("click", () => { described = null; locate(); describePosition(); });
$("#report-address").addEventListener("input", (e) => { e.target.dataset.auto = ""; });
$("#category-search").addEventListener("input", (e) => renderCategories(e.target.value));
$("#category-search").addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); }); // not a report
$("#rejected-dismiss").addEventListener("click", () => { Rejected.clear(); showQueue(); });
$("#rejected-alert").addEventListener("click", () => $("[data-tab=queue]").click());
$("#language").addEventListener("change", (e) => e.target.form.submit());
for (const tab of document.querySelectorAll(".tabs [data-tab]")) {
  tab.addEventListener("click", () => {
    for (const t of document.querySelectorAll(".tabs [data-tab]")) t.classList.toggle("active", t === tab);
    for (const p of document.querySelectorAll("[data-panel]")) p.hidden = p.dataset.panel !== tab.dataset.tab;
    if (tab.dataset.tab === "tasks") loadTasks();
    if (tab.dataset.tab === "mine") { Mine.render(); Mine.load(); }
  });
}
window.addEventListener("online", () => {
  network();
  flush();
  loadTasks();
  if (!socket && Auth.token) { attempt = 0; connect(); }
});
window.addEventListener("offline", network);
document.addEventListener("visibilitychange", () => { if (!document.hidden && navigator.onLine) flush(); });
setInterval(() => { if (navigator.onLine && Auth.token) flush(); }, 15000);
if ("serviceWorker" in navigator) navigator.serviceWorker.register(CFG.sw, { scope: "/m/" }).catch(() => {});
// For attendance (clock in / out set the duty), the browser tests and debugging.
window.handset = {
  flush, sendQueued, preparePhoto, Queue, Actions, Samples, Rejected, Track, Mine,
  setOnDuty: (on) => Duty.set(on),
  get onDuty() { return Duty.on; },
};
start();
