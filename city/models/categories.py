"""Case categories: components 部件 and events 事件 (管理事项), with their time limits."""

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    class Kind(models.TextChoices):
        COMPONENT = "component", _("部件")
        EVENT = "event", _("事件")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    # 4-digit scheme (CJ/T 214): 2 major + 2 minor; 5-digit (GB/T 47678.5): 2 major + 3 minor.
    major_code = models.CharField(_("大类代码"), max_length=2, validators=[RegexValidator(r"^\d{2}$")])
    minor_code = models.CharField(_("小类代码"), max_length=3, validators=[RegexValidator(r"^\d{2,3}$")])
    code = models.CharField(_("代码"), max_length=5, editable=False)
    major_name = models.CharField(_("大类名称"), max_length=100)
    major_name_en = models.CharField(_("大类英文名称"), max_length=100, blank=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    default_department = models.ForeignKey(
        "city.Department", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("默认处置部门")
    )
    auto_dispatch = models.BooleanField(_("立案后自动派遣"), default=False)
    duplicate_radius_m = models.PositiveIntegerField(_("重复判定半径 (米)"), default=50)
    duplicate_window_hours = models.PositiveIntegerField(_("重复判定时间窗 (小时)"), default=72)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("案件类别")
        verbose_name_plural = _("案件类别")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="unique_category_code_per_kind")]

    def __str__(self):
        return f"{self.full_code} {self.name}"

    def save(self, *args, **kwargs):
        self.code = f"{self.major_code}{self.minor_code}"
        super().save(*args, **kwargs)

    @property
    def kind_letter(self) -> str:
        return "C" if self.kind == self.Kind.COMPONENT else "E"

    @property
    def full_code(self) -> str:
        """What people and handsets use: kind letter + code, e.g. `E0102` or `C0101`."""
        return f"{self.kind_letter}{self.code}"

    @property
    def display_name(self) -> str:
        """The name in the interface's language (English where the table has one)."""
        from django.utils.translation import get_language

        english = (get_language() or "").startswith("en")
        return self.name_en if english and self.name_en else self.name


class TimeLimit(models.Model):
    """处置时限: how long one stage of a case may take, for one urgency."""

    class Stage(models.TextChoices):
        REGISTER = "register", _("立案")
        DISPATCH = "dispatch", _("派遣")
        HANDLE = "handle", _("处置")
        VERIFY = "verify", _("核实")
        CHECK = "check", _("核查")
        SEND_CHECK = "send_check", _("派核查")
        CLOSE = "close", _("结案")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("一般")
        URGENT = "urgent", _("紧急")

    class Unit(models.TextChoices):
        MINUTES = "minutes", _("分钟 (自然时)")
        WORK_HOURS = "work_hours", _("工作时")
        WORK_DAYS = "work_days", _("工作日")

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="time_limits")
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices)
    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    amount = models.PositiveIntegerField(_("时限"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("单位"), max_length=16, choices=Unit.choices)

    class Meta:
        verbose_name = _("处置时限")
        verbose_name_plural = _("处置时限")
        constraints = [
            models.UniqueConstraint(fields=["category", "stage", "urgency"], name="one_limit_per_stage_urgency")
        ]

    def __str__(self):
        return f"{self.category.full_code} {self.stage}/{self.urgency}: {self.amount} {self.unit}"
