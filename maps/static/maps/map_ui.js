// The map's controls around the data: a metric scale bar, the legend as a Leaflet control (so it
// stacks with the others instead of covering them), a full-screen button, a "locate case by number"
// box, and each person's layer choices and view remembered in this browser.
"use strict";

(function () {
  const strings = (cfg) => cfg.strings || {};

  // The folium legend (.map-legend) moved into a bottom-left control, above the scale bar.
  function legendControl(map) {
    const legend = map.getContainer().parentNode.querySelector(".map-legend") || document.querySelector(".map-legend");
    if (!legend) return null;
    const Control = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd() { const box = L.DomUtil.create("div", "leaflet-control map-legend-control"); box.appendChild(legend); return box; },
    });
    return new Control().addTo(map);
  }

  function fullScreenControl(map, cfg) {
    const frame = map.getContainer().closest(".map-frame") || map.getContainer();
    const Control = L.Control.extend({
      options: { position: "topleft" },
      onAdd() {
        const bar = L.DomUtil.create("div", "leaflet-bar leaflet-control");
        const a = L.DomUtil.create("a", "map-fullscreen", bar);
        a.href = "#"; a.setAttribute("role", "button");
        const label = () => {
          const on = document.fullscreenElement === frame;
          a.title = on ? strings(cfg).exit_full_screen : strings(cfg).full_screen;
          a.setAttribute("aria-label", a.title);
          a.textContent = on ? "⤡" : "⤢";
          a.setAttribute("aria-pressed", on ? "true" : "false");
        };
        label();
        L.DomEvent.on(a, "click", (e) => {
          L.DomEvent.preventDefault(e);
          if (document.fullscreenElement) document.exitFullscreen();
          else if (frame.requestFullscreen) frame.requestFullscreen();
        });
        L.DomEvent.disableClickPropagation(bar);
        document.addEventListener("fullscreenchange", () => { label(); map.invalidateSize(); });
        return bar;
      },
    });
    return new Control().addTo(map);
  }

  // onLocate(number) → Promise of a message to show ("" when found).
  function locateControl(map, cfg, onLocate) {
    const Control = L.Control.extend({
      options: { position: "topleft" },
      onAdd() {
        const form = L.DomUtil.create("form", "leaflet-control map-locate");
        form.innerHTML = '<input type="search" name="number" autocomplete="off"><button type="submit"></button><span class="map-locate-message" role="status"></span>';
        const input = form.querySelector("input"), button = form.querySelector("button"), message = form.querySelector("span");
        input.placeholder = strings(cfg).locate_placeholder; input.setAttribute("aria-label", strings(cfg).locate_placeholder);
        button.textContent = strings(cfg).locate;
        L.DomEvent.disableClickPropagation(form);
        L.DomEvent.disableScrollPropagation(form);
        form.addEventListener("submit", async (e) => {
          e.preventDefault();
          const number = input.value.trim();
          if (!number || button.disabled) return;
          button.disabled = true; // one click does one thing
          try { message.textContent = await onLocate(number); } finally { button.disabled = false; }
        });
        return form;
      },
    });
    return new Control().addTo(map);
  }

  // The view and the overlays switched on, per person and page (cfg.remember_key).
  function remember(map, cfg, overlays) {
    const key = cfg.remember_key;
    if (!key || !window.localStorage) return { restored: false };
    let saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    let restored = false;
    if (saved && saved.overlays) {
      for (const [name, on] of Object.entries(saved.overlays)) {
        const layer = overlays[name] && window[overlays[name]];
        if (!layer) continue;
        if (on && !map.hasLayer(layer)) map.addLayer(layer);
        if (!on && map.hasLayer(layer)) map.removeLayer(layer);
      }
    }
    if (saved && saved.center && Number.isFinite(saved.zoom)) {
      map.setView(saved.center, saved.zoom, { animate: false });
      restored = true;
    }
    let timer = null;
    const save = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const state = { center: [map.getCenter().lat, map.getCenter().lng], zoom: map.getZoom(), overlays: {} };
        for (const [name, jsName] of Object.entries(overlays)) if (window[jsName]) state.overlays[name] = map.hasLayer(window[jsName]);
        try { localStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* private mode: not remembered */ }
      }, 300);
    };
    map.on("moveend overlayadd overlayremove", save);
    return { restored };
  }

  function install(map, cfg, { onLocate } = {}) {
    // Metric only: a city's staff read metres (folium's default bar shows feet and miles too).
    L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
    legendControl(map);
    fullScreenControl(map, cfg);
    if (onLocate) locateControl(map, cfg, onLocate);
    return remember(map, cfg, (cfg.names && cfg.names.overlays) || {});
  }

  window.CityMapUI = { install };
})();
