// A small Leaflet map on the grid (no internet needed: tiles only when the city configures them).
"use strict";

function cityMinimap(element, cfg, options) {
  options = options || {};
  const map = L.map(element, { preferCanvas: true, attributionControl: !!cfg.tiles });
  if (cfg.tiles) L.tileLayer(cfg.tiles, { attribution: cfg.attribution, maxZoom: 19 }).addTo(map);
  const e = cfg.extent;
  if (e) map.fitBounds([[e.min_lat, e.min_lng], [e.max_lat, e.max_lng]]);
  let url = cfg.grid_url;
  if (options.around) {
    const [lng, lat] = options.around, d = 0.004;
    url += "?bbox=" + [lng - d, lat - d, lng + d, lat + d].map((x) => x.toFixed(6)).join(",");
  }
  fetch(url, { credentials: "same-origin" }).then((r) => r.ok ? r.json() : null).then((data) => {
    if (!data) return;
    L.geoJSON(data, {
      style: { color: "#0b4f8a", weight: 1, fillOpacity: 0.04 },
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.code + " " + f.properties.community),
    }).addTo(map);
    element.dataset.cells = String(data.features.length);
  });
  let marker = null;
  const place = (lng, lat) => {
    if (marker) marker.setLatLng([lat, lng]);
    else marker = L.circleMarker([lat, lng], { radius: 7, color: "#d93025", fillOpacity: 0.9 }).addTo(map);
  };
  if (options.around) {
    place(...options.around);
    map.setView([options.around[1], options.around[0]], 17);
  }
  if (options.onClick) {
    map.on("click", (ev) => { place(ev.latlng.lng, ev.latlng.lat); options.onClick(ev.latlng.lng, ev.latlng.lat); });
  }
  return { map, place };
}
