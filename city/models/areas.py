"""Area hierarchy: district 区 → street 街道 → community 社区 → unit grid cell 单元网格.

Codes follow CJ/T 213 / GB/T 30428.1: 6-digit county code, then 3 digits street, 3 digits
community, 2 digits cell (14 digits; Beijing's 3-digit cells give 15). A child's code starts with
its parent's, so the code alone carries the hierarchy.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    code = models.CharField(_("区县代码"), max_length=6, unique=True, validators=[RegexValidator(r"^\d{6}$")])
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = _("区")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Street(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets", verbose_name=_("区"))
    code = models.CharField(_("街道代码"), max_length=9, unique=True, validators=[RegexValidator(r"^\d{9}$")])
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Community(models.Model):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("街道"))
    code = models.CharField(_("社区代码"), max_length=12, unique=True, validators=[RegexValidator(r"^\d{12}$")])
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class GridCell(models.Model):
    """单元网格: about 10,000 m². The polygon is GeoJSON in WGS-84 (lng, lat)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="cells", verbose_name=_("社区"))
    code = models.CharField(_("网格编码"), max_length=15, unique=True, validators=[RegexValidator(r"^\d{14,15}$")])
    geometry = models.JSONField(_("边界 (GeoJSON)"))
    area_m2 = models.FloatField(_("面积 (平方米)"))
    # Bounding box and centre, derived from the polygon on import: map feeds filter on them.
    min_lng = models.FloatField()
    min_lat = models.FloatField()
    max_lng = models.FloatField()
    max_lat = models.FloatField()
    center_lng = models.FloatField()
    center_lat = models.FloatField()

    class Meta:
        verbose_name = _("单元网格")
        verbose_name_plural = _("单元网格")
        ordering = ["code"]
        indexes = [models.Index(fields=["min_lng", "min_lat"])]

    def __str__(self):
        return self.code


class ResponsibilityGrid(models.Model):
    """责任网格: the cells one inspector (or a small team) patrols."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    cells = models.ManyToManyField(GridCell, related_name="responsibility_grids", verbose_name=_("单元网格"))
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="responsibility_grids", blank=True, verbose_name=_("监督员")
    )

    class Meta:
        verbose_name = _("责任网格")
        verbose_name_plural = _("责任网格")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"
