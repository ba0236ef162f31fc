"""Open311 door: the systems allowed in (API clients and their keys), what they filed, the photos
to fetch for them, and the status webhooks owed to them."""

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_PREFIX_LEN = 8


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClient(models.Model):
    """A system connected through Open311 (the 12345 platform, a resident app, the public page)."""

    class Operation(models.TextChoices):
        READ = "read", _("查询")
        POST = "post", _("上报")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    source_label = models.SlugField(_("来源标签"), max_length=32, help_text=_("案卷上显示的来源，如 12345、web"))
    key_prefix = models.CharField(_("密钥前缀"), max_length=KEY_PREFIX_LEN, editable=False, db_index=True)
    key_hash = models.CharField(max_length=64, editable=False, unique=True)
    can_post = models.BooleanField(_("可上报"), default=True)
    can_read = models.BooleanField(_("可查询"), default=True)
    rate_limit_per_minute = models.PositiveIntegerField(_("每分钟上报上限"), default=60)
    active = models.BooleanField(_("启用"), default=True)
    callback_url = models.URLField(_("状态回调地址"), max_length=500, blank=True)
    callback_secret = models.CharField(_("回调签名密钥"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("接入系统")
        verbose_name_plural = _("接入系统")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def new_key(self) -> str:
        """Set a fresh key (kept only as its hash) and return it: the one time it is shown."""
        key = secrets.token_urlsafe(32)
        self.key_prefix = key[:KEY_PREFIX_LEN]
        self.key_hash = hash_key(key)
        return key


class FiledRequest(models.Model):
    """A case filed through Open311, by which client (and device, for retries within 10 minutes)."""

    case = models.OneToOneField("dispatch.Case", on_delete=models.CASCADE, related_name="open311_request")
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="requests", verbose_name=_("接入系统"))
    device_id = models.CharField(max_length=100, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Open311 上报")
        verbose_name_plural = _("Open311 上报")
        indexes = [models.Index(fields=["client", "device_id", "fingerprint", "created_at"])]

    def __str__(self):
        return f"{self.client} {self.case_id}"


class MediaFetch(models.Model):
    """A `media_url` photo to fetch after the answer went out (see `open311.media`)."""

    case = models.ForeignKey(
        "dispatch.Case", on_delete=models.CASCADE, related_name="open311_media", verbose_name=_("案卷")
    )
    url = models.URLField(_("地址"), max_length=500)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    done = models.BooleanField(_("已完成"), default=False)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Open311 图片")
        verbose_name_plural = _("Open311 图片")

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One public step of a case owed to one client: queued in the case's transaction, sent by
    the worker (signed) with retries, once, after every earlier step of the same case."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("已放弃")

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("接入系统")
    )
    case = models.ForeignKey(
        "dispatch.Case", on_delete=models.CASCADE, related_name="open311_deliveries", verbose_name=_("案卷")
    )
    event_id = models.BigIntegerField(_("事件号"))
    payload = models.JSONField(_("内容"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("状态回调")
        verbose_name_plural = _("状态回调")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["client", "event_id"], name="one_delivery_per_event_per_client")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["client", "case", "event_id"]),
        ]

    def __str__(self):
        return f"{self.client} {self.event_id}"
