// The public report page: filter categories, place the problem by map click or geolocation.
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("map-config").textContent);
  const lat = document.getElementById("lat"), lng = document.getElementById("long");
  const where = document.getElementById("where");
  const map = L.map("report-map", { attributionControl: !!cfg.tiles });
  cityBaseMap(map, cfg); // maps/minimap.js: the city's tiles and coordinate system
  if (!cfg.extent) map.setView([36.545, 104.17], 14);
  let marker = null;
  function place(y, x) { // WGS-84, as stored; drawn in the base map's coordinates
    lat.value = y.toFixed(6);
    lng.value = x.toFixed(6);
    where.textContent = lat.value + ", " + lng.value;
    const at = CityCRS.latLng(x, y);
    if (marker) marker.setLatLng(at);
    else marker = L.circleMarker(at, { radius: 8, color: "#d93025", fillOpacity: 0.9 }).addTo(map);
  }
  if (lat.value && lng.value) place(+lat.value, +lng.value);
  map.on("click", (ev) => { const [x, y] = CityCRS.fromDisplay(ev.latlng.lng, ev.latlng.lat); place(y, x); });
  document.getElementById("locate").addEventListener("click", () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((p) => {
      place(p.coords.latitude, p.coords.longitude); // the browser's geolocation is WGS-84
      map.setView(CityCRS.latLng(p.coords.longitude, p.coords.latitude), 17);
    });
  });
  const search = document.getElementById("category-search"), select = document.getElementById("category");
  search.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    for (const option of select.querySelectorAll("option")) {
      option.hidden = q !== "" && !option.dataset.keys.toLowerCase().includes(q) && !option.textContent.toLowerCase().includes(q);
    }
  });
})();
