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
    # Made by the worker after the photo is stored (dispatch.photos.make_due_thumbnails); empty
    # until then, and the full-size photo is shown in its place.
    thumbnail = models.ImageField(_("缩略图"), upload_to="cases/thumbs/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # The thumbnail's queue (citymgmt.leases): due when set and past; None once made or given up.
    next_attempt_at = models.DateTimeField(_("缩略图下次尝试"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("缩略图尝试次数"), default=0)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="photo_thumbnail_due",
                condition=models.Q(next_attempt_at__isnull=False),
            )
        ]

    def __str__(self):
        return f"{self.case_id} {self.stage} {self.image.name}"
