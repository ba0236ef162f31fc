"""The evaluation tables: which function computes each, and its columns (for pages and exports)."""

from django.utils.translation import gettext_lazy as _

from . import indicators

COLUMNS = {
    "departments": [
        ("name", _("部门")), ("dispatched", _("派遣")), ("to_handle", _("应处置")), ("handled", _("处置")),
        ("handled_on_time", _("按期处置")), ("overdue_handled", _("超期处置")), ("overdue_unhandled", _("超期未处置")),
        ("returned", _("回退")), ("rework", _("返工")), ("closed", _("结案")), ("handling_rate", _("处置率 %")),
        ("on_time_handling_rate", _("按期处置率 %")), ("rework_rate", _("返工率 %")),
        # The "to close" cohort differs by table, so each names its own: here the period's dispatches.
        ("cohort", _("应结案（本期派遣）")), ("closure_rate", _("结案率 %（本期派遣）")),
        ("on_time_closure_rate", _("按期结案率 %（本期派遣）")), ("avg_handling_hours", _("平均处置时长 (小时)")),
        ("urged", _("被催办案卷")), ("supervision_on_time_rate", _("督办按时回复率 %")),
        ("satisfaction_rate", _("满意率 %")), ("volume_score", _("案件量得分")), ("score", _("综合得分")),
        ("grade", _("等级")),
    ],
    "areas": [
        ("code", _("区域编码")), ("reported", _("上报")), ("public_reports", _("公众上报")),
        ("self_resolved", _("自处理")), ("registered", _("立案")), ("closed", _("结案")), ("rework", _("返工")),
        ("cohort", _("应结案（本期立案）")), ("closure_rate", _("结案率 %（本期立案）")),
        ("avg_register_hours", _("平均立案时长 (小时)")),
    ],
    "inspectors": [
        ("username", _("监督员")), ("reports", _("上报")), ("valid_reports", _("有效上报")),
        ("valid_report_rate", _("有效上报率 %")), ("verified", _("核实")), ("on_time_verify_rate", _("按时核实率 %")),
        ("checked", _("核查")), ("on_time_check_rate", _("按时核查率 %")), ("missed_reports", _("漏报")),
        ("missed_report_rate", _("漏报率 %")), ("on_duty_rate", _("在岗率 %")), ("coverage_rate", _("巡查覆盖率 %")),
        ("score", _("综合得分")), ("grade", _("等级")),
    ],
    "staff": [
        ("username", _("人员")), ("actor_role", _("角色")), ("actions", _("操作数")), ("registered", _("立案")),
        ("on_time_registration_rate", _("按时立案率 %")), ("dispatched", _("派遣")),
        ("accurate_registration_rate", _("准确立案率 %")), ("on_time_dispatch_rate", _("按时派遣率 %")),
        ("accurate_dispatch_rate", _("准确派遣率 %")), ("score", _("综合得分")), ("grade", _("等级")),
    ],
}  # fmt: skip
TITLES = {
    "departments": _("专业部门评价"),
    "areas": _("区域评价"),
    "inspectors": _("监督员评价"),
    "staff": _("受理、值班长、派遣人员评价"),
}


def compute(name: str, period, level: str = "street") -> list[dict]:
    if name == "departments":
        return indicators.department_table(period)
    if name == "areas":
        return indicators.area_table(period, level)
    if name == "inspectors":
        return indicators.inspector_table(period)
    if name == "staff":
        return indicators.staff_table(period)
    raise KeyError(name)
