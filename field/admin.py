"""The admin: inspectors' schedules (排班), leave requests approved by a supervisor (请假审批),
clock events (read-only: they are the record)."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citymgmt.errors import WrongState
from citymgmt.readonly_admin import ReadOnlyAdmin

from . import leave
from .models import ClockEvent, LeaveRequest, Shift


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ("user", "weekday", "start", "end")
    list_filter = ("weekday",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)


@admin.register(ClockEvent)
class ClockEventAdmin(ReadOnlyAdmin):
    list_display = ("user", "action", "at", "cell_code")
    list_filter = ("action",)
    search_fields = ("user__username",)
    date_hierarchy = "at"


def decide(request, queryset, approve: bool) -> int:
    """Approving or rejecting leave is a supervisor's decision (值班长), once per request: the same
    rule as the page /field/leave/ (`field.leave.decide`). Requests already decided are skipped."""
    if not leave.may_decide(request.user):
        return 0
    now, n = timezone.now(), 0
    for pk in queryset.filter(status=LeaveRequest.Status.PENDING).values_list("pk", flat=True):
        try:
            leave.decide(pk, approve, request.user, now)
        except WrongState:  # decided on the page meanwhile
            continue
        n += 1
    return n


@admin.register(LeaveRequest)
class LeaveRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "start", "end", "reason", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("user__username", "reason")
    raw_id_fields = ("user",)
    readonly_fields = ("status", "decided_by", "decided_at")
    actions = ["approve", "reject"]

    @admin.action(description=gettext_lazy("批准所选请假"))
    def approve(self, request, queryset):
        self._report(request, decide(request, queryset, True))

    @admin.action(description=gettext_lazy("驳回所选请假"))
    def reject(self, request, queryset):
        self._report(request, decide(request, queryset, False))

    def _report(self, request, n):
        if not leave.may_decide(request.user):
            self.message_user(request, _("只有值班长可以审批请假。"), messages.ERROR)
        else:
            self.message_user(request, _("已审批 %(n)d 条待审批的请假。") % {"n": n})
