// 轨迹回放 on the command map: pick an inspector and a day, the trail drawn in time order, a time
// slider moving a marker along it, and the case actions (reports, checks…) made that day.
"use strict";

(function () {
  const form = document.getElementById("replay");
  if (!form) return;
  const cfg = JSON.parse(document.getElementById("map-config").textContent);
  const R = cfg.replay;
  const map = window[cfg.names.map];
  const slider = document.getElementById("replay-slider");
  const timeOut = document.getElementById("replay-time");
  const status = document.getElementById("replay-status");
  const play = document.getElementById("replay-play");
  const clear = document.getElementById("replay-clear");
  const submit = form.querySelector("button[type=submit]");
  const clock = new Intl.DateTimeFormat(cfg.locale || undefined, { timeZone: cfg.workflow.time_zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  const escapeHtml = (t) => String(t).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
  const state = { layer: L.layerGroup().addTo(map), points: [], times: [], done: null, marker: null, timer: null };

  function reset() {
    clearInterval(state.timer);
    state.timer = null;
    state.layer.clearLayers();
    state.points = []; state.times = []; state.marker = null; state.done = null;
    slider.max = 0; slider.value = 0; slider.disabled = true; play.disabled = true; clear.disabled = true;
    timeOut.textContent = "";
  }

  function show(i) {
    if (!state.points.length) return;
    i = Math.max(0, Math.min(i, state.points.length - 1));
    state.marker.setLatLng(state.points[i]);
    state.done.setLatLngs(state.points.slice(0, i + 1));
    timeOut.textContent = clock.format(state.times[i]);
    form.dataset.index = String(i);
  }

  async function load(event) {
    event.preventDefault();
    reset();
    submit.disabled = true; // one click, one load
    try {
      const q = new URLSearchParams({ inspector: form.inspector.value, date: form.date.value });
      const r = await fetch(R.track_url + "?" + q, { credentials: "same-origin" });
      const body = await r.json();
      if (!r.ok) { status.textContent = (body.error && body.error.message) || String(r.status); return; }
      const features = body.track.features;
      state.points = features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]]);
      state.times = features.map((f) => new Date(f.properties.recorded_at));
      for (const a of body.actions) {
        const label = (cfg.labels.actions[a.action] || a.action) + " " + a.number + " " + clock.format(new Date(a.at));
        L.circleMarker([a.lat, a.lng], { radius: 7, color: "#fff", weight: 2, fillColor: "#e8710a", fillOpacity: 1 })
          .bindTooltip(escapeHtml(label)).addTo(state.layer);
      }
      form.dataset.actions = String(body.actions.length);
      form.dataset.points = String(state.points.length);
      if (!state.points.length) { status.textContent = R.strings.none; return; }
      L.polyline(state.points, { color: "#8aa4bf", weight: 3, opacity: 0.8 }).addTo(state.layer);
      state.done = L.polyline([], { color: "#0b4f8a", weight: 4 }).addTo(state.layer);
      state.marker = L.circleMarker(state.points[0], { radius: 8, color: "#fff", weight: 2, fillColor: "#0b4f8a", fillOpacity: 1 }).addTo(state.layer);
      map.fitBounds(L.latLngBounds(state.points).pad(0.2));
      slider.max = String(state.points.length - 1);
      slider.disabled = false; play.disabled = false; clear.disabled = false;
      status.textContent = state.points.length + " " + R.strings.points;
      show(0);
    } catch (e) {
      status.textContent = String(e);
    } finally {
      submit.disabled = false;
    }
  }

  form.addEventListener("submit", load);
  slider.addEventListener("input", () => show(+slider.value));
  play.addEventListener("click", () => {
    if (state.timer) { clearInterval(state.timer); state.timer = null; return; }
    if (+slider.value >= state.points.length - 1) slider.value = 0;
    state.timer = setInterval(() => {
      const next = +slider.value + 1;
      if (next >= state.points.length) { clearInterval(state.timer); state.timer = null; return; }
      slider.value = String(next);
      show(next);
    }, 200);
  });
  clear.addEventListener("click", () => { reset(); status.textContent = ""; });
  window.trackReplay = { state, show };
})();
