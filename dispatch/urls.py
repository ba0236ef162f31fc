from django.urls import path

from . import case_pages, views

app_name = "dispatch"
urlpatterns = [
    path("console/intake/", views.intake, name="intake"),
    path("console/intake/earlier", views.earlier_cases, name="intake-earlier"),
    path("console/places", views.places, name="places"),
    path("console/cases/<str:number>/duplicates", views.duplicates, name="duplicates"),
    path("console/cases/<str:number>/decision", views.decision, name="decision"),
    path("console/<str:name>/", views.console, name="console"),
    path("console/<str:name>/snapshot", views.snapshot, name="snapshot"),
    path("console/<str:name>/counts", views.counts, name="counts"),
    path("console/<str:name>/clock", views.clock, name="clock"),
    path("console/<str:name>/batch", views.batch_action, name="batch"),
    path("cases/", case_pages.cases, name="cases"),
    path("cases/export.<str:fmt>", case_pages.cases_export, name="cases-export"),
    path("cases/print.pdf", case_pages.cases_pdf, name="cases-pdf"),
    path("cases/<str:number>/", case_pages.case_page, name="case"),
    path("cases/<str:number>/print/", case_pages.case_print, name="case-print"),
    path("cases/<str:number>/print.pdf", case_pages.case_pdf, name="case-pdf"),
]
