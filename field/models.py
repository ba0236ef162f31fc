"""Inspectors on the street (巡查): their patrol trails; attendance and coverage build on these."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from city.models import WorkPeriod


class PositionSample(models.Model):
    """A point of an inspector's patrol trail (巡查轨迹), sampled: one per half minute or so."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="position_samples")
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    accuracy = models.FloatField(_("精度 (米)"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("定位时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        db_table = "mobile_api_positionsample"  # created when positions lived in the API app
        verbose_name = _("巡查轨迹点")
        verbose_name_plural = _("巡查轨迹点")
        indexes = [models.Index(fields=["user", "recorded_at"], name="mobile_api__user_id_85d489_idx")]

    def __str__(self):
        return f"{self.user} {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class Shift(models.Model):
    """A shift of an inspector's own schedule (排班), by weekday. An inspector with no shifts works
    the city's working calendar (its working days and work periods); one with shifts works them on
    those weekdays, holidays included (field teams patrol on rest days too)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("监督员")
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=WorkPeriod._meta.get_field("weekday").choices)
    start = models.TimeField(_("上班"))
    end = models.TimeField(_("下班"))

    class Meta:
        verbose_name = _("排班")
        verbose_name_plural = _("排班")
        ordering = ["user", "weekday", "start"]

    def __str__(self):
        return f"{self.user} {self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValidationError(_("开始时间必须早于结束时间。"))


class ClockEvent(models.Model):
    """考勤打卡: an inspector's clock in (上班打卡) or clock out (下班打卡), where and when."""

    class Action(models.TextChoices):
        CLOCK_IN = "clock_in", _("上班打卡")
        CLOCK_OUT = "clock_out", _("下班打卡")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clock_events", verbose_name=_("监督员")
    )
    action = models.CharField(_("打卡"), max_length=16, choices=Action.choices)
    at = models.DateTimeField(_("打卡时间"))
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    cell_code = models.CharField(_("所在网格"), max_length=15, blank=True)

    class Meta:
        verbose_name = _("考勤打卡")
        verbose_name_plural = _("考勤打卡")
        ordering = ["user", "at"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self):
        return f"{self.user} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class LeaveRequest(models.Model):
    """请假: a span an inspector is excused from their schedule once a supervisor approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leave_requests", verbose_name=_("监督员")
    )
    start = models.DateTimeField(_("开始"))
    end = models.DateTimeField(_("结束"))
    reason = models.CharField(_("事由"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    # The handset's Idempotency-Key: a double submit (or a retry) of one form files one request.
    client_key = models.CharField(_("请求标识"), max_length=100, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("请假")
        verbose_name_plural = _("请假")
        ordering = ["-start"]
        indexes = [models.Index(fields=["user", "start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_key"], condition=~models.Q(client_key=""), name="leave_client_key_once"
            )
        ]

    def __str__(self):
        return f"{self.user} {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValidationError(_("开始时间必须早于结束时间。"))
