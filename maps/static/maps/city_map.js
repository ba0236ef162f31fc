// Fills and updates a folium map (its layers found by the names folium gave them): the grid on a
// canvas, shaded by open cases; every case from one columnar request, clustered by supercluster and
// drawn on a canvas; streets, communities and places; inspectors; then live from /ws/board/.
// Everything drawn goes through CityCRS.toDisplay (a GCJ-02 base map shifts it; we store WGS-84).
"use strict";

(function () {
  const cfg = JSON.parse(document.getElementById("map-config").textContent);
  CityCRS.use(cfg.crs);
  const N = cfg.names;
  const map = window[N.map];
  const container = map.getContainer();
  const layer = (name) => (name ? window[name] : null);
  const status = document.getElementById("map-status");
  const say = (text) => { if (status) status.textContent = text; };
  const colors = cfg.colors || {};
  // When each step finished (ms since navigation): bench/maps.py --trace prints them.
  const timings = {};
  const mark = (name) => { timings[name] = Math.round(performance.now()); };
  mark("script");
  const escapeHtml = (t) => String(t).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);

  // ---------------------------------------------------------------- the grid, shaded
  const gridGroup = layer(N.grid);
  let grid = null;
  async function loadGrid() {
    const [g, c] = await Promise.all([fetch(cfg.grid_url), cfg.cells_url ? fetch(cfg.cells_url) : null]);
    const figures = c && c.ok ? await c.json() : {};
    if (!g.ok) return;
    const data = await g.json();
    mark("grid_fetched");
    grid = new CityCanvas.GridLayer(data, { colors });
    grid.figures = figures;
    mark("grid_built");
    gridGroup.addLayer(grid);
    mark("grid_drawn");
    container.dataset.cells = String(data.codes.length);
  }
  let shadeTimer = null;
  function reshadeSoon() {
    if (!cfg.cells_url) return;
    clearTimeout(shadeTimer);
    shadeTimer = setTimeout(async () => {
      const r = await fetch(cfg.cells_url);
      if (r.ok && grid) grid.setFigures(await r.json());
    }, 1000);
  }
  const cellTooltip = L.tooltip({ direction: "top", offset: [0, -4] });
  function cellTip(e, overCase) {
    if (overCase || !grid || !map.hasLayer(gridGroup) || map.getZoom() < 15) { map.closeTooltip(cellTooltip); return; }
    const i = grid.cellAt(e.latlng);
    if (i < 0) { map.closeTooltip(cellTooltip); return; }
    const code = grid.codes[i], fig = grid.figures[code];
    cellTooltip.setLatLng(e.latlng).setContent(escapeHtml(grid.community[i] + " (" + code + ")") + (fig ? ` · ${cfg.strings.open_cases} ${fig.open}` : ""));
    if (!map.hasLayer(cellTooltip)) map.openTooltip(cellTooltip);
  }

  // ---------------------------------------------------------------- streets, communities, places
  if (cfg.areas_url && N.areas) CityOverlays.areas(map, layer(N.areas), cfg.areas_url);
  if (cfg.places_url && N.places) CityOverlays.places(map, layer(N.places), cfg.places_url);

  const heat = layer(N.heat);
  if (cfg.hot) {
    // The hot-spot map: the server gives the heat points (WGS-84 [lat, lng, n]).
    if (heat && CityCRS.mode !== "wgs84") heat.setLatLngs(heat._latlngs.map(([lat, lng, n]) => { const p = CityCRS.latLng(lng, lat); return [p.lat, p.lng, n]; }));
    map.on("mousemove", (e) => cellTip(e, false));
    CityMapUI.install(map, cfg);
    loadGrid();
    return;
  }

  // ---------------------------------------------------------------- cases
  // The workflow's final states and the city's time zone come from the server (dispatch.labels.client_table).
  const FINAL = new Set(cfg.workflow.final_states);
  const RANK = { "": 0, green: 1, yellow: 2, red: 3 };
  const stageOf = {}; // state → its stage's switch (folium's layer control shows them by name)
  for (const group of Object.values(N.case_layers || {})) for (const st of group.states) stageOf[st] = layer(group.name);
  const stageGroups = new Set(Object.values(stageOf));

  // Every case as columns; `at` finds a case's row by number. Rows are never removed (`gone` instead).
  const store = {
    n: 0, number: [], lng: [], lat: [], dlng: [], dlat: [], state: [], light: [], category: [], gone: [], at: new Map(),
    // Every column of the store is an array: empty them all (the column names are the store's own).
    reset() { for (const k of Object.keys(this)) if (Array.isArray(this[k])) this[k] = []; this.n = 0; this.at = new Map(); },
    put(d) {
      let i = this.at.get(d.number);
      if (i === undefined) { i = this.n++; this.at.set(d.number, i); this.number[i] = d.number; }
      const [x, y] = CityCRS.toDisplay(d.lng, d.lat);
      this.lng[i] = d.lng; this.lat[i] = d.lat; this.dlng[i] = x; this.dlat[i] = y;
      this.state[i] = d.state; this.light[i] = d.light || ""; this.category[i] = d.category; this.gone[i] = false;
      return i;
    },
    visible(i) { return !this.gone[i] && map.hasLayer(stageOf[this.state[i]]); },
    rank(i) { return FINAL.has(this.state[i]) ? 0 : RANK[this.light[i]] || 0; },
    color(i) { return FINAL.has(this.state[i]) ? colors.closed : colors[this.light[i]] || colors[""]; },
    count() { let k = 0; for (let i = 0; i < this.n; i++) if (!this.gone[i]) k++; return k; },
  };

  map.createPane("cityCases").style.zIndex = 450; // above the grid and boundaries, below labels and popups
  const cases = new CityCanvas.CaseLayer(store, { colors, pane: "cityCases" }).addTo(map);
  let reindexTimer = null, lastIndex = 0;
  function reindexSoon() {
    // Live changes come in bursts: at most one rebuild a second (100,000 points take a few hundred ms).
    if (reindexTimer) return;
    const wait = Math.max(50, 1000 - (performance.now() - lastIndex));
    reindexTimer = setTimeout(() => { reindexTimer = null; lastIndex = performance.now(); cases.reindex(); }, wait);
  }
  map.on("layeradd layerremove", (e) => { if (stageGroups.has(e.layer)) reindexSoon(); });

  const cityTime = new Intl.DateTimeFormat(cfg.locale || undefined, { timeZone: cfg.workflow.time_zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  function popupHtml(d) {
    const category = (cfg.category_names || {})[d.category] || d.category;
    return `<strong>${escapeHtml(d.number)}</strong><br>${escapeHtml(category)}<br>${escapeHtml(cfg.labels.states[d.state] || d.state)}` +
      (d.address ? `<br>${escapeHtml(d.address)}` : "") +
      (d.due_at ? `<br>${cfg.strings.due} ${cityTime.format(new Date(d.due_at))}` : "") +
      `<br><a href="${cfg.case_url}#${encodeURIComponent(d.number)}" target="_blank">${cfg.strings.open}</a>`;
  }
  async function openCase(d) {
    const popup = L.popup().setLatLng(CityCRS.latLng(d.lng, d.lat)).setContent(popupHtml(d)).openOn(map);
    const r = await fetch(`${cfg.locate_url}?number=${encodeURIComponent(d.number)}`, { credentials: "same-origin" });
    if (r.ok && map.hasLayer(popup)) popup.setContent(popupHtml(Object.assign({}, d, await r.json())));
  }
  const rowOf = (i) => ({ number: store.number[i], lng: store.lng[i], lat: store.lat[i], state: store.state[i], light: store.light[i], category: store.category[i] });

  map.on("click", (e) => {
    const hit = cases.itemAt(e.containerPoint);
    if (!hit) return;
    if (hit.i !== undefined) openCase(rowOf(hit.i));
    else map.setView([hit.lat, hit.lng], Math.min(cases.index.getClusterExpansionZoom(hit.id), map.getMaxZoom()));
  });
  let moveFrame = null;
  map.on("mousemove", (e) => {
    if (moveFrame) return;
    moveFrame = requestAnimationFrame(() => {
      moveFrame = null;
      const over = !!cases.itemAt(e.containerPoint);
      container.style.cursor = over ? "pointer" : "";
      cellTip(e, over);
    });
  });

  async function locate(number) {
    number = number.toUpperCase();
    const i = store.at.get(number);
    let d = i !== undefined && !store.gone[i] ? rowOf(i) : null;
    let note = "";
    if (!d) {
      const r = await fetch(`${cfg.locate_url}?number=${encodeURIComponent(number)}`, { credentials: "same-origin" });
      if (!r.ok) return cfg.strings.not_found;
      d = await r.json();
      note = cfg.strings.not_in_filter;
    } else if (!store.visible(i)) note = cfg.strings.not_in_filter;
    map.setView(CityCRS.latLng(d.lng, d.lat), Math.max(map.getZoom(), 18), { animate: false });
    openCase(d);
    return note;
  }

  const F = cfg.filter;
  const cityDay = new Intl.DateTimeFormat("en-CA", { timeZone: cfg.workflow.time_zone, year: "numeric", month: "2-digit", day: "2-digit" });
  function matches(c) {
    if (F.states.length && !F.states.includes(c.state)) return false;
    if (F.category && c.category !== F.category) return false;
    if (F.department && c.department !== F.department) return false;
    if (F.street && !(c.cell || "").startsWith(F.street)) return false;
    // The filter's dates are days in the city's time zone (en-CA formats as YYYY-MM-DD).
    const day = c.reported_at ? cityDay.format(new Date(c.reported_at)) : "";
    if (F.from && day && day < F.from) return false;
    if (F.to && day && day > F.to) return false;
    return c.lng !== null && c.lat !== null && c.lng !== undefined;
  }
  const showCount = () => { const n = store.count(); container.dataset.cases = String(n); say(`${n} ${cfg.strings.cases}`); };

  class MapBoard extends LiveBoard {
    async load() {
      const r = await fetch(cfg.cases_url, { credentials: "same-origin" });
      if (!r.ok) throw new Error("cases " + r.status);
      const d = await r.json();
      mark("cases_fetched");
      this.lastId = d.last_id;
      store.reset();
      const k = 1 / d.scale, [ox, oy] = d.origin;
      for (let j = 0; j < d.count; j++) {
        store.put({ number: d.number[j], lng: ox + d.x[j] * k, lat: oy + d.y[j] * k, state: d.states[d.s[j]], light: d.lights[d.l[j]], category: d.categories[d.c[j]] });
      }
      mark("cases_stored");
      lastIndex = performance.now();
      cases.reindex();
      mark("cases_drawn");
      if (heat && map.hasLayer(heat)) fillHeat();
      showCount();
      container.dataset.loaded = "1";
    }
  }
  // The heat map is filled when switched on (100,000 points cost even while hidden).
  function fillHeat() {
    const pts = [];
    for (let i = 0; i < store.n; i++) if (!store.gone[i]) pts.push([store.dlat[i], store.dlng[i], 1]);
    heat.setLatLngs(pts);
  }
  if (heat) map.on("layeradd", (e) => { if (e.layer === heat) fillHeat(); });

  // Inspectors on duty, live: blue while their position is fresh, grey once it is older than the
  // server's stale limit (10 min); gone when they go off duty. Ages are counted on the server's clock.
  const inspectorsLayer = layer(N.inspectors);
  const dots = new Map();
  let serverOffset = 0, staleMs = 600000;
  const FRESH = { color: "#0b4f8a", fillColor: "#4aa3ff" }, STALE = { color: "#666", fillColor: "#aaa" };
  const isStale = (p) => Date.now() + serverOffset - Date.parse(p.recorded_at) > staleMs;
  function restyle(dot) {
    const stale = isStale(dot.position);
    dot.setStyle(stale ? STALE : FRESH);
    dot.getElement && dot.getElement() && dot.getElement().classList.toggle("stale", stale);
  }
  function moveInspector(p) {
    const at = CityCRS.latLng(p.lng, p.lat);
    let dot = dots.get(p.username);
    if (p.on_duty === false) {
      if (dot) { inspectorsLayer.removeLayer(dot); dots.delete(p.username); }
      map.getContainer().dataset.inspectors = String(dots.size);
      return;
    }
    if (!dot) {
      dot = L.circleMarker(at, { radius: 6, weight: 2, fillOpacity: 1, ...FRESH })
        .bindTooltip(p.username).addTo(inspectorsLayer);
      dots.set(p.username, dot);
    } else if (dot.position && Date.parse(dot.position.recorded_at) > Date.parse(p.recorded_at)) return; // an older one, late
    else dot.setLatLng(at);
    dot.position = p;
    restyle(dot);
    map.getContainer().dataset.inspectors = String(dots.size);
  }
  setInterval(() => dots.forEach(restyle), 30000);

  // The wall's figures around the map are maps/wall.js's (one summary, live from the board).
  const board = new MapBoard({
    belongs: () => true,
    onStatus: (s) => { const o = document.getElementById("offline"); if (o) o.hidden = s !== "offline"; },
    onEvent: (message) => {
      if (message.kind === "inspector.position") { moveInspector(message.inspector); return; }
      const c = message.case;
      if (matches(c)) store.put(c);
      else if (store.at.has(c.number)) store.gone[store.at.get(c.number)] = true;
      else return;
      cases.redraw(); // a point drawn on its own takes its new colour now; clusters when rebuilt
      reindexSoon();
      showCount();
      reshadeSoon();
    },
  });

  // Where a case was last drawn on its own (not in a cluster): {lat, lng, color}, display coordinates.
  function drawn(number) {
    const i = store.at.get(number);
    const d = i === undefined ? null : cases.drawn.find((x) => x.i === i);
    return d ? { lat: d.lat, lng: d.lng, color: store.color(i) } : null;
  }
  window.cityMap = { map, store, cases, board, dots, drawn, locate, timings, get grid() { return grid; } };

  CityMapUI.install(map, cfg, { onLocate: locate });
  loadGrid();
  fetch(cfg.inspectors_url).then((r) => (r.ok ? r.json() : { inspectors: [] })).then((d) => {
    if (d.now) serverOffset = Date.parse(d.now) - Date.now();
    if (d.stale_after_s) staleMs = d.stale_after_s * 1000;
    d.inspectors.forEach(moveInspector);
  });
  board.start().catch((e) => say(String(e)));
})();
