"""Read-only views of cases and their log: state changes go through the workflow, not the admin."""

from django.contrib import admin

from .models import Case, CaseEvent, EvaluationSettings, PublishedReport


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["id", "created_at", "action", "from_state", "to_state", "actor", "actor_role", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "category", "state", "light", "department", "urgency", "source", "reported_at"]
    list_filter = ["state", "light", "source", "urgency", "department"]
    search_fields = ["number", "description", "address"]
    list_select_related = ["category", "department"]
    exclude = ["reporter_phone"]
    inlines = [CaseEventInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "action", "from_state", "to_state", "actor", "actor_role", "created_at"]
    list_filter = ["action", "kind"]
    search_fields = ["case__number"]
    list_select_related = ["case", "actor"]


@admin.register(EvaluationSettings)
class EvaluationSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "department_weights", "updated_at")

    def has_add_permission(self, request):
        return not EvaluationSettings.objects.exists()  # one row: the settings in force


@admin.register(PublishedReport)
class PublishedReportAdmin(ReadOnlyAdmin):
    list_display = ("month", "published_at", "published_by")
