"""Departments 专业部门 and routing rules 自动分拨."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("专业部门")
        verbose_name_plural = _("专业部门")
        ordering = ["code"]

    def __str__(self):
        return self.name


class RoutingRule(models.Model):
    """Category (optionally within an area) → department.

    `area_code` is a prefix of grid codes (district 6, street 9, community 12 digits, or a cell):
    the rule whose prefix is longest wins, so a street-level rule overrides a city-wide one.
    """

    category = models.ForeignKey("city.Category", on_delete=models.CASCADE, related_name="routing_rules")
    area_code = models.CharField(
        _("区域编码前缀"), max_length=15, blank=True, default="", validators=[RegexValidator(r"^\d{0,15}$")]
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="routing_rules")

    class Meta:
        verbose_name = _("分拨规则")
        verbose_name_plural = _("分拨规则")
        constraints = [models.UniqueConstraint(fields=["category", "area_code"], name="one_rule_per_category_area")]

    def __str__(self):
        return f"{self.category} {self.area_code or '*'} → {self.department}"
