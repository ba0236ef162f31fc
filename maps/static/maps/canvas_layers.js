// Two Leaflet layers that draw on one <canvas> each instead of one Leaflet object per item: the
// grid's cells (20,000 polygons) and the cases (100,000 points, clustered with supercluster).
// Both redraw on moveend/zoomend; hit-testing is theirs (map events), the canvas takes no pointer.
"use strict";

(function () {
  const PAD = 0.25; // the canvas reaches this share of the view beyond each edge: a short pan shows no blank

  const CanvasLayer = L.Layer.extend({
    onAdd(map) {
      this._canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide city-canvas");
      this._canvas.style.pointerEvents = "none";
      this.getPane().appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this.redraw, this);
      this.redraw();
    },
    onRemove(map) {
      map.off("moveend zoomend resize viewreset", this.redraw, this);
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
    },
    redraw() {
      if (!this._map || !this._canvas) return;
      const map = this._map, size = map.getSize();
      const pad = size.multiplyBy(PAD).round();
      const topLeft = map.containerPointToLayerPoint(pad.multiplyBy(-1));
      const w = size.x + 2 * pad.x, h = size.y + 2 * pad.y, ratio = window.devicePixelRatio || 1;
      const c = this._canvas;
      if (c.width !== Math.round(w * ratio) || c.height !== Math.round(h * ratio)) {
        c.width = Math.round(w * ratio); c.height = Math.round(h * ratio);
        c.style.width = w + "px"; c.style.height = h + "px";
      }
      L.DomUtil.setPosition(c, topLeft);
      const ctx = c.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      // Canvas pixel = layer point − topLeft; layer point = world pixel at this zoom − pixel origin.
      const origin = map.getPixelOrigin().add(topLeft);
      const bounds = L.latLngBounds(map.containerPointToLatLng(pad.multiplyBy(-1)), map.containerPointToLatLng(size.add(pad)));
      this._origin = origin;
      this.draw(ctx, { origin, zoom: map.getZoom(), scale: 2 ** map.getZoom(), bounds, w, h });
    },
  });

  // ------------------------------------------------------------------------------ the grid
  // data: the compact feed (city.outlines.compact_cells): rings as delta-encoded 1e-6 degrees.
  const GridLayer = CanvasLayer.extend({
    initialize(data, options) {
      L.setOptions(this, options);
      this.figures = {};
      const ox = data.origin[0], oy = data.origin[1], k = 1 / data.scale;
      const n = data.codes.length;
      this.codes = data.codes;
      this.community = data.community.map((c) => data.communities[c]);
      // Every vertex projected once to world pixels at zoom 0 (display coordinates); a redraw scales them.
      this.rings = []; // per cell: [Float64Array of x0,y0,x1,y1,…]
      this.box = new Float64Array(4 * n); // per cell: minx, miny, maxx, maxy at zoom 0
      const crs = L.CRS.EPSG3857;
      for (let i = 0; i < n; i++) {
        const rings = [];
        let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        for (const flat of data.rings[i]) {
          const out = new Float64Array(flat.length);
          let ix = 0, iy = 0;
          for (let j = 0; j < flat.length; j += 2) {
            ix = j ? ix + flat[j] : flat[j]; iy = j ? iy + flat[j + 1] : flat[j + 1];
            const [lng, lat] = CityCRS.toDisplay(ox + ix * k, oy + iy * k);
            const p = crs.latLngToPoint(L.latLng(lat, lng), 0);
            out[j] = p.x; out[j + 1] = p.y;
            if (p.x < x0) x0 = p.x; if (p.x > x1) x1 = p.x; if (p.y < y0) y0 = p.y; if (p.y > y1) y1 = p.y;
          }
          rings.push(out);
        }
        this.rings.push(rings);
        this.box.set([x0, y0, x1, y1], 4 * i);
      }
    },
    setFigures(figures) { this.figures = figures || {}; this.redraw(); },
    style(code) {
      const f = this.figures[code];
      if (!f) return null;
      return { color: (this.options.colors || {})[f.worst] || "#888", alpha: Math.min(0.15 + 0.1 * f.open, 0.6) };
    },
    draw(ctx, v) {
      const s = v.scale, ox = v.origin.x, oy = v.origin.y;
      const minX = ox / s, minY = oy / s, maxX = (ox + v.w) / s, maxY = (oy + v.h) / s;
      const groups = new Map(); // fill style → cells
      const all = [];
      for (let i = 0; i < this.rings.length; i++) {
        const b = 4 * i;
        if (this.box[b + 2] < minX || this.box[b] > maxX || this.box[b + 3] < minY || this.box[b + 1] > maxY) continue;
        all.push(i);
        const st = this.style(this.codes[i]);
        if (st) {
          const key = st.color + "|" + st.alpha.toFixed(2);
          if (!groups.has(key)) groups.set(key, []);
          groups.get(key).push(i);
        }
      }
      // Many short paths: one path of 20,000 rings costs Skia seconds to scan-convert, chunks do not.
      const CHUNK = 400;
      const paint = (cells, finish) => {
        for (let a = 0; a < cells.length; a += CHUNK) {
          ctx.beginPath();
          for (const i of cells.slice(a, a + CHUNK)) for (const r of this.rings[i]) {
            ctx.moveTo(r[0] * s - ox, r[1] * s - oy);
            for (let j = 2; j < r.length; j += 2) ctx.lineTo(r[j] * s - ox, r[j + 1] * s - oy);
            ctx.closePath();
          }
          finish();
        }
      };
      for (const [key, cells] of groups) {
        const [color, alpha] = key.split("|");
        ctx.globalAlpha = Number(alpha); ctx.fillStyle = color;
        paint(cells, () => ctx.fill("evenodd"));
      }
      // Outlines only where a cell is big enough on screen to read (~6 px); further out the street and
      // community boundaries give the shape and the shading the figures.
      if (all.length && (this.box[4 * all[0] + 2] - this.box[4 * all[0]]) * s >= 6) {
        ctx.globalAlpha = v.zoom >= 16 ? 0.8 : v.zoom >= 15 ? 0.55 : 0.3;
        ctx.strokeStyle = "#0b4f8a"; ctx.lineWidth = v.zoom >= 16 ? 0.8 : 0.5;
        paint(all, () => ctx.stroke());
      }
      ctx.globalAlpha = 1;
      this.drawnCells = all.length;
    },
    // The cell under a map point (display coordinates), or -1.
    cellAt(latlng) {
      const p = L.CRS.EPSG3857.latLngToPoint(latlng, 0);
      for (let i = 0; i < this.rings.length; i++) {
        const b = 4 * i;
        if (p.x < this.box[b] || p.x > this.box[b + 2] || p.y < this.box[b + 1] || p.y > this.box[b + 3]) continue;
        let inside = false;
        for (const r of this.rings[i]) {
          for (let j = 0, k = r.length - 2; j < r.length; k = j, j += 2) {
            if ((r[j + 1] > p.y) !== (r[k + 1] > p.y) && p.x < ((r[k] - r[j]) * (p.y - r[j + 1])) / (r[k + 1] - r[j + 1]) + r[j]) inside = !inside;
          }
        }
        if (inside) return i;
      }
      return -1;
    },
  });

  // ------------------------------------------------------------------------------ the cases
  // store: {n, number[], dlng[], dlat[], rank(i), color(i), visible(i)}; clusters by supercluster.
  const RANK_COLORS = ["closed", "green", "yellow", "red"];
  const CaseLayer = CanvasLayer.extend({
    initialize(store, options) {
      L.setOptions(this, options);
      this.store = store;
      this.index = null;
      this.drawn = []; // what the last redraw drew: {x, y, r, lat, lng, count, id?, i?}
    },
    // Rebuild the clusters from the store (after a load, a live change or a stage switched).
    reindex() {
      const st = this.store, features = [];
      for (let i = 0; i < st.n; i++) {
        if (!st.visible(i)) continue;
        features.push({ type: "Feature", properties: { i, w: st.rank(i) }, geometry: { type: "Point", coordinates: [st.dlng[i], st.dlat[i]] } });
      }
      this.index = new Supercluster({
        radius: 60, maxZoom: 17, minPoints: 3,
        map: (p) => ({ w: p.w }),
        reduce: (a, b) => { if (b.w > a.w) a.w = b.w; },
      }).load(features);
      this.indexed = features.length;
      this.redraw();
    },
    draw(ctx, v) {
      this.drawn = [];
      if (!this.index) return;
      const b = v.bounds, map = this._map, colors = this.options.colors || {};
      const items = this.index.getClusters([Math.max(b.getWest(), -180), Math.max(b.getSouth(), -85), Math.min(b.getEast(), 180), Math.min(b.getNorth(), 85)], Math.round(v.zoom));
      let shown = 0;
      ctx.lineWidth = 1.5; ctx.strokeStyle = "#fff";
      ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.font = "600 12px system-ui, sans-serif";
      for (const f of items) {
        const [lng, lat] = f.geometry.coordinates;
        const p = map.project(L.latLng(lat, lng), v.zoom).subtract(v.origin);
        const pr = f.properties;
        if (pr.cluster) {
          const r = Math.min(12 + 4 * Math.log10(pr.point_count) * 2, 30);
          ctx.globalAlpha = 0.85; ctx.fillStyle = colors[RANK_COLORS[pr.w]] || colors[""];
          ctx.beginPath(); ctx.arc(p.x, p.y, r, 0, 2 * Math.PI); ctx.fill(); ctx.globalAlpha = 1; ctx.stroke();
          ctx.fillStyle = pr.w === 2 ? "#222" : "#fff";
          ctx.fillText(pr.point_count_abbreviated, p.x, p.y);
          this.drawn.push({ x: p.x, y: p.y, r, lat, lng, count: pr.point_count, id: pr.cluster_id });
          shown += pr.point_count;
        } else {
          ctx.fillStyle = this.store.color(pr.i);
          ctx.beginPath(); ctx.arc(p.x, p.y, 6, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
          this.drawn.push({ x: p.x, y: p.y, r: 7, lat, lng, count: 1, i: pr.i });
          shown += 1;
        }
      }
      this.shown = shown;
      if (this.options.onDraw) this.options.onDraw(this);
    },
    // The drawn item at a container point, if any.
    itemAt(containerPoint) {
      if (!this._origin) return null;
      const p = this._map.containerPointToLayerPoint(containerPoint).add(this._map.getPixelOrigin()).subtract(this._origin);
      for (let k = this.drawn.length - 1; k >= 0; k--) {
        const d = this.drawn[k];
        if ((d.x - p.x) ** 2 + (d.y - p.y) ** 2 <= (d.r + 2) ** 2) return d;
      }
      return null;
    },
  });

  window.CityCanvas = { GridLayer, CaseLayer };
})();
