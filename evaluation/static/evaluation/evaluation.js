// Sortable ranking table (click a header) and the monthly trend chart (ECharts, vendored in maps/static).
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
  // The monthly scores with ECharts: the five best departments (by their latest score, chosen by
  // the server) in colour, the others thin and grey until hovered (their line or legend name).
  const { labels, series, top } = JSON.parse(data.textContent);
  const palette = ["#0b4f8a", "#d93025", "#2e9d4b", "#e6b400", "#7b3fa0", "#00838f", "#8a4b08", "#c2185b", "#5d7a1f", "#3f51b5", "#ef6c00", "#455a64"];
  const GREY = "#c3c9d1";
  const chart = echarts.init(document.getElementById("trend"), null, { renderer: "canvas" });
  // The highlighted first (legend and tooltip read best to worst), then the rest.
  const names = [...top, ...Object.keys(series).filter((n) => !top.includes(n))];
  chart.setOption({
    tooltip: { trigger: "axis", order: "valueDesc" },
    legend: { bottom: 0 },
    grid: { left: 40, right: 20, top: 20, bottom: 80 },
    xAxis: { type: "category", data: labels, boundaryGap: false },
    yAxis: { type: "value", min: 0, max: 100 },
    series: names.map((name, k) => {
      const color = palette[k % palette.length];
      const highlighted = top.includes(name);
      return {
        name, type: "line", data: series[name], connectNulls: false,
        z: highlighted ? 3 : 2,
        symbol: highlighted ? "circle" : "none",
        lineStyle: { width: highlighted ? 2.5 : 1, color: highlighted ? color : GREY },
        itemStyle: { color: highlighted ? color : GREY },
        emphasis: { focus: "series", lineStyle: { width: 3, color }, itemStyle: { color } },
      };
    }),
  });
  window.addEventListener("resize", () => chart.resize());
  window.evaluationTrend = chart;
})();
