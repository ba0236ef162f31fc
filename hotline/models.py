"""The hotline's own records: inbound SMS (one row per Twilio MessageSid), the outbox of SMS to
residents, and residents who opted out."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundMessage(models.Model):
    """An SMS Twilio delivered. The MessageSid is unique: a retried webhook gets the same reply."""

    sid = models.CharField(_("MessageSid"), max_length=64, unique=True)
    phone = models.CharField(_("市民电话"), max_length=32)  # E.164, or as Twilio gave it when not valid
    phone_valid = models.BooleanField(_("号码有效"), default=True)
    body = models.TextField(_("内容"), blank=True)
    kind = models.CharField(_("类型"), max_length=16)  # report, status, stop, start, help, limited
    reply = models.TextField(_("回复"), blank=True)
    case = models.ForeignKey("dispatch.Case", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("案卷"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("短信（收）")
        verbose_name_plural = _("短信（收）")
        indexes = [models.Index(fields=["phone", "received_at"])]

    def __str__(self):
        return self.sid


class OutboundMessage(models.Model):
    """An SMS to a resident, queued in the transaction that changed the case, sent by the worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        UNDELIVERED = "undelivered", _("未送达")
        FAILED = "failed", _("发送失败")
        SKIPPED = "skipped", _("已退订，不发送")

    to = models.CharField(_("号码"), max_length=32)
    body = models.TextField(_("内容"))
    case = models.ForeignKey("dispatch.Case", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("案卷"))
    purpose = models.CharField(_("用途"), max_length=24)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    sid = models.CharField(_("MessageSid"), max_length=64, null=True, blank=True, unique=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信（发）")
        verbose_name_plural = _("短信（发）")
        indexes = [models.Index(fields=["next_attempt_at"], name="outbox_due", condition=models.Q(status="queued"))]

    def __str__(self):
        return f"{self.purpose} {self.pk}"


class OptOut(models.Model):
    """STOP / 退订 and START: the last word of a number decides."""

    phone = models.CharField(_("号码"), max_length=32, unique=True)
    opted_out = models.BooleanField(_("已退订"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("退订")
        verbose_name_plural = _("退订")

    def __str__(self):
        return self.phone


class MediaFetch(models.Model):
    """A file to fetch from Twilio with the account's credentials, by the worker: an MMS photo
    (after the reply went out) or a call's recording (once Twilio says it is complete)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("彩信图片")
        RECORDING = "recording", _("通话录音")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.PHOTO)
    case = models.ForeignKey("dispatch.Case", on_delete=models.CASCADE, verbose_name=_("案卷"))
    call = models.ForeignKey(
        "hotline.VoiceCall", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("语音来电")
    )  # a recording's call (where its audio is kept)
    url = models.URLField(_("地址"), max_length=500)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    done = models.BooleanField(_("已完成"), default=False)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("待取回的媒体")
        verbose_name_plural = _("待取回的媒体")
        constraints = [
            # A retried or repeated callback never queues a call's recording twice.
            models.UniqueConstraint(
                fields=["call"], condition=models.Q(kind="recording"), name="one_recording_fetch_per_call"
            )
        ]

    def __str__(self):
        return self.url


class VoiceCall(models.Model):
    """A call to the hotline, from its first step: its language, its recording, and the case its
    report became (once, however often Twilio retries a step)."""

    class Language(models.TextChoices):
        CHINESE = "zh-hans", _("中文")
        ENGLISH = "en", _("英文")

    call_sid = models.CharField(_("CallSid"), max_length=64, unique=True)
    phone = models.CharField(_("来电号码"), max_length=32)  # E.164, or as Twilio gave it when not valid
    phone_valid = models.BooleanField(_("号码有效"), default=True)
    language = models.CharField(_("语言"), max_length=8, choices=Language.choices, default=Language.CHINESE)
    recording_url = models.URLField(_("录音"), max_length=500, blank=True)  # Twilio's: never shown to a browser
    recording_started = models.BooleanField(_("已开始录音"), default=False)
    recording_complete = models.BooleanField(_("录音已完成"), default=False)  # Twilio said so: it can be fetched
    # The audio kept by the city (fetched by the worker), played at /hotline/recordings/<case number>.
    recording_file = models.FileField(_("录音文件"), upload_to="recordings/%Y/%m/", blank=True)
    recording_fetched_at = models.DateTimeField(_("录音取回时间"), null=True, blank=True)
    transcript = models.TextField(_("转写"), blank=True)  # the recognised speech (or a voicemail's transcript)
    confidence = models.FloatField(_("识别置信度"), null=True, blank=True)
    speech_attempts = models.PositiveSmallIntegerField(_("未听清次数"), default=0)
    case = models.ForeignKey("dispatch.Case", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("案卷"))
    created_at = models.DateTimeField(_("来电时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("语音来电")
        verbose_name_plural = _("语音来电")

    def __str__(self):
        return self.call_sid


class Satisfaction(models.Model):
    """回访: the resident's answer after closure (1 satisfied, 2 not)."""

    case = models.OneToOneField("dispatch.Case", on_delete=models.PROTECT, verbose_name=_("案卷"))
    phone = models.CharField(_("号码"), max_length=32)
    satisfied = models.BooleanField(_("满意"))
    answered_at = models.DateTimeField(_("回复时间"), auto_now_add=True)
    followup = models.ForeignKey(
        "dispatch.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("新案卷")
    )

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")

    def __str__(self):
        return f"{self.case_id} {'+' if self.satisfied else '-'}"


def default_callback_rates() -> dict:
    """Share (%) of closed public cases called back, per source."""
    return {"sms": 100, "voice": 100, "call_taker": 100, "open311": 0}


class CallbackSettings(models.Model):
    """回访抽样: one row, the sampling rates in force (an unsaved default row when empty)."""

    rates = models.JSONField(_("回访抽样比例 {来源: %}"), default=default_callback_rates)
    window_days = models.PositiveSmallIntegerField(_("结案后多少天内回访"), default=30)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("回访设置")
        verbose_name_plural = _("回访设置")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "CallbackSettings":
        return cls.objects.order_by("id").first() or cls()

    def rate(self, source: str) -> int:
        return int({**default_callback_rates(), **(self.rates or {})}.get(source, 0))
