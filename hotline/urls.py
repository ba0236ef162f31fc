from django.urls import path

from . import views

app_name = "hotline"
urlpatterns = [
    path("twilio/sms", views.sms_webhook, name="sms"),
    path("twilio/status", views.status_webhook, name="status"),
]
