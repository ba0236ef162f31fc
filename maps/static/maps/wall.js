// The wall 大屏 around the map: today's figures against yesterday, charts (ECharts), the red list,
// inspectors on duty and the rolling feed. One compact summary (/maps/api/wall.json) fills it;
// /ws/board/ keeps it live: the feed takes each event at once, and the summary is fetched again
// shortly after events (debounced: at most one fetch per burst, within ~1.2 s of its first event),
// and once a minute for what moves with time alone (yesterday's same hour, who is on duty).
// Words and names come from the server (maps.wall.page_words, dispatch.labels.js_labels).
// It starts once the page's scripts have run (live.js, which the map page loads after this file).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const cfg = JSON.parse(document.getElementById("wall-config").textContent);
  const S = cfg.strings;
  const root = document.getElementById("wall");
  const $ = (id) => document.getElementById(id);
  const escapeHtml = (t) => String(t ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
  const clockFormat = new Intl.DateTimeFormat(cfg.locale || undefined, { timeZone: cfg.time_zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  const hhmm = new Intl.DateTimeFormat("en-GB", { timeZone: cfg.time_zone, hour: "2-digit", minute: "2-digit", hour12: false });
  const rem = () => parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  const TEXT = "#bcd3ee", AXIS = "#2a4a72", CYAN = "#4fd2ff", GREEN = "#5fe08a", RED = "#ff5a4e";
  let last = null; // the last summary drawn

  // ------------------------------------------------------------------ today's figures
  function figures(today) {
    for (const [key] of cfg.figures) {
      const f = today[key];
      const rate = key === "on_time_rate";
      const show = (v) => (v === null || v === undefined ? "—" : rate ? v + "%" : String(v));
      root.querySelector(`[data-today="${key}"]`).textContent = show(f.today);
      root.querySelector(`[data-yesterday="${key}"]`).textContent = show(f.yesterday);
      const d = root.querySelector(`[data-delta="${key}"]`);
      if (f.today === null || f.yesterday === null || f.today === f.yesterday) { d.textContent = ""; d.className = "delta"; continue; }
      const diff = Math.round((f.today - f.yesterday) * 10) / 10;
      d.textContent = (diff > 0 ? "▲" : "▼") + Math.abs(diff);
      d.className = "delta " + (diff > 0 ? "up" : "down");
    }
  }

  // A live event counts at once in today's figures it belongs to (the rules come from the server:
  // maps.wall.FIGURE_EVENTS); the summary fetched after it has the last word.
  const cityDay = new Intl.DateTimeFormat("en-CA", { timeZone: cfg.time_zone, year: "numeric", month: "2-digit", day: "2-digit" });
  const matchesRule = (rule, m) => Object.entries(rule).every(([field, value]) => ({
    action: () => m.action === value,
    to_state: () => m.to_state === value,
    not_from_state: () => m.from_state !== value,
    light: () => (m.case || {}).light === value,
  })[field]());
  function countLive(message) {
    if (!last || !message.at || cityDay.format(new Date(message.at)) !== cityDay.format(new Date())) return;
    let changed = false;
    for (const [key, rule] of Object.entries(cfg.figure_events)) {
      if (matchesRule(rule, message) && last.today[key] && last.today[key].today !== null) { last.today[key].today += 1; changed = true; }
    }
    if (changed) figures(last.today);
  }

  // ------------------------------------------------------------------ charts
  const charts = {};
  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init($(id), "dark", { renderer: "canvas" });
    return charts[id];
  }
  const base = (fs) => ({ backgroundColor: "transparent", textStyle: { fontSize: fs, color: TEXT }, animationDuration: 400 });
  const axisStyle = (fs) => ({ axisLabel: { fontSize: fs, color: TEXT }, axisLine: { lineStyle: { color: AXIS } }, splitLine: { lineStyle: { color: "#13304f" } } });

  function drawCharts(d) {
    const fs = Math.round(rem() * 0.75);
    chart("chart-trend").setOption({
      ...base(fs),
      grid: { left: fs * 2.6, right: fs, top: fs * 2.2, bottom: fs * 1.8 },
      legend: { top: 0, right: 0, textStyle: { fontSize: fs, color: TEXT }, itemHeight: fs * 0.8 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.trend.days, boundaryGap: false, ...axisStyle(fs) },
      yAxis: { type: "value", minInterval: 1, ...axisStyle(fs) },
      series: [
        { name: S.reported, type: "line", smooth: true, showSymbol: false, data: d.trend.reported, lineStyle: { width: 2, color: CYAN }, itemStyle: { color: CYAN }, areaStyle: { color: CYAN, opacity: 0.12 } },
        { name: S.closed, type: "line", smooth: true, showSymbol: false, data: d.trend.closed, lineStyle: { width: 2, color: GREEN }, itemStyle: { color: GREEN }, areaStyle: { color: GREEN, opacity: 0.08 } },
      ],
    });
    const cats = d.categories.slice().reverse(); // the largest on top
    chart("chart-categories").setOption({
      ...base(fs),
      grid: { left: 0, right: fs * 3, top: 0, bottom: 0, containLabel: true },
      tooltip: { trigger: "item", formatter: (p) => `${escapeHtml(p.name)}: ${p.value} ${S.cases}` },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", data: cats.map((c) => c.name), axisTick: { show: false }, ...axisStyle(fs), axisLabel: { fontSize: fs, color: TEXT, width: fs * 10, overflow: "truncate" } },
      series: [{ type: "bar", data: cats.map((c) => c.n), barMaxWidth: fs * 1.1, itemStyle: { color: "#2a8cff", borderRadius: [0, 3, 3, 0] }, label: { show: true, position: "right", fontSize: fs, color: TEXT } }],
    });
    const depts = d.departments.slice().reverse();
    chart("chart-departments").setOption({
      ...base(fs),
      grid: { left: 0, right: fs * 3.4, top: 0, bottom: 0, containLabel: true },
      tooltip: { trigger: "item", formatter: (p) => `${escapeHtml(p.name)}: ${p.data.rate === null ? "—" : p.data.rate + "%"}` },
      xAxis: { type: "value", max: 100, show: false },
      yAxis: { type: "category", data: depts.map((r) => r.name), axisTick: { show: false }, ...axisStyle(fs), axisLabel: { fontSize: fs, color: TEXT, width: fs * 10, overflow: "truncate" } },
      series: [{
        type: "bar", barMaxWidth: fs * 1.1,
        data: depts.map((r) => ({ value: r.rate ?? 0, rate: r.rate, itemStyle: { color: r.rate === null ? "#3a4a5e" : r.rate >= 90 ? GREEN : r.rate >= 75 ? "#e6b400" : RED } })),
        label: { show: true, position: "right", fontSize: fs, color: TEXT, formatter: (p) => (p.data.rate === null ? "—" : p.data.rate + "%") },
      }],
    });
    chart("chart-sources").setOption({
      ...base(fs),
      color: ["#4fd2ff", "#2a8cff", "#5fe08a", "#e6b400", "#b57bff"],
      tooltip: { trigger: "item", formatter: (p) => `${escapeHtml(p.name)}: ${p.value} ${S.cases} (${p.percent}%)` },
      legend: { orient: "vertical", right: 0, top: "middle", textStyle: { fontSize: fs, color: TEXT }, itemHeight: fs * 0.8, formatter: (name) => { const s = d.sources.find((x) => x.name === name); return `${name}  ${s ? s.n : 0}`; } },
      series: [{ type: "pie", radius: ["45%", "75%"], center: ["32%", "52%"], label: { show: false }, data: d.sources.map((s) => ({ name: s.name, value: s.n })) }],
    });
  }
  window.addEventListener("resize", () => {
    for (const c of Object.values(charts)) c.resize();
    if (last) drawCharts(last);
    for (const id of ["feed", "red-list", "on-duty"]) fit($(id));
  });

  // ------------------------------------------------------------------ lists
  // A list shows the rows that fit whole in its panel (a half row at the bottom reads as a fault).
  function fit(list) {
    const box = list.closest(".list").getBoundingClientRect();
    for (const row of list.children) row.hidden = false;
    for (const row of list.children) if (row.getBoundingClientRect().bottom > box.bottom + 1) row.hidden = true;
  }
  const stateWord = (s) => cfg.labels.states[s] || s;
  const lightClass = (item) => (cfg.final_states.includes(item.state) ? "final" : item.light || "");
  function feedRow(item) {
    return `<tr data-number="${escapeHtml(item.number)}" title="${escapeHtml(item.number)}">` +
      `<td class="t">${escapeHtml(item.time)}</td>` +
      `<td><span class="light ${lightClass(item)}"></span>${escapeHtml(item.category)}</td>` +
      `<td>${escapeHtml(item.place)}</td>` +
      `<td class="src">${escapeHtml(cfg.sources[item.source] || "")}</td>` +
      `<td class="s">${escapeHtml(stateWord(item.state))}</td></tr>`;
  }
  let feedItems = [];
  function drawFeed(fresh) {
    $("feed").innerHTML = feedItems.length ? feedItems.map(feedRow).join("") : `<tr><td class="empty">${escapeHtml(S.nothing)}</td></tr>`;
    fit($("feed"));
    if (fresh) { const row = $("feed").querySelector(`tr[data-number="${CSS.escape(fresh)}"]`); if (row) row.classList.add("fresh"); }
  }
  function feedFromEvent(message) {
    const c = message.case;
    const at = feedItems.findIndex((x) => x.number === c.number);
    if (message.action === "report" && at < 0) {
      feedItems.unshift({
        number: c.number,
        time: c.reported_at ? hhmm.format(new Date(c.reported_at)) : "",
        category: cfg.category_names[c.category] || c.category_name || c.category,
        // An address made from the area's names ends with the grid code in brackets: the wall shows names only.
        place: String(c.place || c.address || "").replace(/\s*\(\d{14,15}\)$/, ""),
        source: cfg.source_groups[c.source] || "",
        state: c.state,
        light: c.light || "",
      });
      feedItems = feedItems.slice(0, cfg.feed_size);
      drawFeed(c.number);
    } else if (at >= 0) {
      Object.assign(feedItems[at], { state: c.state, light: c.light || "" });
      drawFeed();
    }
  }
  function drawRed(red) {
    $("red-count").textContent = `${red.count} ${S.cases}`;
    $("red-list").innerHTML = red.cases.length
      ? red.cases.map((c) => `<tr title="${escapeHtml(c.number)}"><td><span class="light red"></span>${escapeHtml(c.category)}</td><td>${escapeHtml(c.place)}</td><td class="dept">${escapeHtml(c.department || c.state)}</td><td class="late">${escapeHtml(c.overdue)}</td></tr>`).join("")
      : `<tr><td class="empty">${escapeHtml(S.no_red)}</td></tr>`;
    fit($("red-list"));
  }
  let onDuty = new Map();
  function drawInspectors() {
    $("on-duty-count").textContent = String(onDuty.size);
    $("on-duty-count").style.color = "#4fd2ff";
    $("on-duty").innerHTML = onDuty.size
      ? [...onDuty.values()].map((p) => `<li>${escapeHtml(p.name)}${p.street ? `<span>${escapeHtml(p.street)}</span>` : ""}</li>`).join("")
      : `<li class="empty">${escapeHtml(S.nobody)}</li>`;
    fit($("on-duty"));
  }

  function render(d) {
    last = d;
    figures(d.today);
    drawCharts(d);
    feedItems = d.feed.slice();
    drawFeed();
    drawRed(d.red);
    onDuty = new Map(d.inspectors.people.map((p) => [p.username, p]));
    drawInspectors();
    root.dataset.lastId = String(d.last_id);
  }

  // ------------------------------------------------------------------ live
  async function fetchSummary() {
    const r = await fetch(cfg.summary_url, { credentials: "same-origin" });
    if (!r.ok) throw new Error("wall " + r.status);
    return r.json();
  }
  let inflight = false, again = false;
  async function refresh() {
    if (inflight) { again = true; return; }
    inflight = true;
    try { render(await fetchSummary()); } catch (e) { /* the next event or minute tries again */ } finally {
      inflight = false;
      if (again) { again = false; refresh(); }
    }
  }
  let timer = null, burstStart = 0;
  function refreshSoon() {
    const now = Date.now();
    if (!timer) burstStart = now;
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; refresh(); }, Math.max(0, Math.min(300, burstStart + 1200 - now)));
  }

  class WallBoard extends LiveBoard {
    async load() {
      const d = await fetchSummary();
      this.lastId = d.last_id;
      render(d);
    }
  }
  const board = new WallBoard({
    belongs: () => false, // the wall keeps no case list: the summary holds its figures
    onStatus: (s) => { $("offline").hidden = s !== "offline"; root.dataset.live = s; },
    onEvent: (message) => {
      if (message.kind === "inspector.position") {
        const p = message.inspector;
        if (!onDuty.has(p.username)) { onDuty.set(p.username, { username: p.username, name: p.username, street: "" }); drawInspectors(); }
        return;
      }
      feedFromEvent(message);
      countLive(message);
      refreshSoon();
    },
  });
  window.cityWall = { board, charts, refresh };

  const tick = () => { $("wall-clock").textContent = clockFormat.format(new Date()); };
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 60000); // time alone moves some figures: one small request a minute
  const start = () => board.start().catch(() => { $("offline").hidden = false; setTimeout(start, 5000); });
  start();
});
