// A small Leaflet map on the grid (no internet needed: tiles only when the city configures them).
// Needs maps/crs.js: points are drawn in the base map's coordinates and clicks come back as WGS-84.
"use strict";

// The city's base map on any Leaflet map, from city.basemap.map_config(): tiles (its own service or
// the app's MBTiles), a labels layer, and the coordinate system points are drawn in.
function cityBaseMap(map, cfg) {
  if (window.CityCRS) CityCRS.use(cfg.crs);
  if (cfg.tiles) L.tileLayer(cfg.tiles, Object.assign({ attribution: cfg.attribution, maxZoom: 19 }, cfg.tile_options || {})).addTo(map);
  if (cfg.labels) L.tileLayer(cfg.labels.url, Object.assign({ maxZoom: 19 }, cfg.labels.options || {})).addTo(map);
  const e = cfg.extent;
  if (e) map.fitBounds([CityCRS.latLng(e.min_lng, e.min_lat), CityCRS.latLng(e.max_lng, e.max_lat)]);
  return map;
}

function cityMinimap(element, cfg, options) {
  options = options || {};
  const map = L.map(element, { preferCanvas: true, attributionControl: !!cfg.tiles });
  cityBaseMap(map, cfg);
  let url = cfg.grid_url;
  if (options.around) {
    const [lng, lat] = options.around, d = 0.004;
    url += "?bbox=" + [lng - d, lat - d, lng + d, lat + d].map((x) => x.toFixed(6)).join(",");
  }
  fetch(url, { credentials: "same-origin" }).then((r) => r.ok ? r.json() : null).then((data) => {
    if (!data) return;
    L.geoJSON(data, {
      coordsToLatLng: (c) => CityCRS.latLng(c[0], c[1]),
      style: { color: "#0b4f8a", weight: 1, fillOpacity: 0.04 },
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.code + " " + f.properties.community),
    }).addTo(map);
    element.dataset.cells = String(data.features.length);
  });
  let marker = null;
  const place = (lng, lat) => {
    const at = CityCRS.latLng(lng, lat);
    if (marker) marker.setLatLng(at);
    else marker = L.circleMarker(at, { radius: 7, color: "#d93025", fillOpacity: 0.9 }).addTo(map);
  };
  if (options.around) {
    place(...options.around);
    map.setView(CityCRS.latLng(options.around[0], options.around[1]), 17);
  }
  if (options.onClick) {
    map.on("click", (ev) => {
      const [lng, lat] = CityCRS.fromDisplay(ev.latlng.lng, ev.latlng.lat); // stored as WGS-84
      place(lng, lat);
      options.onClick(lng, lat);
    });
  }
  return { map, place };
}
