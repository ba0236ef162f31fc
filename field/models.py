"""Inspectors on the street (巡查): their patrol trails; attendance and coverage build on these."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
