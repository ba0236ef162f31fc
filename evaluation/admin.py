"""考核参数 (one row, editable) and published monthly reports (read-only)."""

from django.contrib import admin

from citymgmt.readonly_admin import ReadOnlyAdmin

from .models import EvaluationSettings, PublishedReport


@admin.register(EvaluationSettings)
class EvaluationSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "department_weights", "updated_at")

    def has_add_permission(self, request):
        return not EvaluationSettings.objects.exists()  # one row: the settings in force


@admin.register(PublishedReport)
class PublishedReportAdmin(ReadOnlyAdmin):
    list_display = ("month", "published_at", "published_by")
