// The public report page: filter categories, place the problem by map click or geolocation.
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("map-config").textContent);
  const lat = document.getElementById("lat"), lng = document.getElementById("long");
  const where = document.getElementById("where");
  const map = L.map("report-map", { attributionControl: !!cfg.tiles });
  if (cfg.tiles) L.tileLayer(cfg.tiles, { attribution: cfg.attribution, maxZoom: 19 }).addTo(map);
  const e = cfg.extent;
  if (e) map.fitBounds([[e.min_lat, e.min_lng], [e.max_lat, e.max_lng]]);
  else map.setView([36.545, 104.17], 14);
  let marker = null;
  function place(y, x) {
    lat.value = y.toFixed(6);
    lng.value = x.toFixed(6);
    where.textContent = lat.value + ", " + lng.value;
    if (marker) marker.setLatLng([y, x]);
    else marker = L.circleMarker([y, x], { radius: 8, color: "#d93025", fillOpacity: 0.9 }).addTo(map);
  }
  if (lat.value && lng.value) place(+lat.value, +lng.value);
  map.on("click", (ev) => place(ev.latlng.lat, ev.latlng.lng));
  document.getElementById("locate").addEventListener("click", () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((p) => {
      place(p.coords.latitude, p.coords.longitude);
      map.setView([p.coords.latitude, p.coords.longitude], 17);
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
