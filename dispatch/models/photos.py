"""Photos of a case: before (上报), after (处置), and from verify/check on site."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CasePhoto(models.Model):
    class Stage(models.TextChoices):
        REPORT = "report", _("上报照片")
        VERIFY = "verify", _("核实照片")
        HANDLE = "handle", _("处置照片")
        CHECK = "check", _("核查照片")

    case = models.ForeignKey("dispatch.Case", on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(_("阶段"), max_length=8, choices=Stage.choices)
    image = models.ImageField(_("照片"), upload_to="cases/%Y/%m/")
    thumbnail = models.ImageField(_("缩略图"), upload_to="cases/thumbs/%Y/%m/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["id"]

    def __str__(self):
        return f"{self.case_id} {self.stage} {self.image.name}"
