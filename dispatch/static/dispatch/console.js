// One script for the three consoles; the page's config says which cases it lists and how.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("console-config").textContent);
  const T = config.strings;
  const L = config.labels;
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const $ = (sel, root) => (root || document).querySelector(sel);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
    return node;
  };
  // Times in the city's zone, whatever the browser's; names in the interface's language.
  const fmt = (iso) => (iso ? new Date(iso).toLocaleString(config.locale, { hour12: false, timeZone: config.workflow.time_zone }) : "—");
  const categoryNames = Object.fromEntries(config.categories);
  const categoryName = (c) => categoryNames[c.category] || (config.locale === "en" && c.category_name_en) || c.category_name;

  // The workflow's rules come from the server (dispatch.labels.client_table): which states this
  // console lists, its lists, each action's fields and photos. This script holds none of them.
  const W = config.workflow;
  const WORDS = W.words;
  const listed = W.console_states[config.console];
  const SORTS = {
    supervision: (a, b) => (b.urgency === "urgent") - (a.urgency === "urgent") || b.reported_at.localeCompare(a.reported_at),
    dispatch: (a, b) => (b.urgency === "urgent") - (a.urgency === "urgent") || (a.due_at || "").localeCompare(b.due_at || ""),
    department: (a, b) => (a.due_at || "9").localeCompare(b.due_at || "9"),
  };
  const rule = {
    belongs: (c) => listed.includes(c.state) && (config.department_id === null || c.department_id === config.department_id),
    sort: SORTS[config.console],
    sections: W.console_sections[config.console].map((s) => [s.id, s.title, (c) =>
      s.states.includes(c.state) && (!s.light || c.light === s.light) && (!s.pending_request || !!c.pending_request) &&
      (!s.flag || (c.flags || []).includes(s.flag))]),
  };
  // Where a case waits for dispatch (also where a department's return lands), and the field that names the department.
  const DISPATCH = W.transitions.dispatch;
  const departmentField = DISPATCH.fields.find((f) => f.kind === "department");

  // Filters: the selects of #filters, and a counter clicked at the top (its state or light).
  const counterFilter = { state: "", light: "" };
  function passesFilters(c) {
    const f = Object.fromEntries(new FormData($("#filters") || document.createElement("form")));
    if (f.source && c.source !== f.source) return false;
    if (f.category && c.category !== f.category) return false;
    if (f.street && !(c.cell || "").startsWith(f.street)) return false;
    if (f.department && c.department !== f.department) return false;
    if (f.light && c.light !== f.light) return false;
    if (f.needs_verification && String(c.needs_verification) !== f.needs_verification) return false;
    if (f.listen && !(c.flags || []).includes("listen")) return false;  // voice reports to listen to
    if (counterFilter.state && c.state !== counterFilter.state) return false;
    return true;
  }

  const departmentName = (code) => (code ? config.department_names[code] || code : "");
  const holder = (c) => (DISPATCH.sources.includes(c.state) ? "" : departmentName(c.department));
  const caseUrl = (number) => config.case_url.replace("NUMBER", encodeURIComponent(number));
  // Sortable columns: [heading, sort value, cell]. A click on a heading sorts by it; again, the other way.
  const COLUMNS = [
    ["number", T.number, (c) => c.number, (c) => [el("span", { class: "dot" }),
      el("a", { href: caseUrl(c.number), title: T.open_case, onclick: (e) => e.stopPropagation() }, c.number)]],
    ["category_name", T.category, (c) => c.category, (c) => [categoryName(c)], (c) => c.category + " " + categoryName(c)],
    ["state_name", T.state, (c) => L.states[c.state] || c.state, (c) => [L.states[c.state] || c.state]],
    // A case waiting for dispatch has no holder (after a return the department is only the one that returned it).
    ["department_name", T.department, (c) => holder(c), (c) => [holder(c)]],
    ["time_left", T.time_left, (c) => (c.time_left ? c.time_left.seconds : Infinity),
      (c) => [c.time_left ? el("span", { class: c.time_left.overdue ? "overdue" : "" }, c.time_left.text) : "—"]],
    ["place", T.place, (c) => c.place || "", (c) => [c.place || ""],
      (c) => [c.street, c.community, c.cell ? "(" + c.cell + ")" : ""].filter(Boolean).join(" ")],
    ["source", T.source, (c) => L.sources[c.source] || c.source, (c) => [L.sources[c.source] || c.source]],
    ["reporter_kind", T.reporter_kind, (c) => c.reporter_kind || "", (c) => [config.reporter_kinds[c.reporter_kind] || ""]],
  ];
  let sortBy = null, sortDir = 1;
  function sorter() {
    if (!sortBy) return rule.sort;
    const value = COLUMNS.find((col) => col[0] === sortBy)[2];
    return (a, b) => {
      const x = value(a), y = value(b);
      return sortDir * (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), config.locale));
    };
  }

  function quickDispatch(c) {
    return el("button", { type: "button", class: "quick", onclick: async (e) => {
      e.stopPropagation();
      const button = e.currentTarget;
      button.disabled = true; // one click, one dispatch: disabled until the answer comes
      await act(c.number, "dispatch", { [departmentField.name]: c.suggested_department }, [], c.version);
      button.disabled = false;
    } }, T.dispatch_to + " " + departmentName(c.suggested_department));
  }

  function row(c) {
    const tr = el("tr", { "data-number": c.number, class: "light-" + (c.light || "none") + (c.urgency === "urgent" ? " urgent" : ""), onclick: () => openCase(c.number) },
      ...COLUMNS.map(([id, , , cell, hover]) => {
        const content = cell(c);
        const text = hover ? hover(c) : content.map((x) => (x instanceof Node ? x.textContent : x)).join("");
        return el("td", { class: "col-" + id, title: text }, ...content);
      }));
    const flags = el("td", { class: "flags" });
    if (c.urgency === "urgent") flags.append(el("span", { class: "tag urgent" }, T.urgent));
    const waitsForDispatch = DISPATCH.sources.includes(c.state);
    if (c.return_count && waitsForDispatch) flags.append(el("span", { class: "tag returned", title: T.returned + " " + departmentName(c.department) }, T.returned));
    if (c.pending_request) flags.append(el("span", { class: "tag" }, T["pending_" + c.pending_request]));
    for (const f of c.flags || []) flags.append(el("span", { class: "tag flag-" + f }, W.flags[f] || f));
    if (config.console === "dispatch" && waitsForDispatch && c.suggested_department && departmentField) flags.append(quickDispatch(c));
    tr.append(flags);
    return tr;
  }

  function heading([id, label]) {
    const mark = sortBy === id ? (sortDir > 0 ? " ▲" : " ▼") : "";
    return el("th", { class: "col-" + id, "data-sort": id, "aria-sort": sortBy === id ? (sortDir > 0 ? "ascending" : "descending") : null,
      onclick: () => { if (sortBy === id) sortDir = -sortDir; else { sortBy = id; sortDir = 1; } render(); } }, label + mark);
  }

  function render() {
    const cases = [...board.cases.values()].filter(passesFilters).sort(sorter());
    const root = $("#lists");
    root.replaceChildren();
    for (const [id, title, test] of rule.sections) {
      const rows = cases.filter(test);
      const table = el("table", { id: "list-" + id, class: "cases" },
        el("caption", {}, title + " ", el("span", { class: "count" }, String(rows.length))),
        el("thead", {}, el("tr", {}, ...COLUMNS.map(heading), el("th", { class: "flags" }, ""))),
        el("tbody", {}, ...rows.map(row)));
      root.append(table);
    }
    const red = cases.filter((c) => c.light === "red").length;
    Attention.title(config.title, cases.length, red);
  }

  // The counters at the top are filters: a click shows only those cases; a second click, all again.
  let lastCounts = null;
  function counter(kind, value, text, n) {
    const active = kind === "light_filter" ? ($("#filters [name=light]") || {}).value === value : counterFilter.state === value;
    return el("button", { type: "button", class: `counter count-${value}`, "aria-pressed": active ? "true" : "false",
      title: T.filter_on, onclick: () => {
        if (kind === "light_filter") { const select = $("#filters [name=light]"); select.value = active ? "" : value; }
        else counterFilter.state = active ? "" : value;
        renderCounts(lastCounts); render();
      } }, text + " " + n);
  }

  function renderCounts(counts) {
    if (!counts) return;
    lastCounts = counts;
    const box = $("#counts");
    box.replaceChildren(
      ...Object.entries(counts.states).map(([s, n]) => (listed.includes(s)
        ? counter("state_filter", s, L.states[s] || s, n) : el("span", { class: "count-" + s }, (L.states[s] || s) + " " + n))),
      counter("light_filter", "yellow", T.yellow, counts.lights.yellow),
      counter("light_filter", "red", T.red, counts.lights.red),
    );
    const t = counts.today;
    if (t) {
      // The figures' order and words come from the server (board.THROUGHPUT, then the person's own).
      $("#today").replaceChildren(el("strong", {}, T.today), ...config.throughput.map(([k, word]) =>
        el("span", { class: "today-" + k }, word + " " + t[k])));
    }
  }

  // Time left is counted on the server (working time follows the city's calendar): an event brings
  // the case's figure as of the event, and the whole list's figures are fetched once a minute (not
  // after every event: with hundreds of boards open that would recount every list per event).
  async function refreshClock() {
    const r = await fetch(config.clock_url, { credentials: "same-origin" }).catch(() => null);
    if (!r || !r.ok) return;
    const { times } = await r.json();
    for (const [number, left] of Object.entries(times)) {
      const c = board.cases.get(number);
      if (c) { c.time_left = left; c.light = left.light || c.light; }
    }
    render();
  }
  setInterval(refreshClock, 60000);

  let countsTimer = null;
  function refreshCountsSoon() {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(async () => {
      const r = await fetch(config.counts_url, { credentials: "same-origin" });
      if (r.ok) renderCounts(await r.json());
    }, 800);
  }

  function flash(number) {
    const tr = document.querySelector(`tr[data-number="${number}"]`);
    if (tr) { tr.classList.add("flash"); setTimeout(() => tr.classList.remove("flash"), 4000); }
  }

  const board = new LiveBoard({
    snapshotUrl: config.snapshot_url,
    belongs: rule.belongs,
    onChange: render,
    onCounts: renderCounts,
    onStatus: (s) => { $("#offline").hidden = s !== "offline"; document.body.dataset.live = s; },
    onEvent: (message, before) => {
      if (message.kind === "inspector.position") return;
      refreshCountsSoon();
      const c = message.case;
      const newUrgent = message.kind === "case.reported" && c.urgency === "urgent";
      const turnedRed = message.kind === "case.warning" && c.light === "red";
      // 催办 / 督办 / 批示 on a case this console lists: heard and highlighted at once.
      const lever = ["urge", "supervise", "instruct", "supervision_overdue"].includes(message.action) && rule.belongs(c);
      const arrived = !before && rule.belongs(c);
      if (newUrgent || turnedRed || lever) Attention.beep();
      if (newUrgent || turnedRed || lever || arrived) requestAnimationFrame(() => flash(c.number));
      if (openNumber === c.number) openCase(c.number);
    },
  });
  window.liveBoard = board; // for the browser tests and the curious

  // ------------------------------------------------------------------ the case panel

  let openNumber = null;

  // An input for one field of the workflow table, by its kind.
  function inputFor(f, c) {
    const attrs = { name: f.name, "data-kind": f.kind, required: f.required ? "" : null };
    const options = (pairs) => pairs.map(([value, name]) => el("option", { value: String(value) }, name));
    const pick = (node, value) => { if (value && [...node.options].some((o) => o.value === value)) node.value = value; return node; };
    switch (f.kind) {
      case "choice":
      case "bool":
        return el("select", attrs, ...options(f.choices));
      case "user":
        return pick(el("select", attrs, ...options(config.users[f.role] || [])), c.cell_inspector);
      case "department": // no suggestion (e.g. every routed department returned it): nothing preselected
        return pick(el("select", attrs, el("option", { value: "" }, "—"), ...options(Object.entries(config.department_names))),
          c.suggested_department);
      case "category": // a case still in the catch-all "unclassified" category gets no preselection
        return pick(el("select", attrs, ...config.categories.map(([code, n]) => el("option", { value: code }, code + " " + n))),
          c.category && !c.category.startsWith("E99") ? c.category : null);
      case "case_number":
        return el("input", Object.assign(attrs, { list: "dup-list" }));
      case "number":
        return el("input", Object.assign(attrs, { type: "number", step: 1, min: f.min, max: f.max, value: f.default }));
      case "longitude":
      case "latitude": // filled by a click on the case's map
        return el("input", Object.assign(attrs, { type: "number", step: "any", min: f.min, max: f.max }));
      case "datetime":
        return el("input", Object.assign(attrs, { type: "datetime-local" }));
      default:
        return el("input", Object.assign(attrs, { type: "text", maxlength: f.max, value: f.default }));
    }
  }

  const marker = (required) => (required ? el("abbr", { class: "required", title: WORDS.required }, "*") : "");

  // The form for one action, built from its entry in the workflow table.
  function actionForm(action, c) {
    const t = W.transitions[action] || { fields: [], photos: "none", max_photos: 0 };
    const parts = t.fields.map((f) => el("label", {}, f.label, marker(f.required), " ", inputFor(f, c)));
    if (t.photos !== "none") {
      parts.push(el("label", {}, WORDS.photos, marker(t.photos === "required"), " ",
        el("input", { name: "photos", type: "file", accept: "image/jpeg,image/png,image/webp", multiple: "", "data-photos": t.photos })));
      if (t.photos === "required") parts.push(el("small", { class: "photos-required" }, WORDS.photos_required));
    }
    return el("form", { class: "action", "data-action": action, novalidate: "" },
      el("strong", {}, L.actions[action] || action), ...parts, el("button", { type: "submit" }, L.actions[action] || action));
  }

  // What the table says is missing, said before anything is sent (the server checks the same).
  function problemWith(form, action) {
    const t = W.transitions[action];
    if (!t) return null;
    const missing = t.fields.filter((f) => f.required && !String(form.elements[f.name].value || "").trim()).map((f) => f.label);
    if (missing.length) return WORDS.missing + missing.join(", ");
    const photos = form.querySelector("input[type=file]");
    const count = photos ? photos.files.length : 0;
    if (t.photos === "required" && !count) return WORDS.photos_required;
    if (count > t.max_photos) return WORDS.too_many_photos.replace("{n}", t.max_photos);
    return null;
  }

  function say(text, kind) {
    const status = $("#action-status");
    status.textContent = text;
    status.className = kind;
  }

  // What happened to the case since this page last saw it, in words (after a 409). A stale version
  // reads "changed by someone else"; another refusal in the case's state keeps the server's words.
  async function sayWhatChanged(number, error) {
    const lead = error && error.current_version === undefined && error.message ? error.message : T.changed;
    const r = await fetch(`/api/v1/cases/${encodeURIComponent(number)}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) { say(lead, "error"); return; }
    const c = await r.json();
    const last = c.timeline[c.timeline.length - 1];
    const what = last ? `${fmt(last.at)} ${last.actor || last.actor_role || ""} ${L.actions[last.action] || last.action}` : "";
    say(`${lead} ${what} · ${T.now_state} ${L.states[c.state] || c.state}`, "error");
    if (openNumber === number) openCase(number);
  }

  // One action, sent with the version of the case as the person saw it: a second click (or someone
  // else's change in between) gets 409 and changes nothing.
  async function act(number, action, values, files, version) {
    const body = new FormData();
    for (const [k, v] of Object.entries(values)) body.append(k, v);
    for (const f of files || []) body.append("photos", f);
    if (version) body.append("version", version);
    say(T.sending, "");
    const r = await fetch(`/api/v1/cases/${encodeURIComponent(number)}/actions/${action}`, {
      method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    }).catch(() => null);
    if (!r) { say(T.no_answer, "error"); return null; }
    const data = await r.json().catch(() => ({}));
    if (r.status === 409) {
      await sayWhatChanged(number, data.error);
      return null;
    }
    if (!r.ok) {
      const e = data.error || {};
      const fields = Object.values(e.fields || {}).filter((v) => typeof v === "string" && /\s|[^\x00-\x7f]/.test(v));
      say((e.message || r.status) + (fields.length ? " " + fields.join(" ") : ""), "error");
      return null;
    }
    say(T.done + ": " + (L.actions[action] || action) + " → " + (L.states[data.state] || data.state), "ok");
    if (openNumber === number) openCase(number);
    return data;
  }

  let openTicket = 0;
  async function openCase(number) {
    openNumber = number;
    const ticket = ++openTicket;
    const [r, d, x] = await Promise.all([
      fetch(`/api/v1/cases/${encodeURIComponent(number)}`, { credentials: "same-origin", headers: { Accept: "application/json" } }),
      fetch(`/console/cases/${encodeURIComponent(number)}/duplicates`, { credentials: "same-origin" }),
      fetch(`/console/cases/${encodeURIComponent(number)}/decision`, { credentials: "same-origin" }),
    ]);
    const [c, dups, facts] = [r.ok ? await r.json() : null, d.ok ? (await d.json()).duplicates : [], x.ok ? await x.json() : null];
    // Another case was opened meanwhile, or a later look at this one was asked for: show only the last.
    if (!c || ticket !== openTicket) return;
    showCase(c, dups, facts);
  }

  // Returns (who sent it back, why), the suggestion, and a pending request as it would be approved.
  function decisionFacts(c, facts) {
    if (!facts) return [];
    const parts = [];
    if (facts.returns.length) {
      parts.push(el("div", { class: "returns" }, el("h3", {}, T.returned_by),
        ...facts.returns.map((x) => el("p", { class: "return" }, `${x.at} · ${x.department_name} · ${T.reason}: ${x.reason}`)),
        DISPATCH.sources.includes(c.state) ? el("p", { class: "suggestion" }, facts.suggested_department
          ? T.suggested + ": " + (facts.suggested_department_name || departmentName(facts.suggested_department)) : T.no_suggestion) : ""));
    }
    const p = facts.pending;
    if (p) {
      parts.push(el("dl", { class: "pending" },
        el("dt", {}, T.asked), el("dd", { class: "asked" }, `${T["pending_" + p.kind]} ${p.asked}`),
        el("dt", {}, T.reason), el("dd", {}, p.reason || "—"),
        el("dt", {}, T.due_now), el("dd", {}, p.due_now || "—"),
        el("dt", {}, T.due_if_approved), el("dd", { class: "due-if-approved" }, p.due_if_approved || "—")));
    }
    return parts;
  }

  function showCase(c, duplicates, facts) {
    duplicates = duplicates || [];
    if (facts) c.suggested_department = facts.suggested_department;
    const panel = $("#panel");
    const actions = el("div", { class: "actions" });
    for (const action of c.actions) {
      const form = actionForm(action, c);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        if (form.dataset.busy) return; // one click, one action
        const problem = problemWith(form, action);
        if (problem) { say(problem, "error"); return; }
        const values = {};
        let files = [];
        for (const input of form.querySelectorAll("input, select")) {
          if (input.type === "file") files = [...input.files];
          else if (input.value !== "") values[input.name] = input.value;
        }
        form.dataset.busy = "1";
        for (const b of form.querySelectorAll("button")) b.disabled = true;
        try {
          await act(c.number, action, values, files, c.version);
        } finally {
          delete form.dataset.busy;
          for (const b of form.querySelectorAll("button")) b.disabled = false;
        }
      });
      actions.append(form);
    }
    const place = el("span", { title: c.cell || "" }, c.place || c.address || "");
    panel.replaceChildren(
      el("h2", {}, el("a", { href: caseUrl(c.number), title: T.open_case }, c.number), " · " + categoryName(c)),
      el("p", {}, (L.states[c.state] || c.state) + " · " + (L.sources[c.source] || c.source) + " · ", place),
      el("p", {}, c.description),
      el("p", { class: "meta" }, T.reported + " " + fmt(c.reported_at) + " · " + T.due + " " + fmt(c.due_at) + (c.reporter_phone ? " · ☎ " + c.reporter_phone : "")),
      ...decisionFacts(c, facts),
      el("div", { id: "case-map", class: "minimap" }),
      el("div", { class: "photos" }, ...c.photos.map((p) => el("a", { href: p.url, target: "_blank" }, el("img", { src: p.thumbnail_url, alt: p.stage, loading: "lazy" })))),
      duplicates.length ? el("div", { class: "duplicates" }, el("h3", {}, T.duplicates),
        el("datalist", { id: "dup-list" }, ...duplicates.map((d) => el("option", { value: d.number }))),
        ...duplicates.map((d) => el("p", {}, `${d.number} · ${L.states[d.state] || d.state} · ${d.distance_m} m · ${d.description}`))) : el("span"),
      actions,
      el("h3", {}, T.timeline),
      el("ol", { class: "timeline" }, ...c.timeline.map((e) => el("li", {}, `${fmt(e.at)} ${L.actions[e.action] || e.action} ${e.actor || e.actor_role} ${e.note || ""}`))),
    );
    panel.hidden = false;
    if (window.L) {
      // Clicking the map places the case (for 分类定位, e.g. an SMS that named no known place).
      const put = (x, y) => {
        for (const node of document.querySelectorAll("#panel [data-kind=longitude]")) node.value = x.toFixed(7);
        for (const node of document.querySelectorAll("#panel [data-kind=latitude]")) node.value = y.toFixed(7);
      };
      cityMinimap($("#case-map"), config.map, c.lng !== null ? { around: [c.lng, c.lat], onClick: put } : { onClick: put });
    } else $("#case-map").remove();
  }

  for (const input of document.querySelectorAll("#filters select")) input.addEventListener("change", () => { renderCounts(lastCounts); render(); });
  Attention.arm();
  board.start().catch(() => { $("#offline").hidden = false; });
  // /console/…/#<number> opens that case (the maps link here).
  if (location.hash.length > 1) openCase(decodeURIComponent(location.hash.slice(1)));
})();
