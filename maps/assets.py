"""folium loads Leaflet and its plugins from public CDNs; the maps must work with no internet.
Point every asset folium would load at our own static files (vendored from the npm registry:
leaflet 1.9.4, leaflet.markercluster 1.5.3, leaflet.heat 0.2.0), and drop the ones our maps do
not use (jQuery, Bootstrap, awesome-markers, Font Awesome)."""

import folium
from django.templatetags.static import static
from folium import plugins


def use_local_assets() -> None:
    """Idempotent and cheap: called before each map is built, so static URLs carry their hashes."""
    leaflet_js = [("leaflet", static("maps/vendor/leaflet/leaflet.js"))]
    leaflet_css = [("leaflet_css", static("maps/vendor/leaflet/leaflet.css"))]
    folium.Map.default_js = leaflet_js
    folium.Map.default_css = leaflet_css
    cluster_js = [("markerclusterjs", static("maps/vendor/markercluster/leaflet.markercluster.js"))]
    cluster_css = [
        ("markerclustercss", static("maps/vendor/markercluster/MarkerCluster.css")),
        ("markerclusterdefaultcss", static("maps/vendor/markercluster/MarkerCluster.Default.css")),
    ]
    for plugin in (plugins.MarkerCluster, plugins.FastMarkerCluster):
        plugin.default_js = cluster_js
        plugin.default_css = cluster_css
    plugins.HeatMap.default_js = [("leaflet-heat.js", static("maps/vendor/heat/leaflet-heat.js"))]
