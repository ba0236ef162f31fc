from django.urls import re_path

from . import views

F = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(r"^discovery" + F, views.discovery),
    re_path(r"^services" + F, views.services),
    # Some clients send the singular `service/{code}`.
    re_path(r"^services?/(?P<code>[^/]{1,40})" + F, views.service_definition),
    re_path(r"^requests" + F, views.requests_),
    re_path(r"^requests/(?P<number>[^/]{1,40})" + F, views.one_request),
    re_path(r"^tokens/(?P<value>[^/]{1,40})" + F, views.token),
    re_path(r"^servicerequestupdates" + F, views.updates),
    re_path(r"^(?P<rest>.*)\.(?P<fmt>[^./]{1,10})$", views.unknown),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]
