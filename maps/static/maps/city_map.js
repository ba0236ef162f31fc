// Fills and updates the layers of a folium map (by the names folium gave them): the grid, shaded
// by open cases; cases in chunks from the compact feed; inspectors; then live from /ws/board/.
"use strict";

(function () {
  const cfg = JSON.parse(document.getElementById("map-config").textContent);
  const N = cfg.names;
  const map = window[N.map];
  const layer = (name) => (name ? window[name] : null);
  const status = document.getElementById("map-status");
  const say = (text) => { if (status) status.textContent = text; };
  const colors = cfg.colors || {};
  // The workflow's final states and the city's time zone come from the server (dispatch.labels.client_table).
  const FINAL = cfg.workflow.final_states;
  const dayParts = new Intl.DateTimeFormat("en-US", { timeZone: cfg.workflow.time_zone, year: "numeric", month: "2-digit", day: "2-digit" });
  const cityDay = { // YYYY-MM-DD of a moment, in the city's time zone
    format: (d) => { const p = Object.fromEntries(dayParts.formatToParts(d).map((x) => [x.type, x.value])); return `${p.year}-${p.month}-${p.day}`; },
  };

  // ---------------------------------------------------------------- the grid, shaded
  const gridLayer = layer(N.grid);
  let cellFigures = {};
  let gridGeo = null;
  const shade = (feature) => {
    const f = cellFigures[feature.properties.code];
    if (!f) return { color: "#0b4f8a", weight: 0.6, fillOpacity: 0.02 };
    return { color: "#0b4f8a", weight: 0.6, fillColor: colors[f.worst] || "#888", fillOpacity: Math.min(0.15 + 0.1 * f.open, 0.6) };
  };
  async function loadGrid() {
    const [g, c] = await Promise.all([fetch(cfg.grid_url), cfg.cells_url ? fetch(cfg.cells_url) : null]);
    if (c && c.ok) cellFigures = await c.json();
    if (!g.ok) return;
    const data = await g.json();
    gridGeo = L.geoJSON(data, {
      renderer: L.canvas(),
      style: shade,
      onEachFeature: (f, l) => l.bindTooltip(() => {
        const fig = cellFigures[f.properties.code];
        return f.properties.community + " (" + f.properties.code + ")" + (fig ? ` · ${cfg.strings.open_cases} ${fig.open}` : "");
      }),
    }).addTo(gridLayer);
    map.getContainer().dataset.cells = String(data.features.length);
  }
  let shadeTimer = null;
  function reshadeSoon() {
    if (!cfg.cells_url) return;
    clearTimeout(shadeTimer);
    shadeTimer = setTimeout(async () => {
      const r = await fetch(cfg.cells_url);
      if (r.ok) { cellFigures = await r.json(); if (gridGeo) gridGeo.setStyle(shade); }
    }, 1000);
  }

  if (cfg.hot) { loadGrid(); return; } // the hot-spot map: grid and heat only

  // ---------------------------------------------------------------- cases
  const heat = layer(N.heat);
  // state → the clustered layer of its stage (folium's layer control shows them by name)
  const layerOf = {};
  for (const group of Object.values(N.case_layers || {})) for (const st of group.states) layerOf[st] = layer(group.name);
  const markers = new Map(); // number → circle marker
  const F = cfg.filter;
  const markerStyle = (state, light) => {
    const color = FINAL.includes(state) ? colors.closed : colors[light || ""] || colors[""];
    return { radius: 6, color: "#fff", weight: 1, fillColor: color, fillOpacity: 0.95 };
  };
  function popup(m) {
    const d = m.caseData;
    const category = (cfg.category_names || {})[d.category] || d.category_name || d.category;
    return `<strong>${d.number}</strong><br>${escapeHtml(category)}<br>${cfg.labels.states[d.state] || d.state}` +
      (d.address ? `<br>${escapeHtml(d.address)}` : "") +
      (d.due_at ? `<br>${cfg.strings.due} ${cityTime.format(new Date(d.due_at))}` : "") +
      `<br><a href="${cfg.case_url}#${d.number}" target="_blank">${cfg.strings.open}</a>`;
  }
  // Times in the city's zone, whatever the browser's.
  const cityTime = new Intl.DateTimeFormat(cfg.locale || undefined, { timeZone: cfg.workflow.time_zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  const escapeHtml = (t) => String(t).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
  function place(d) {
    let m = markers.get(d.number);
    const target = layerOf[d.state];
    if (!m) {
      m = L.circleMarker([d.lat, d.lng], markerStyle(d.state, d.light));
      m.bindPopup(() => popup(m));
      markers.set(d.number, m);
      m.caseData = d;
      m.home = target;
      return m;
    }
    m.caseData = Object.assign(m.caseData, d);
    m.setLatLng([d.lat, d.lng]);
    m.setStyle(markerStyle(d.state, d.light));
    if (m.home !== target) { m.home.removeLayer(m); target.addLayer(m); m.home = target; }
    return null;
  }
  function matches(c) {
    if (F.states.length && !F.states.includes(c.state)) return false;
    if (F.category && c.category !== F.category) return false;
    if (F.department && c.department !== F.department) return false;
    if (F.street && !(c.cell || "").startsWith(F.street)) return false;
    // The filter's dates are days in the city's time zone.
    const day = c.reported_at ? cityDay.format(new Date(c.reported_at)) : "";
    if (F.from && day && day < F.from) return false;
    if (F.to && day && day > F.to) return false;
    return c.lng !== null && c.lat !== null;
  }

  class MapBoard extends LiveBoard {
    async load() {
      for (const m of markers.values()) m.home.removeLayer(m);
      markers.clear();
      let url = cfg.cases_url, first = true, heatPoints = [];
      while (url) {
        const r = await fetch(url, { credentials: "same-origin" });
        if (!r.ok) throw new Error("cases " + r.status);
        const page = await r.json();
        if (first) { this.lastId = page.last_id; first = false; }
        const fresh = new Map();
        for (const [number, lng, lat, state, light, category] of page.rows) {
          const m = place({ number, lng, lat, state, light, category });
          if (m) {
            if (!fresh.has(m.home)) fresh.set(m.home, []);
            fresh.get(m.home).push(m);
          }
          heatPoints.push([lat, lng, 1]);
        }
        for (const [target, list] of fresh) target.addLayers(list);
        say(markers.size + " …");
        url = page.next;
      }
      if (heat) heat.setLatLngs(heatPoints);
      say(String(markers.size));
      map.getContainer().dataset.cases = String(markers.size);
      map.getContainer().dataset.loaded = "1";
    }
  }

  const inspectorsLayer = layer(N.inspectors);
  const dots = new Map();
  function moveInspector(p) {
    let dot = dots.get(p.username);
    if (!dot) {
      dot = L.circleMarker([p.lat, p.lng], { radius: 5, color: "#0b4f8a", fillColor: "#4aa3ff", fillOpacity: 1 })
        .bindTooltip(p.username).addTo(inspectorsLayer);
      dots.set(p.username, dot);
    } else dot.setLatLng([p.lat, p.lng]);
  }

  // The wall's figures around the map are maps/wall.js's (one summary, live from the board).
  const board = new MapBoard({
    belongs: () => true,
    onStatus: (s) => { const o = document.getElementById("offline"); if (o) o.hidden = s !== "offline"; },
    onEvent: (message) => {
      if (message.kind === "inspector.position") { moveInspector(message.inspector); return; }
      const c = message.case;
      const m = markers.get(c.number);
      if (matches(c)) {
        const fresh = place(c);
        if (fresh) fresh.home.addLayer(fresh);
      } else if (m) {
        m.home.removeLayer(m);
        markers.delete(c.number);
      }
      map.getContainer().dataset.cases = String(markers.size);
      say(String(markers.size));
      reshadeSoon();
    },
  });
  window.cityMap = { map, markers, board, dots };

  loadGrid();
  fetch(cfg.inspectors_url).then((r) => (r.ok ? r.json() : { inspectors: [] })).then((d) => d.inspectors.forEach(moveInspector));
  board.start().catch((e) => say(String(e)));
})();
