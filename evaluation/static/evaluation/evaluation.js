// Sortable ranking table (click a header) and the monthly trend as an inline SVG line chart.
"use strict";
(function () {
  const table = document.getElementById("ranking");
  if (table) {
    table.querySelectorAll("thead th").forEach((th, col) => th.addEventListener("click", () => {
      const rows = [...table.tBodies[0].rows];
      const dir = th.dataset.dir === "desc" ? 1 : -1;
      th.dataset.dir = dir === 1 ? "asc" : "desc";
      const value = (r) => { const t = r.cells[col].textContent.trim(); const n = parseFloat(t); return isNaN(n) ? t : n; };
      rows.sort((a, b) => { const x = value(a), y = value(b); return (x > y ? 1 : x < y ? -1 : 0) * dir; });
      table.tBodies[0].append(...rows);
    }));
  }
  const data = document.getElementById("trend-data");
  if (!data) return;
  const { labels, series } = JSON.parse(data.textContent);
  const W = 900, H = 260, P = 36, colors = ["#0b4f8a", "#d93025", "#2e9d4b", "#e6b400", "#7b3fa0", "#00838f", "#8a4b08"];
  const x = (i) => P + (i * (W - 2 * P)) / Math.max(1, labels.length - 1);
  const y = (v) => H - P - (v / 100) * (H - 2 * P);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H + 20 * Object.keys(series).length}`);
  const add = (tag, attrs, text) => { const n = document.createElementNS(ns, tag); for (const k in attrs) n.setAttribute(k, attrs[k]); if (text) n.textContent = text; svg.append(n); };
  [0, 50, 100].forEach((v) => { add("line", { x1: P, x2: W - P, y1: y(v), y2: y(v), stroke: "#ddd" }); add("text", { x: 4, y: y(v) + 4, "font-size": 11 }, String(v)); });
  labels.forEach((l, i) => add("text", { x: x(i) - 18, y: H - 12, "font-size": 11 }, l));
  Object.entries(series).forEach(([name, values], k) => {
    const color = colors[k % colors.length];
    const points = values.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`)).filter(Boolean).join(" ");
    add("polyline", { points, fill: "none", stroke: color, "stroke-width": 2 });
    add("text", { x: P, y: H + 16 + 20 * k, fill: color, "font-size": 12 }, name);
  });
  document.getElementById("trend").append(svg);
})();
