from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.ranking, name="index"),
    path("report/", views.monthly_report, name="report"),
    path("report/publish", views.publish, name="publish"),
    path("<str:table>/", views.ranking, name="ranking"),
    path("<str:table>.<str:fmt>", views.export, name="export"),
    path("<str:kind>/<str:code>/", views.drilldown, name="drilldown"),
]
