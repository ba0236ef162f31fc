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
  const fmt = (iso) => (iso ? new Date(iso).toLocaleString(config.locale, { hour12: false }) : "—");

  const RULES = {
    supervision: {
      belongs: (c) => ["reported", "verifying"].includes(c.state),
      sort: (a, b) => (b.urgency === "urgent") - (a.urgency === "urgent") || b.reported_at.localeCompare(a.reported_at),
      sections: [["queue", T.queue, () => true]],
    },
    dispatch: {
      belongs: (c) => ["registered", "dispatched", "suspended"].includes(c.state),
      sort: (a, b) => (b.urgency === "urgent") - (a.urgency === "urgent") || (a.due_at || "").localeCompare(b.due_at || ""),
      sections: [
        ["to-dispatch", T.to_dispatch, (c) => c.state === "registered"],
        ["requests", T.requests, (c) => c.state === "dispatched" && c.pending_request],
        ["red", T.red, (c) => c.state === "dispatched" && c.light === "red"],
        ["yellow", T.yellow, (c) => c.state === "dispatched" && c.light === "yellow"],
        ["suspended", T.suspended, (c) => c.state === "suspended"],
      ],
    },
    department: {
      belongs: (c) => c.department_id === config.department_id && ["dispatched", "suspended", "handled", "checking"].includes(c.state),
      sort: (a, b) => (a.due_at || "9").localeCompare(b.due_at || "9"),
      sections: [
        ["to-handle", T.to_handle, (c) => c.state === "dispatched"],
        ["waiting", T.waiting, (c) => c.state !== "dispatched"],
      ],
    },
  };
  const rule = RULES[config.console];

  function passesFilters(c) {
    const f = Object.fromEntries(new FormData($("#filters") || document.createElement("form")));
    if (f.source && c.source !== f.source) return false;
    if (f.category && c.category !== f.category) return false;
    if (f.street && !(c.cell || "").startsWith(f.street)) return false;
    if (f.needs_verification && String(c.needs_verification) !== f.needs_verification) return false;
    return true;
  }

  function row(c) {
    const tr = el("tr", { "data-number": c.number, class: "light-" + (c.light || "none") + (c.urgency === "urgent" ? " urgent" : ""), onclick: () => openCase(c.number) },
      el("td", {}, el("span", { class: "dot" }), c.number),
      el("td", {}, c.category_name),
      el("td", {}, L.states[c.state] || c.state),
      el("td", {}, c.address || c.cell || ""),
      el("td", {}, L.sources[c.source] || c.source),
      el("td", {}, fmt(c.state === "reported" || c.state === "verifying" ? c.reported_at : c.due_at)),
    );
    const flags = el("td", { class: "flags" });
    if (c.urgency === "urgent") flags.append(el("span", { class: "tag urgent" }, T.urgent));
    if (c.return_count && c.state === "registered") flags.append(el("span", { class: "tag returned" }, T.returned));
    if (c.pending_request) flags.append(el("span", { class: "tag" }, T["pending_" + c.pending_request]));
    if (config.console === "dispatch" && c.state === "registered" && c.suggested_department) {
      flags.append(el("button", { type: "button", class: "quick", onclick: (e) => { e.stopPropagation(); act(c.number, "dispatch", { department: c.suggested_department }); } },
        T.dispatch_to + " " + (config.department_names[c.suggested_department] || c.suggested_department)));
    }
    tr.append(flags);
    return tr;
  }

  function render() {
    const cases = [...board.cases.values()].filter(passesFilters).sort(rule.sort);
    const root = $("#lists");
    root.replaceChildren();
    for (const [id, title, test] of rule.sections) {
      const rows = cases.filter(test);
      const table = el("table", { id: "list-" + id, class: "cases" },
        el("caption", {}, title + " ", el("span", { class: "count" }, String(rows.length))),
        el("thead", {}, el("tr", {}, ...[T.number, T.category, T.state, T.place, T.source, T.time, ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...rows.map(row)));
      root.append(table);
    }
    const red = cases.filter((c) => c.light === "red").length;
    Attention.title(config.title, cases.length, red);
  }

  function renderCounts(counts) {
    const box = $("#counts");
    box.replaceChildren(
      ...Object.entries(counts.states).map(([s, n]) => el("span", { class: "count-" + s }, (L.states[s] || s) + " " + n)),
      el("span", { class: "count-yellow" }, T.yellow + " " + counts.lights.yellow),
      el("span", { class: "count-red" }, T.red + " " + counts.lights.red),
    );
  }

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
      const arrived = !before && rule.belongs(c);
      if (newUrgent || turnedRed) Attention.beep();
      if (newUrgent || turnedRed || arrived) requestAnimationFrame(() => flash(c.number));
      if (openNumber === c.number) openCase(c.number);
    },
  });
  window.liveBoard = board; // for the browser tests and the curious

  // ------------------------------------------------------------------ the case panel

  let openNumber = null;
  const FIELDS = {
    classify: [["category", "category"], ["address", "text"], ["lng", "hidden"], ["lat", "hidden"], ["note", "text"]],
    send_verify: [["inspector", "inspector"], ["note", "text"]],
    verify: [["result", ["exists", "not_found", "unable"]], ["note", "text"], ["photos", "file"]],
    register: [["note", "text"]],
    reject: [["reason", "text"]],
    merge: [["master", "master"], ["note", "text"]],
    dispatch: [["department", "department"], ["note", "text"]],
    return: [["reason", "text"]],
    request_postpone: [["hours", "number"], ["reason", "text"]],
    decide_postpone: [["approve", "approve"], ["note", "text"]],
    request_suspend: [["reason", "text"]],
    decide_suspend: [["approve", "approve"], ["note", "text"]],
    resume: [["note", "text"]],
    handle: [["note", "text"], ["photos", "file"]],
    send_check: [["inspector", "inspector"], ["note", "text"]],
    check: [["result", ["passed", "failed"]], ["note", "text"], ["photos", "file"]],
    cancel: [["reason", "text"]],
  };

  function field(name, kind, c, duplicates) {
    const label = T["field_" + name] || name;
    let input;
    if (Array.isArray(kind)) {
      input = el("select", { name }, ...kind.map((v) => el("option", { value: v }, T["result_" + v] || v)));
    } else if (kind === "inspector") {
      input = el("select", { name }, ...config.inspectors.map(([u, n]) => el("option", { value: u }, n)));
      if (c.cell_inspector) input.value = c.cell_inspector;
    } else if (kind === "department") {
      input = el("select", { name }, ...Object.entries(config.department_names).map(([code, n]) => el("option", { value: code }, n)));
      if (c.suggested_department) input.value = c.suggested_department;
    } else if (kind === "category") {
      input = el("select", { name }, ...config.categories.map(([code, n]) => el("option", { value: code }, code + " " + n)));
      if (c.category && !c.category.startsWith("E99")) input.value = c.category;
    } else if (kind === "hidden") {
      return el("input", { name, type: "hidden" });
    } else if (kind === "approve") {
      input = el("select", { name }, el("option", { value: "true" }, T.approve), el("option", { value: "false" }, T.deny));
    } else if (kind === "master") {
      input = el("input", { name, list: "dup-list", required: "" });
    } else if (kind === "file") {
      input = el("input", { name, type: "file", accept: "image/jpeg,image/png,image/webp", multiple: "" });
    } else if (kind === "number") {
      input = el("input", { name, type: "number", min: 1, max: 720, value: 24 });
    } else {
      input = el("input", { name, type: "text", maxlength: name === "note" ? 2000 : 500 });
    }
    return el("label", {}, label + " ", input);
  }

  async function act(number, action, values, files) {
    const body = new FormData();
    for (const [k, v] of Object.entries(values)) body.append(k, v);
    for (const f of files || []) body.append("photos", f);
    const c = board.cases.get(number);
    if (c && c.version) body.append("version", c.version);
    const r = await fetch(`/api/v1/cases/${encodeURIComponent(number)}/actions/${action}`, {
      method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    });
    const data = await r.json().catch(() => ({}));
    const status = $("#action-status");
    if (!r.ok) {
      const fields = data.error && data.error.fields ? " " + JSON.stringify(data.error.fields) : "";
      status.textContent = (data.error ? data.error.message : r.status) + fields;
      status.className = "error";
      return null;
    }
    status.textContent = T.done + ": " + (L.actions[action] || action) + " → " + (L.states[data.state] || data.state);
    status.className = "ok";
    if (openNumber === number) showCase(data);
    return data;
  }

  async function openCase(number) {
    openNumber = number;
    const [r, d] = await Promise.all([
      fetch(`/api/v1/cases/${encodeURIComponent(number)}`, { credentials: "same-origin", headers: { Accept: "application/json" } }),
      fetch(`/console/cases/${encodeURIComponent(number)}/duplicates`, { credentials: "same-origin" }),
    ]);
    if (!r.ok) return;
    showCase(await r.json(), d.ok ? (await d.json()).duplicates : []);
  }

  function showCase(c, duplicates) {
    duplicates = duplicates || [];
    const panel = $("#panel");
    const actions = el("div", { class: "actions" });
    for (const action of c.actions) {
      const form = el("form", { class: "action", "data-action": action },
        el("strong", {}, L.actions[action] || action),
        ...(FIELDS[action] || []).map(([n, k]) => field(n, k, c, duplicates)),
        el("button", { type: "submit" }, L.actions[action] || action));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const values = {};
        let files = [];
        for (const input of form.querySelectorAll("input, select")) {
          if (input.type === "file") files = [...input.files];
          else if (input.value !== "") values[input.name] = input.value;
        }
        await act(c.number, action, values, files);
      });
      actions.append(form);
    }
    panel.replaceChildren(
      el("h2", {}, c.number + " · " + c.category_name),
      el("p", {}, (L.states[c.state] || c.state) + " · " + (L.sources[c.source] || c.source) + " · " + (c.address || "") + " " + (c.cell || "")),
      el("p", {}, c.description),
      el("p", { class: "meta" }, T.reported + " " + fmt(c.reported_at) + " · " + T.due + " " + fmt(c.due_at) + (c.reporter_phone ? " · ☎ " + c.reporter_phone : "")),
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
        const form = document.querySelector('form[data-action="classify"]');
        if (form) { form.querySelector("[name=lng]").value = x.toFixed(7); form.querySelector("[name=lat]").value = y.toFixed(7); }
      };
      cityMinimap($("#case-map"), config.map, c.lng !== null ? { around: [c.lng, c.lat], onClick: put } : { onClick: put });
    } else $("#case-map").remove();
  }

  for (const input of document.querySelectorAll("#filters select")) input.addEventListener("change", render);
  Attention.arm();
  board.start().catch(() => { $("#offline").hidden = false; });
  // /console/…/#<number> opens that case (the maps link here).
  if (location.hash.length > 1) openCase(decodeURIComponent(location.hash.slice(1)));
})();
