"""The city's working calendar: work periods per weekday and day overrides (holidays, 调休)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkPeriod(models.Model):
    """One work period of a weekday, e.g. Monday 08:30–12:00."""

    weekday = models.PositiveSmallIntegerField(
        _("星期"),
        choices=[
            (0, _("周一")),
            (1, _("周二")),
            (2, _("周三")),
            (3, _("周四")),
            (4, _("周五")),
            (5, _("周六")),
            (6, _("周日")),
        ],
    )
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    class Meta:
        verbose_name = _("工作时段")
        verbose_name_plural = _("工作时段")
        ordering = ["weekday", "start"]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self):
        if self.start >= self.end:
            raise ValidationError(_("开始时间必须早于结束时间。"))


class CalendarDay(models.Model):
    """A day whose status overrides the weekly pattern and the chinese-calendar package:
    statutory holidays (法定节假日) and make-up working days (调休) for years the package
    does not know yet, or a city's own closures."""

    date = models.DateField(_("日期"), unique=True)
    is_working = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'工作日' if self.is_working else '休息日'} {self.note}"
