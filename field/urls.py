from django.urls import path

from . import report_views

app_name = "field"
urlpatterns = [
    path("reports/", report_views.report, name="report"),
    path("reports.<str:fmt>", report_views.report, name="report-export"),
]
