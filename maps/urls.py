from django.urls import path

from . import feeds, views

app_name = "maps"
urlpatterns = [
    path("", views.command_map, name="command"),
    path("wall/", views.wall, name="wall"),
    path("hotspots/", views.hotspots, name="hotspots"),
    path("api/grid.geojson", feeds.grid_geojson, name="grid-geojson"),
    path("api/cases.geojson", feeds.cases_geojson, name="cases-geojson"),
    path("api/cases.json", feeds.cases_compact, name="cases-compact"),
    path("api/cells.json", feeds.cells, name="cells"),
    path("api/today.json", feeds.today, name="today"),
    path("api/wall.json", feeds.wall_summary, name="wall-summary"),
    path("api/inspectors.json", feeds.inspectors, name="inspectors"),
]
