"""流程参数: the city's workflow settings an admin edits (one row), read by the workflow, the
deadline clocks and the worker. Nothing here is a constant in code."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_fallback_limits() -> dict:
    """Used when a category has no limit for a stage: the common defaults of city tables."""
    return {
        "register": [30, "minutes"],
        "dispatch": [30, "minutes"],
        "verify": [60, "minutes"],
        "check": [60, "minutes"],
        "handle": [1, "work_days"],
        "send_check": [30, "minutes"],
        "close": [30, "minutes"],
    }


class WorkflowSettings(models.Model):
    """One row: the settings in force (an unsaved default row when the table is empty)."""

    close_on_passed_check = models.BooleanField(
        _("核查通过即结案"), default=False, help_text=_("关闭时，核查通过的案卷进入“待结案”，由值班长结案。")
    )
    auto_urge_on_red = models.BooleanField(_("红灯自动催办"), default=True)
    escalate_after_hours = models.PositiveIntegerField(
        _("红灯持续多少工作时后自动督办"), default=4, help_text=_("0 表示不自动督办。")
    )
    supervision_reply_hours = models.PositiveIntegerField(
        _("督办回复时限 (工作时)"), default=4, validators=[MinValueValidator(1)]
    )
    leader_sms_number = models.CharField(
        _("自动督办短信通知号码"), max_length=32, blank=True, help_text=_("留空则不发短信。")
    )
    yellow_share = models.PositiveSmallIntegerField(
        _("黄灯比例 (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    max_postpones = models.PositiveSmallIntegerField(_("每个案卷最多延期次数"), default=2)
    fallback_limits = models.JSONField(_("缺省时限 {阶段: [时限, 单位]}"), default=default_fallback_limits)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("流程参数")
        verbose_name_plural = _("流程参数")

    def __str__(self):
        return str(self._meta.verbose_name)

    def save(self, *args, **kwargs):
        from citymgmt import softcache

        super().save(*args, **kwargs)
        softcache.delete(self.CACHE_KEY)  # also on rollback-free paths: the admin, tests, shells

    def delete(self, *args, **kwargs):
        from citymgmt import softcache

        result = super().delete(*args, **kwargs)
        softcache.delete(self.CACHE_KEY)
        return result

    CACHE_KEY = "dispatch:workflow-settings"

    @classmethod
    def current(cls) -> "WorkflowSettings":
        """The settings in force: read on every action, so kept in the cache until they change."""
        from citymgmt import softcache

        return softcache.get_or_build(cls.CACHE_KEY, lambda: cls.objects.order_by("id").first() or cls(), 300)

    def fallback_limit(self, stage: str) -> tuple[int, str]:
        found = (self.fallback_limits or {}).get(stage) or default_fallback_limits().get(stage) or [30, "minutes"]
        return int(found[0]), str(found[1])
