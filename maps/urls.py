from django.urls import path

from . import feeds, tiles, views

app_name = "maps"
urlpatterns = [
    path("", views.command_map, name="command"),
    path("wall/", views.wall, name="wall"),
    path("hotspots/", views.hotspots, name="hotspots"),
    path("tiles/<int:z>/<int:x>/<int:y>.png", tiles.tile, name="tile"),
    path("api/grid.geojson", feeds.grid_geojson, name="grid-geojson"),
    path("api/grid.json", feeds.grid_compact, name="grid-compact"),
    path("api/areas.geojson", feeds.areas, name="areas"),
    path("api/places.json", feeds.places, name="places"),
    path("api/cases.columns.json", feeds.cases_columns, name="cases-columns"),
    path("api/locate.json", feeds.locate, name="locate"),
    path("api/cases.geojson", feeds.cases_geojson, name="cases-geojson"),
    path("api/cases.json", feeds.cases_compact, name="cases-compact"),
    path("api/cells.json", feeds.cells, name="cells"),
    path("api/today.json", feeds.today, name="today"),
    path("api/wall.json", feeds.wall_summary, name="wall-summary"),
    path("api/inspectors.json", feeds.inspectors, name="inspectors"),
    path("api/track.json", feeds.track, name="track"),
]
