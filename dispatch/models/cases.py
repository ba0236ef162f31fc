"""The case 案卷: one problem in the city, from report to closure."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REPORTED = "reported", _("待受理")
    VERIFYING = "verifying", _("核实中")
    REGISTERED = "registered", _("已立案")
    DISPATCHED = "dispatched", _("处置中")
    SUSPENDED = "suspended", _("挂账")
    HANDLED = "handled", _("已处置")
    CHECKING = "checking", _("核查中")
    CHECKED = "checked", _("待结案")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予立案")
    CANCELLED = "cancelled", _("已作废")
    DUPLICATE = "duplicate", _("重复")


FINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.CANCELLED, State.DUPLICATE})
OPEN_STATES = frozenset(set(State) - FINAL_STATES)


class Source(models.TextChoices):
    INSPECTOR = "inspector", _("监督员上报")
    CALL_TAKER = "call_taker", _("热线受理")
    SMS = "sms", _("短信")
    VOICE = "voice", _("语音留言")
    OPEN311 = "open311", _("Open311")
    SELF_RESOLVED = "self_resolved", _("自处理")


PUBLIC_SOURCES = frozenset({Source.CALL_TAKER, Source.SMS, Source.VOICE, Source.OPEN311})


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class Light(models.TextChoices):
    """红黄绿灯: share of the current stage's time limit used."""

    NONE = "", _("无")
    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")


class Case(models.Model):
    number = models.CharField(_("案卷号"), max_length=24, unique=True)
    category = models.ForeignKey("city.Category", on_delete=models.PROTECT, verbose_name=_("类别"))
    description = models.TextField(_("问题描述"), blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    cell = models.ForeignKey(
        "city.GridCell", on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("网格")
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    # Which connected system filed it, for reports through an API client (Open311): e.g. `12345`, `web`.
    source_label = models.CharField(_("来源系统"), max_length=32, blank=True)
    needs_verification = models.BooleanField(_("需核实"), default=False)
    verify_result = models.CharField(_("核实结果"), max_length=16, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name=_("上报人"),
    )
    reporter_name = models.CharField(_("市民姓名"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("市民电话"), max_length=32, blank=True)
    urgency = models.CharField(_("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.REPORTED)
    department = models.ForeignKey(
        "city.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("处置部门"),
    )
    assigned_inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("核实/核查监督员"),
    )
    # Clock of the current stage. yellow_at/due_at are precomputed in the city's working time so
    # the worker finds light changes with two indexed range scans.
    stage_started_at = models.DateTimeField(_("阶段开始"), null=True, blank=True)
    yellow_at = models.DateTimeField(_("黄灯时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    light = models.CharField(_("警示灯"), max_length=8, choices=Light.choices, default=Light.NONE, blank=True)
    stage_unit = models.CharField(_("时限单位"), max_length=16, blank=True)
    stage_limit_s = models.FloatField(_("阶段时限 (秒)"), null=True, blank=True)
    paused_remaining_s = models.FloatField(_("挂账时剩余时限 (秒)"), null=True, blank=True)
    # A department's pending request (延期 / 挂账) awaiting a decision.
    pending_request = models.CharField(_("待审批申请"), max_length=16, blank=True)
    pending_hours = models.PositiveIntegerField(_("申请延期小时"), null=True, blank=True)
    pending_reason = models.CharField(_("申请理由"), max_length=500, blank=True)
    suggested_department = models.ForeignKey(
        "city.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("建议处置部门"),
    )
    rework_count = models.PositiveIntegerField(_("返工次数"), default=0)
    postpone_count = models.PositiveIntegerField(_("延期次数"), default=0)
    return_count = models.PositiveIntegerField(_("回退次数"), default=0)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates", verbose_name=_("主案卷")
    )
    self_resolved = models.BooleanField(_("自处理"), default=False)
    # 催办 / 督办: how often the case was urged in its handling stage; the system's automatic steps
    # are claimed by setting their column with a conditional UPDATE, so each is written once.
    urge_count = models.PositiveIntegerField(_("催办次数"), default=0)
    auto_urged_at = models.DateTimeField(_("自动催办时间"), null=True, blank=True)
    escalate_at = models.DateTimeField(_("自动督办时间"), null=True, blank=True)
    auto_supervised_at = models.DateTimeField(_("自动督办执行时间"), null=True, blank=True)
    supervision_due_at = models.DateTimeField(_("督办回复期限"), null=True, blank=True)
    supervision_overdue = models.BooleanField(_("督办逾期未回复"), default=False)
    # 领导批示: the latest instruction, shown until the holding department acknowledges it.
    instruction = models.TextField(_("领导批示"), blank=True)
    instruction_pending = models.BooleanField(_("批示待签收"), default=False)
    # Idempotency: a key belongs to whoever sent it: (client_key_scope, client_key) is unique, the
    # scope being the reporting user ("user:<id>") or, for reports with no user, the channel
    # ("channel:sms"). The hash tells a true retry from a reused key.
    # NULL, not "": reports without a key must not collide in the unique constraint.
    client_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    client_key_scope = models.CharField(max_length=40, blank=True)
    client_key_hash = models.CharField(max_length=64, blank=True)
    reported_at = models.DateTimeField(_("上报时间"))
    created_at = models.DateTimeField(_("受理时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("案卷")
        verbose_name_plural = _("案卷")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client_key_scope", "client_key"],
                condition=models.Q(client_key__isnull=False),
                name="unique_client_key_per_sender",
            )
        ]
        indexes = [
            models.Index(fields=["state", "-id"]),
            models.Index(fields=["department", "state"]),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["category", "state", "reported_at"]),
            # 综合查询: a resident's number and name are matched whole, by index (dispatch/search.py);
            # number, address and description words use trigram indexes on PostgreSQL (migrations 0004, 0009).
            models.Index(fields=["reporter_phone"], name="case_reporter_phone"),
            models.Index(fields=["reporter_name"], name="case_reporter_name"),
            # 综合查询's pages sorted by report time (all cases, or of one state), seeking by cursor.
            models.Index(fields=["reported_at", "id"], name="case_reported_at_id"),
            models.Index(fields=["state", "reported_at", "id"], name="case_state_reported_at_id"),
            # The deadline worker's two scans: green cases past yellow_at, non-red cases past due_at.
            models.Index(fields=["yellow_at"], condition=models.Q(light="green"), name="case_green_yellow_at"),
            models.Index(fields=["due_at"], condition=models.Q(light__in=["green", "yellow"]), name="case_open_due_at"),
            # The escalation scans: red handling clocks not yet urged / escalated, orders unanswered.
            models.Index(
                fields=["due_at"],
                condition=models.Q(state="dispatched", auto_urged_at__isnull=True),
                name="case_to_auto_urge",
            ),
            models.Index(
                fields=["escalate_at"], condition=models.Q(auto_supervised_at__isnull=True), name="case_to_escalate"
            ),
            models.Index(
                fields=["supervision_due_at"],
                condition=models.Q(supervision_overdue=False),
                name="case_supervision_due",
            ),
        ]

    def __str__(self):
        return self.number


class CaseNumberSequence(models.Model):
    """One row per (kind letter + category code + date): the daily sequence of case numbers."""

    prefix = models.CharField(max_length=20, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.prefix}:{self.last}"
