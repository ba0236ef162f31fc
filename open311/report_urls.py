from django.urls import path

from . import pages

urlpatterns = [
    path("", pages.report, name="report"),
    path("<str:number>/", pages.status, name="report-status"),
]
