from django.urls import path

from . import views

app_name = "field"
urlpatterns = [
    path("cases/<str:number>/nearest-inspectors", views.case_nearest_inspectors, name="case-nearest-inspectors"),
]
