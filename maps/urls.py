from django.urls import path

from . import feeds

app_name = "maps"
urlpatterns = [
    path("api/grid.geojson", feeds.grid_geojson, name="grid-geojson"),
]
