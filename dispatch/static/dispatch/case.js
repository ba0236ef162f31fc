// The case page's small map: the case's point on the city's grid (maps/minimap.js). Built once the
// page has its final layout, so Leaflet measures the right box.
(function () {
  function init() {
    const box = document.getElementById("case-map");
    if (!box || typeof cityMinimap !== "function") return;
    const config = JSON.parse(document.getElementById("map-config").textContent);
    cityMinimap(box, config, { around: [parseFloat(box.dataset.lng), parseFloat(box.dataset.lat)] });
  }
  if (document.readyState === "complete") init();
  else window.addEventListener("load", init);
})();
