"""Evaluation settings 考核参数 (weights and bands an admin may change) and published monthly
reports, which keep the settings that were in force when they were published."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_weights() -> dict:
    # The last three are the levers' items (issue 15): 0 leaves the standard's score as it is.
    return {
        "volume": 10,
        "closure": 30,
        "on_time_handling": 30,
        "no_rework": 30,
        "not_urged": 0,
        "supervision_on_time": 0,
        "satisfaction": 0,
    }


def default_inspector_weights() -> dict:
    # On duty 在岗率 and coverage 巡查覆盖率 (issue 16): 0 leaves the standard's score as it is.
    return {
        "valid_reports": 40,
        "no_missed_reports": 20,
        "on_time_verify": 20,
        "on_time_check": 20,
        "on_duty": 0,
        "coverage": 0,
    }


def default_shift_leader_weights() -> dict:
    return {"on_time_registration": 25, "accurate_registration": 40, "on_time_closure": 35}


def default_dispatcher_weights() -> dict:
    return {"volume": 20, "on_time_dispatch": 40, "accurate_dispatch": 40}


def default_dispatcher_volume_bands() -> list:
    """[at least this many dispatches, score]: more work scores higher."""
    return [[0, 40], [20, 60], [50, 75], [100, 90], [200, 100]]


def default_volume_bands() -> list:
    return [[50, 100], [100, 90], [200, 75], [500, 60], [1000, 40], [None, 20]]


def default_grade_bands() -> list:
    return [[90, "A"], [75, "B"], [60, "C"], [40, "D"], [0, "E"]]


class EvaluationSettings(models.Model):
    """One row: the settings in force. Weights are percentages of the department score."""

    department_weights = models.JSONField(_("部门评价权重 (%)"), default=default_weights)
    volume_bands = models.JSONField(_("案件量得分档 [上限, 得分]"), default=default_volume_bands)
    grade_bands = models.JSONField(_("等级档 [最低分, 等级]"), default=default_grade_bands)
    inspector_weights = models.JSONField(_("监督员评价权重 (%)"), default=default_inspector_weights)
    shift_leader_weights = models.JSONField(_("值班长评价权重 (%)"), default=default_shift_leader_weights)
    dispatcher_weights = models.JSONField(_("派遣员评价权重 (%)"), default=default_dispatcher_weights)
    dispatcher_volume_bands = models.JSONField(
        _("派遣员工作量得分档 [至少派遣数, 得分]"), default=default_dispatcher_volume_bands
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        db_table = "dispatch_evaluationsettings"  # created when evaluation lived in dispatch
        verbose_name = _("考核参数")
        verbose_name_plural = _("考核参数")

    def __str__(self):
        return str(self._meta.verbose_name)

    def as_dict(self) -> dict:
        return {
            "department_weights": {**default_weights(), **(self.department_weights or {})},
            "volume_bands": self.volume_bands,
            "grade_bands": self.grade_bands,
            "inspector_weights": {**default_inspector_weights(), **(self.inspector_weights or {})},
            "shift_leader_weights": {**default_shift_leader_weights(), **(self.shift_leader_weights or {})},
            "dispatcher_weights": {**default_dispatcher_weights(), **(self.dispatcher_weights or {})},
            "dispatcher_volume_bands": self.dispatcher_volume_bands or default_dispatcher_volume_bands(),
        }

    @classmethod
    def current(cls) -> "EvaluationSettings":
        return cls.objects.order_by("id").first() or cls()


class PublishedReport(models.Model):
    """A month's figures as published: reproducible later even if the settings change."""

    month = models.DateField(_("月份"), unique=True)
    settings_used = models.JSONField(_("发布时的考核参数"))
    figures = models.JSONField(_("数据"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, verbose_name=_("发布人")
    )

    class Meta:
        db_table = "dispatch_publishedreport"
        verbose_name = _("月度考核报告")
        verbose_name_plural = _("月度考核报告")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}"
