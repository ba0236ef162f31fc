from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .views import auth, cases, field, leave, page, positions, reference

app_name = "mobile_api"
urlpatterns = [
    path("api/v1/auth/token", auth.TokenView.as_view(), name="token"),
    path("api/v1/me", auth.MeView.as_view(), name="me"),
    path("api/v1/categories", reference.CategoriesView.as_view(), name="categories"),
    path("api/v1/grid/locate", reference.LocateView.as_view(), name="locate"),
    path("api/v1/cases", cases.CaseListView.as_view(), name="cases"),
    path("api/v1/cases/<str:number>", cases.CaseDetailView.as_view(), name="case"),
    path("api/v1/cases/<str:number>/actions/<str:action>", cases.CaseActionView.as_view(), name="case-action"),
    path("api/v1/tasks", cases.TasksView.as_view(), name="tasks"),
    path("api/v1/photos/<int:pk>", cases.PhotoView.as_view(), name="photo"),
    path("api/v1/photos/<int:pk>/thumbnail", cases.PhotoView.as_view(thumbnail=True), name="photo-thumbnail"),
    path("api/v1/positions", positions.PositionsView.as_view(), name="positions"),
    path("api/v1/attendance", field.AttendanceView.as_view(), name="attendance"),
    path("api/v1/leave", leave.LeaveView.as_view(), name="leave"),
    path("api/v1/inspectors/<str:username>/track", field.TrackView.as_view(), name="inspector-track"),
    path("api/v1/inspectors/<str:username>/coverage", field.CoverageView.as_view(), name="inspector-coverage"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="mobile_api:schema"), name="docs"),
    path("m/", page.handset, name="handset"),
    path("m/sw.js", page.service_worker, name="handset-sw"),
    path("m/manifest.webmanifest", page.manifest, name="handset-manifest"),
]
