from django.urls import path  # noqa: F401

app_name = "mobile_api"
urlpatterns: list = []
