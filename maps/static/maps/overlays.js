// The city's own data as map overlays, so the map reads as a city even with no base map: streets
// and communities as named boundaries (maps:areas), the gazetteer's places as labels at high zoom
// (maps:places). Drawn in display coordinates (CityCRS).
"use strict";

(function () {
  // Street names at city zooms, community names closer in (not both: they would sit on each other).
  const STREET_LABELS = [12, 15], COMMUNITY_LABELS = [15, 99], PLACE_LABELS = [16, 99];

  const label = (text, latlng, cls) =>
    L.marker(latlng, { interactive: false, keyboard: false, icon: L.divIcon({ className: "map-label " + cls, html: "<span></span>", iconSize: null }) })
      .on("add", function () { this.getElement().firstChild.textContent = text; });

  // Labels shown only from a zoom on, and only those in view (a city has thousands of places).
  function zoomedLabels(map, group, items, [from, to]) {
    const shown = L.layerGroup();
    const update = () => {
      shown.clearLayers();
      if (!map.hasLayer(group) || map.getZoom() < from || map.getZoom() >= to) return;
      const view = map.getBounds().pad(0.2);
      for (const it of items) if (view.contains(it.latlng)) shown.addLayer(it.marker || (it.marker = label(it.text, it.latlng, it.cls)));
    };
    group.addLayer(shown);
    map.on("moveend zoomend overlayadd", update);
    update();
    return update;
  }

  async function areas(map, group, url) {
    const r = await fetch(url, { credentials: "same-origin" });
    if (!r.ok) return;
    const data = await r.json();
    const streets = [], communities = [];
    const boundaries = L.geoJSON(
      { type: "FeatureCollection", features: data.features.map((f) => ({ ...f, geometry: CityCRS.geometry(f.geometry) })) },
      {
        interactive: false,
        style: (f) => f.properties.level === "street"
          ? { color: "#5b2a86", weight: 2.5, opacity: 0.8, fill: false, dashArray: "8 4" }
          : { color: "#2f6f4f", weight: 1.5, opacity: 0.7, fill: false },
        onEachFeature: (f) => {
          const [lng, lat] = f.properties.label;
          (f.properties.level === "street" ? streets : communities).push({ text: f.properties.name, latlng: CityCRS.latLng(lng, lat), cls: "map-label-" + f.properties.level });
        },
      },
    );
    group.addLayer(boundaries);
    zoomedLabels(map, group, streets, STREET_LABELS);
    zoomedLabels(map, group, communities, COMMUNITY_LABELS);
    map.getContainer().dataset.areas = String(data.features.length);
  }

  async function places(map, group, url) {
    const r = await fetch(url, { credentials: "same-origin" });
    if (!r.ok) return;
    const data = await r.json();
    const items = data.places.map(([name, kind, lng, lat]) => ({ text: name, latlng: CityCRS.latLng(lng, lat), cls: "map-label-place map-label-" + kind }));
    zoomedLabels(map, group, items, PLACE_LABELS);
    map.getContainer().dataset.places = String(items.length);
  }

  window.CityOverlays = { areas, places };
})();
