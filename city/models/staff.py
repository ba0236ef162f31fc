"""Staff: Django users, whose roles are groups, with a department and a phone."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Each role is a Django group of the same name."""

    INSPECTOR = "inspector", _("监督员")
    CALL_TAKER = "call_taker", _("受理员")
    SUPERVISOR = "supervisor", _("值班长")
    DISPATCHER = "dispatcher", _("派遣员")
    DEPARTMENT_STAFF = "department_staff", _("专业部门人员")
    LEADER = "leader", _("领导")
    ADMIN = "admin", _("管理员")


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    department = models.ForeignKey(
        "city.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("部门")
    )
    phone = models.CharField(_("电话"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("人员资料")
        verbose_name_plural = _("人员资料")

    def __str__(self):
        return str(self.user)
