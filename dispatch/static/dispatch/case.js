// The case page's small map: the case's point on the city's grid (maps/minimap.js).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("case-map");
  if (!box || typeof cityMinimap !== "function") return;
  const config = JSON.parse(document.getElementById("map-config").textContent);
  cityMinimap(box, config, { around: [parseFloat(box.dataset.lng), parseFloat(box.dataset.lat)] });
});
