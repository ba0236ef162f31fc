// Coordinates for display. We store WGS-84; a GCJ-02 base map (Gaode-style tiles, MAP_TILES_CRS=gcj02)
// is drawn a few hundred metres off, so everything drawn on it — cases, cells, boundaries, inspectors,
// tracks — goes through CityCRS.toDisplay, and a click on the map comes back through fromDisplay.
// The one JavaScript copy of the transform (the Python one is city/coords.py; tests compare them).
//
//   CityCRS.use("gcj02")                 set once per page from the server's config (map_config().crs)
//   CityCRS.toDisplay(lng, lat)    → [lng, lat] to draw
//   CityCRS.fromDisplay(lng, lat)  → [lng, lat] WGS-84 to store
//   CityCRS.latLng(lng, lat)       → L.latLng to draw (Leaflet's order: lat, lng)
"use strict";

(function (root) {
  const A = 6378245.0; // Krasovsky 1940, as the published transform uses
  const EE = 0.00669342162296594323;
  const PI = Math.PI;

  const outOfChina = (lng, lat) => !(lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);

  function tLat(x, y) {
    let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(y * PI) + 40.0 * Math.sin((y / 3.0) * PI)) * 2.0) / 3.0;
    r += ((160.0 * Math.sin((y / 12.0) * PI) + 320.0 * Math.sin((y * PI) / 30.0)) * 2.0) / 3.0;
    return r;
  }
  function tLng(x, y) {
    let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(x * PI) + 40.0 * Math.sin((x / 3.0) * PI)) * 2.0) / 3.0;
    r += ((150.0 * Math.sin((x / 12.0) * PI) + 300.0 * Math.sin((x / 30.0) * PI)) * 2.0) / 3.0;
    return r;
  }
  function offset(lng, lat) {
    let dlat = tLat(lng - 105.0, lat - 35.0);
    let dlng = tLng(lng - 105.0, lat - 35.0);
    const radlat = (lat / 180.0) * PI;
    const magic = 1 - EE * Math.sin(radlat) ** 2;
    const sqrtmagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / (((A * (1 - EE)) / (magic * sqrtmagic)) * PI);
    dlng = (dlng * 180.0) / ((A / sqrtmagic) * Math.cos(radlat) * PI);
    return [dlng, dlat];
  }
  function wgs84ToGcj02(lng, lat) {
    if (outOfChina(lng, lat)) return [lng, lat];
    const [dlng, dlat] = offset(lng, lat);
    return [lng + dlng, lat + dlat];
  }
  function gcj02ToWgs84(lng, lat) {
    // No closed form: iterate the forward transform until it lands on the point (~0.01 mm).
    if (outOfChina(lng, lat)) return [lng, lat];
    let [dlng, dlat] = offset(lng, lat);
    let wlng = lng - dlng, wlat = lat - dlat;
    for (let k = 0; k < 10; k++) {
      [dlng, dlat] = offset(wlng, wlat);
      const eLng = wlng + dlng - lng, eLat = wlat + dlat - lat;
      wlng -= eLng; wlat -= eLat;
      if (Math.abs(eLng) < 1e-10 && Math.abs(eLat) < 1e-10) break;
    }
    return [wlng, wlat];
  }

  const same = (lng, lat) => [lng, lat];
  const CityCRS = {
    mode: "wgs84",
    use(mode) {
      this.mode = mode === "gcj02" ? "gcj02" : "wgs84";
      this.toDisplay = this.mode === "gcj02" ? wgs84ToGcj02 : same;
      this.fromDisplay = this.mode === "gcj02" ? gcj02ToWgs84 : same;
      return this;
    },
    toDisplay: same,
    fromDisplay: same,
    latLng(lng, lat) { const [x, y] = this.toDisplay(lng, lat); return L.latLng(y, x); },
    // GeoJSON geometry (WGS-84) → the same geometry in display coordinates (a copy).
    geometry(g) {
      const move = (c) => (typeof c[0] === "number" ? this.toDisplay(c[0], c[1]) : c.map(move));
      return this.mode === "wgs84" ? g : { type: g.type, coordinates: move(g.coordinates) };
    },
    wgs84ToGcj02,
    gcj02ToWgs84,
  };
  // A page may also say it in its head: <meta name="map-crs" content="gcj02">.
  const meta = root.document && root.document.querySelector('meta[name="map-crs"]');
  CityCRS.use(meta ? meta.content : "wgs84");
  root.CityCRS = CityCRS;
})(window);
