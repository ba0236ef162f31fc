from django.urls import path

from . import callback_pages, recording_pages, views

app_name = "hotline"
urlpatterns = [
    path("callbacks/", callback_pages.worklist, name="callbacks"),
    path("recordings/<str:number>", recording_pages.recording, name="recording"),
    path("twilio/sms", views.sms_webhook, name="sms"),
    path("twilio/status", views.status_webhook, name="status"),
    path("twilio/voice", views.voice_webhook, name="voice"),
    path("twilio/voice/menu", views.voice_menu, name="voice-menu"),
    path("twilio/voice/speech", views.voice_speech, name="voice-speech"),
    path("twilio/voice/recorded", views.voice_recorded, name="voice-recorded"),
    path("twilio/voice/recording", views.voice_recording, name="voice-recording"),
    path("twilio/voice/status", views.voice_status, name="voice-status"),
]
