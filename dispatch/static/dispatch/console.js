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
      el("td", {}, fmt(config.console === "supervision" ? c.reported_at : c.due_at)),
    );
    const flags = el("td", { class: "flags" });
    if (c.urgency === "urgent") flags.append(el("span", { class: "tag urgent" }, T.urgent));
    const waitsForDispatch = DISPATCH.sources.includes(c.state);
    if (c.return_count && waitsForDispatch) flags.append(el("span", { class: "tag returned" }, T.returned));
    if (c.pending_request) flags.append(el("span", { class: "tag" }, T["pending_" + c.pending_request]));
    for (const f of c.flags || []) flags.append(el("span", { class: "tag flag-" + f }, W.flags[f] || f));
    if (config.console === "dispatch" && waitsForDispatch && c.suggested_department && departmentField) {
      flags.append(el("button", { type: "button", class: "quick", onclick: (e) => { e.stopPropagation(); act(c.number, "dispatch", { [departmentField.name]: c.suggested_department }); } },
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
      case "department":
        return pick(el("select", attrs, ...options(Object.entries(config.department_names))), c.suggested_department);
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
    if (!r.ok) {
      const fields = data.error && data.error.fields ? " " + JSON.stringify(data.error.fields) : "";
      say((data.error ? data.error.message : r.status) + fields, "error");
      return null;
    }
    say(T.done + ": " + (L.actions[action] || action) + " → " + (L.states[data.state] || data.state), "ok");
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
      const form = actionForm(action, c);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const problem = problemWith(form, action);
        if (problem) { say(problem, "error"); return; }
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
        for (const node of document.querySelectorAll("#panel [data-kind=longitude]")) node.value = x.toFixed(7);
        for (const node of document.querySelectorAll("#panel [data-kind=latitude]")) node.value = y.toFixed(7);
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
