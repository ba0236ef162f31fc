"""The gazetteer 地名库: named places the hotline uses to put an address on the map."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Place(models.Model):
    class Kind(models.TextChoices):
        ROAD = "road", _("道路")
        LANDMARK = "landmark", _("地标")
        COMPOUND = "compound", _("小区")
        SQUARE = "square", _("广场")
        MARKET = "market", _("市场")
        SCHOOL = "school", _("学校")
        HOSPITAL = "hospital", _("医院")
        PARK = "park", _("公园")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    aliases = models.CharField(_("别名 (逗号分隔)"), max_length=300, blank=True)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))

    class Meta:
        verbose_name = _("地名")
        verbose_name_plural = _("地名")
        ordering = ["name"]

    def __str__(self):
        return self.name
