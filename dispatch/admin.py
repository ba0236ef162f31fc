"""Read-only views of cases and their log: state changes go through the workflow, not the admin."""

from django.contrib import admin

from citymgmt.readonly_admin import ReadOnlyAdmin

from .models import Case, CaseEvent, WorkflowSettings


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
    exclude = ["reporter_phone", "recording_url"]  # the recording plays on the case page, by role
    inlines = [CaseEventInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "action", "from_state", "to_state", "actor", "actor_role", "created_at"]
    list_filter = ["action", "kind"]
    search_fields = ["case__number"]
    list_select_related = ["case", "actor"]


@admin.register(WorkflowSettings)
class WorkflowSettingsAdmin(admin.ModelAdmin):
    """流程参数: one row, the settings in force."""

    list_display = ["__str__", "close_on_passed_check", "auto_urge_on_red", "escalate_after_hours", "updated_at"]

    def has_add_permission(self, request):
        return not WorkflowSettings.objects.exists()
