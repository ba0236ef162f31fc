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
    if (f.q && f.q.trim()) {
      const words = [c.number, c.place, c.address, c.street, c.community, c.cell, c.description, categoryName(c)].join(" ").toLowerCase();
      if (!words.includes(f.q.trim().toLowerCase())) return false;
    }
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
    const outcome = batchOutcomes.get(c.number);
    const classes = ["light-" + (c.light || "none"), c.urgency === "urgent" ? "urgent" : "", cursor === c.number ? "cursor" : "",
      selected.has(c.number) ? "picked" : "", outcome && !outcome.ok ? "batch-refused" : ""].filter(Boolean).join(" ");
    const tr = el("tr", { "data-number": c.number, class: classes, "aria-selected": cursor === c.number ? "true" : null,
      onclick: () => { cursor = c.number; markCursor(); openCase(c.number); } },
      ...(batchable ? [pickCell(c)] : []),
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
    if (outcome && !outcome.ok) flags.append(el("span", { class: "tag refused", title: outcome.message }, T.batch_refused));
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
        el("thead", {}, el("tr", {}, ...(batchable ? [pickAllCell(rows)] : []), ...COLUMNS.map(heading), el("th", { class: "flags" }, ""))),
        el("tbody", {}, ...rows.map(row)));
      root.append(table);
    }
    const red = cases.filter((c) => c.light === "red").length;
    Attention.title(config.title, cases.length, red);
    // Only rows on screen stay selected: a case that left the lists (or a filter hid) is not acted on unseen.
    const shown = new Set(rowNumbers());
    for (const n of [...selected]) if (!shown.has(n)) selected.delete(n);
    showSelection();
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

  // ------------------------------------------------------------------ batch work and shortcuts

  // What this person may do to several rows at once, its words and its keys come from the server
  // (dispatch.batch.client_batch). Each case is still acted on by itself there, with its version.
  const B = config.batch;
  const batchable = B.actions.length > 0;
  const selected = new Set();
  const batchOutcomes = new Map(); // number → the last batch's answer for that row
  let cursor = null; // the current row (j / k)

  const rowNumbers = () => [...document.querySelectorAll("#lists tbody tr[data-number]")].map((tr) => tr.dataset.number);

  function pickCell(c) {
    return el("td", { class: "pick", onclick: (e) => e.stopPropagation() },
      el("input", { type: "checkbox", "aria-label": T.select_row + " " + c.number, checked: selected.has(c.number) ? "" : null,
        onchange: (e) => { if (e.target.checked) selected.add(c.number); else selected.delete(c.number); showSelection(); } }));
  }

  // The heading's box selects every row the list shows now (after filters), or none.
  function pickAllCell(rows) {
    const all = rows.length > 0 && rows.every((c) => selected.has(c.number));
    return el("th", { class: "pick" }, el("input", { type: "checkbox", class: "pick-all", "aria-label": T.select_all,
      checked: all ? "" : null, onchange: (e) => {
        for (const c of rows) { if (e.target.checked) selected.add(c.number); else selected.delete(c.number); }
        render();
      } }));
  }

  function showSelection() {
    for (const tr of document.querySelectorAll("#lists tbody tr[data-number]")) {
      const on = selected.has(tr.dataset.number);
      tr.classList.toggle("picked", on);
      const box = tr.querySelector("td.pick input");
      if (box) box.checked = on;
    }
    const count = $("#batch .selected-count");
    if (count) count.textContent = T.selected.replace("{n}", selected.size);
  }

  function markCursor() {
    for (const tr of document.querySelectorAll("#lists tr.cursor")) { tr.classList.remove("cursor"); tr.removeAttribute("aria-selected"); }
    const tr = cursor && document.querySelector(`#lists tr[data-number="${CSS.escape(cursor)}"]`);
    if (tr) { tr.classList.add("cursor"); tr.setAttribute("aria-selected", "true"); tr.scrollIntoView({ block: "nearest" }); }
  }

  function moveCursor(step) {
    const numbers = rowNumbers();
    if (!numbers.length) return;
    const at = numbers.indexOf(cursor);
    cursor = numbers[at < 0 ? (step > 0 ? 0 : numbers.length - 1) : Math.min(numbers.length - 1, Math.max(0, at + step))];
    markCursor();
  }

  // Ticked rows, in the order the page shows them; none ticked: the current row.
  function targets() {
    if (selected.size) return rowNumbers().filter((n) => selected.has(n));
    return cursor && board.cases.has(cursor) ? [cursor] : [];
  }

  // A resend after no answer reuses the key: the server then does nothing twice.
  let lastAttempt = { signature: "", key: "" };
  const newKey = () => Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  let batchBusy = false;

  function setBatchBusy(busy) {
    batchBusy = busy;
    for (const b of document.querySelectorAll("#batch button[data-batch]")) b.disabled = busy;
  }

  async function runBatch(action, numbers) {
    const spec = B.actions.find((a) => a.action === action);
    if (!spec || batchBusy) return;
    if (!numbers.length) { say(T.batch_none, "error"); return; }
    if (numbers.length > B.limit) { say(T.batch_too_many.replace("{n}", B.limit), "error"); return; }
    const params = {};
    for (const f of spec.fields) {
      const input = $(`#batch [name="${f.name}"]`);
      const value = input ? input.value.trim() : "";
      if (f.required && !value) { say(WORDS.missing + f.label, "error"); if (input) input.focus(); return; }
      if (value) params[f.name] = value;
    }
    const cases = numbers.map((n) => board.cases.get(n)).filter(Boolean).map((c) => ({ number: c.number, version: c.version }));
    const signature = JSON.stringify([action, params, cases]);
    const key = lastAttempt.signature === signature ? lastAttempt.key : newKey();
    lastAttempt = { signature, key };
    setBatchBusy(true);
    say(T.batch_working, "");
    try {
      const r = await fetch(config.batch_url, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ action, params, cases, key }),
      }).catch(() => null);
      if (!r) { say(T.no_answer, "error"); return; }
      const data = await r.json().catch(() => ({}));
      if (!r.ok) { say((data.error && data.error.message) || String(r.status), "error"); return; }
      lastAttempt = { signature: "", key: "" };
      showOutcomes(spec, data);
    } finally {
      setBatchBusy(false);
    }
  }

  // Each row's outcome in words; done rows leave the selection, refused ones stay ticked and marked.
  function showOutcomes(spec, data) {
    const list = $("#batch-results");
    list.replaceChildren(...data.results.map((x) => el("li", { "data-number": x.number, class: x.ok ? "ok" : "refused" },
      x.number + " · " + (x.ok ? `${T.done}: ${spec.label} → ${x.state_label}` : `${T.batch_refused}: ${x.message}`))));
    for (const x of data.results) {
      batchOutcomes.set(x.number, x);
      if (x.ok) selected.delete(x.number);
      const c = board.cases.get(x.number);
      // Until the live event arrives, the row shows what the server answered.
      if (x.ok && c && x.version > c.version) Object.assign(c, { state: x.state, version: x.version });
      if (x.ok) requestAnimationFrame(() => flash(x.number));
    }
    say(T.batch_summary.replace("{done}", data.done).replace("{refused}", data.refused), data.refused ? "error" : "ok");
    render();
  }

  function batchBar() {
    const box = $("#batch");
    if (!batchable) { box.remove(); return; }
    const fields = new Map();
    for (const a of B.actions) for (const f of a.fields) if (!fields.has(f.name)) fields.set(f.name, f);
    const keyOf = Object.fromEntries(Object.entries(B.shortcuts).map(([k, a]) => [a, k]));
    box.replaceChildren(
      el("strong", {}, T.batch), el("span", { class: "selected-count", "aria-live": "polite" }, T.selected.replace("{n}", 0)),
      ...[...fields.values()].map((f) => el("label", {}, f.label, " ", el("input", { name: f.name, type: "text", maxlength: f.max }))),
      ...B.actions.map((a) => el("button", { type: "button", "data-batch": a.action, title: a.hint || null,
        onclick: () => runBatch(a.action, targets()) }, a.label + (keyOf[a.action] ? ` (${keyOf[a.action]})` : ""))),
      el("ol", { id: "batch-results", class: "batch-results" }));
    box.hidden = false;
  }

  // The help overlay: only the keys this person may use here.
  function helpOverlay() {
    const rows = [["j", T.key_next], ["k", T.key_prev]];
    if (batchable) rows.push(["x", T.key_toggle]);
    rows.push(["Enter", T.key_open]);
    for (const [key, action] of Object.entries(B.shortcuts)) {
      const spec = B.actions.find((a) => a.action === action);
      rows.push([key, spec.label + (spec.hint ? " · " + spec.hint : "") + " — " + T.key_targets]);
    }
    rows.push(["/", T.key_search], ["?", T.key_help], ["Esc", T.key_close]);
    const overlay = $("#shortcut-help");
    overlay.replaceChildren(el("div", { class: "overlay-box" },
      el("h2", { id: "shortcut-help-title" }, T.shortcuts),
      el("dl", { class: "keys" }, ...rows.flatMap(([key, what]) => [el("dt", {}, el("kbd", {}, key)), el("dd", {}, what)])),
      el("button", { type: "button", onclick: () => { overlay.hidden = true; } }, T.key_close + " (Esc)")));
    overlay.addEventListener("click", (e) => { if (e.target === overlay) overlay.hidden = true; });
  }

  // Keys never fire while someone types in a box, nor with Ctrl / Alt / ⌘ (the browser's own keys).
  function typing(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
    return target.tagName === "INPUT" && !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const help = $("#shortcut-help");
    if (e.key === "Escape") {
      if (!help.hidden) help.hidden = true;
      else if (typing(e.target)) e.target.blur();
      return;
    }
    if (typing(e.target)) return;
    if (!help.hidden && e.key !== "?") return;
    if (e.key === "Enter" && e.target.tagName === "BUTTON") return; // the button's own click
    if (e.key === "j") moveCursor(1);
    else if (e.key === "k") moveCursor(-1);
    else if (e.key === "x" && batchable && cursor) {
      if (selected.has(cursor)) selected.delete(cursor); else selected.add(cursor);
      showSelection();
    } else if (e.key === "Enter" && cursor) openCase(cursor);
    else if (e.key === "/") { const q = $("#filters [name=q]"); q.focus(); q.select(); }
    else if (e.key === "?") help.hidden = !help.hidden;
    else if (B.shortcuts[e.key]) runBatch(B.shortcuts[e.key], targets());
    else return;
    e.preventDefault();
  }

  batchBar();
  helpOverlay();
  document.addEventListener("keydown", onKey);
  $("#shortcuts-button").addEventListener("click", () => { $("#shortcut-help").hidden = false; });

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
      case "user": { // the cell's own inspector preselected; each on-duty one near the case with its distance
        const away = new Map((c.nearest || []).map((x) => [x.username, x.distance_m]));
        const label = ([value, name]) => [value, name + (away.has(value) ? " · " + T.metres.replace("{n}", away.get(value)) : "")
          + (value === c.cell_inspector ? " · " + T.cell_inspector : "")];
        return pick(el("select", attrs, ...options((config.users[f.role] || []).map(label))), c.cell_inspector);
      }
      case "department": // no suggestion (e.g. every routed department returned it): nothing preselected
        return pick(el("select", attrs, el("option", { value: "" }, "—"), ...options(Object.entries(config.department_names))),
          c.suggested_department);
      case "category": // a case still in the catch-all "unclassified" category gets no preselection
        return pick(el("select", attrs, ...config.categories.map(([code, n]) => el("option", { value: code }, code + " " + n))),
          c.category && !c.category.startsWith("E99") ? c.category : null);
      case "case_number":
        return el("input", Object.assign(attrs, { list: "dup-list" }));
      case "number": {
        const input = el("input", Object.assign(attrs, { type: "number", step: 1, min: f.min, max: f.max, value: f.default }));
        // Counted in the case's stage unit (a postponement): its word beside the box.
        const unit = f.unit === "stage" && W.units[c.stage_unit];
        return unit ? el("span", { class: "with-unit" }, input, " ", el("span", { class: "unit" }, unit)) : input;
      }
      case "longitude":
      case "latitude": // filled by a click on the case's map
        return el("input", Object.assign(attrs, { type: "number", step: "any", min: f.min, max: f.max }));
      case "datetime":
        return el("input", Object.assign(attrs, { type: "datetime-local" }));
      default:
        return el("input", Object.assign(attrs, { type: "text", maxlength: f.max, value: f.default }));
    }
  }

  // 就近派核实/核查: the on-duty inspectors nearest the case (a click picks one), next to the cell's own.
  function nearestInspectors(c, fieldName) {
    const near = c.nearest || [];
    const box = el("p", { class: "nearest-inspectors" }, T.nearest + ": ");
    if (!near.length) box.append(T.none_near);
    for (const x of near) {
      box.append(el("button", { type: "button", class: "nearest", "data-username": x.username, onclick: (e) => {
        const select = e.target.closest("form").elements[fieldName];
        if (select) select.value = x.username;
      } }, `${x.name} ${T.metres.replace("{n}", x.distance_m)}` + (x.username === c.cell_inspector ? ` (${T.cell_inspector})` : "")), " ");
    }
    return box;
  }

  const marker = (required) => (required ? el("abbr", { class: "required", title: WORDS.required }, "*") : "");

  // The form for one action, built from its entry in the workflow table.
  function actionForm(action, c) {
    const t = W.transitions[action] || { fields: [], photos: "none", max_photos: 0 };
    const parts = t.fields.map((f) => el("label", {}, f.label, marker(f.required), " ", inputFor(f, c)));
    const inspectorField = t.fields.find((f) => f.kind === "user" && f.role === config.nearest_role);
    if (inspectorField) parts.push(nearestInspectors(c, inspectorField.name));
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
      // The problems in words of the page's language (the API's `fields` are codes, for programs).
      const problems = (e.problems || []).map(([field, problem]) => field + ": " + problem);
      say((e.message || r.status) + (problems.length ? " (" + problems.join(", ") + ")" : ""), "error");
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
    const [r, d, x, n] = await Promise.all([
      fetch(`/api/v1/cases/${encodeURIComponent(number)}`, { credentials: "same-origin", headers: { Accept: "application/json" } }),
      fetch(`/console/cases/${encodeURIComponent(number)}/duplicates`, { credentials: "same-origin" }),
      fetch(`/console/cases/${encodeURIComponent(number)}/decision`, { credentials: "same-origin" }),
      fetch(config.nearest_url.replace("NUMBER", encodeURIComponent(number)), { credentials: "same-origin" }).catch(() => null),
    ]);
    const [c, dups, facts] = [r.ok ? await r.json() : null, d.ok ? (await d.json()).duplicates : [], x.ok ? await x.json() : null];
    // Another case was opened meanwhile, or a later look at this one was asked for: show only the last.
    if (!c || ticket !== openTicket) return;
    c.nearest = n && n.ok ? (await n.json()).nearest : [];
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
    if (facts) Object.assign(c, { suggested_department: facts.suggested_department, stage_unit: facts.stage_unit });
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
  $("#filters [name=q]").addEventListener("input", render);
  $("#filters").addEventListener("submit", (e) => e.preventDefault()); // Enter in the search box filters, never reloads
  Attention.arm();
  board.start().catch(() => { $("#offline").hidden = false; });
  // /console/…/#<number> opens that case (the maps link here).
  if (location.hash.length > 1) openCase(decodeURIComponent(location.hash.slice(1)));
})();
