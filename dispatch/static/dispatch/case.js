// The case page's small map: the case's point on the city's grid (maps/minimap.js), and for a
// report made by an inspector their trail 30 minutes either side of it (for those allowed to see
// trails). Built once the page has its final layout, so Leaflet measures the right box.
(function () {
  async function drawTrail(map, trail, box) {
    const from = new Date(trail.from), to = new Date(trail.to);
    const points = [];
    for (const url of trail.urls) {
      const r = await fetch(url, { credentials: "same-origin" });
      if (!r.ok) return; // not allowed to see trails: the point alone
      for (const f of (await r.json()).track.features) {
        const at = new Date(f.properties.recorded_at);
        if (at >= from && at <= to) points.push([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
      }
    }
    box.dataset.trailPoints = String(points.length);
    if (!points.length) return;
    L.polyline(points, { color: "#0b4f8a", weight: 3, opacity: 0.8 }).addTo(map);
    L.circleMarker(points[0], { radius: 4, color: "#0b4f8a", fillOpacity: 1 }).addTo(map);
  }

  function init() {
    const box = document.getElementById("case-map");
    if (!box || typeof cityMinimap !== "function") return;
    const config = JSON.parse(document.getElementById("map-config").textContent);
    const mini = cityMinimap(box, config, { around: [parseFloat(box.dataset.lng), parseFloat(box.dataset.lat)] });
    if (config.trail) drawTrail(mini.map, config.trail, box).catch(() => {});
  }
  if (document.readyState === "complete") init();
  else window.addEventListener("load", init);
})();
