from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("console/intake/", views.intake, name="intake"),
    path("console/places", views.places, name="places"),
    path("console/cases/<str:number>/duplicates", views.duplicates, name="duplicates"),
    path("console/<str:name>/", views.console, name="console"),
    path("console/<str:name>/snapshot", views.snapshot, name="snapshot"),
    path("console/<str:name>/counts", views.counts, name="counts"),
]
