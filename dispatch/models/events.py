"""The case event log 流转记录: append-only; the timeline, the audit trail and the live stream."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("case events are never updated")

    def delete(self):
        raise AppendOnlyError("case events are never deleted")


class CaseEvent(models.Model):
    class Kind(models.TextChoices):
        REPORTED = "case.reported", _("新案卷")
        UPDATED = "case.updated", _("案卷变更")
        WARNING = "case.warning", _("警示灯变化")

    # The id is global and increasing in commit order (events are written under one lock, see
    # dispatch.services): boards resume from the last id they saw.
    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey("dispatch.Case", on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    action = models.CharField(_("动作"), max_length=32)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("操作人")
    )
    actor_role = models.CharField(_("角色"), max_length=20)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    note = models.TextField(_("意见"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    # The case as this event showed it to its audience when it was written (dispatch.broadcast's
    # case_summary): a board that replays the log gets what it would have got live, never the case
    # as it is now (a department that returned a case must not see where it went next).
    summary = models.JSONField(_("案卷摘要"), default=dict, blank=True, editable=False)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["id"]
        indexes = [models.Index(fields=["case", "id"]), models.Index(fields=["action", "created_at"])]

    def __str__(self):
        return f"#{self.id} {self.action} {self.from_state}→{self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("case events are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("case events are never deleted")


class CaseEventAudience(models.Model):
    """Which websocket group an event went to: lets a reconnecting board or handset replay exactly
    the events it would have received live (a department only its own)."""

    event = models.ForeignKey(CaseEvent, on_delete=models.PROTECT, related_name="audiences")
    group = models.CharField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["group", "event"])]
        constraints = [models.UniqueConstraint(fields=["event", "group"], name="one_audience_row")]

    def __str__(self):
        return f"{self.event_id}→{self.group}"
