from django.urls import path

from . import leave_views, report_views, views

app_name = "field"
urlpatterns = [
    path("reports/", report_views.report, name="report"),
    path("reports.<str:fmt>", report_views.report, name="report-export"),
    path("leave/", leave_views.leave_list, name="leave"),
    path("leave/<int:pk>/<str:decision>", leave_views.leave_decide, name="leave-decide"),
    path("cases/<str:number>/nearest-inspectors", views.case_nearest_inspectors, name="case-nearest-inspectors"),
]
