"""Words for the field names and problem codes that domain errors carry (`DomainError.fields`),
so that a page shows a person "经度: 不在城市网格内", never `lng: outside_city`. The JSON API keeps
the codes (programs read them); pages turn them into words here."""

from django.utils.translation import gettext_lazy as _

FIELD_LABELS = {
    "category": _("类别"), "address": _("地址"), "description": _("问题描述"), "lng": _("经度"), "lat": _("纬度"),
    "crs": _("坐标系"), "urgency": _("紧急程度"), "source": _("来源"), "reported_at": _("上报时间"),
    "photos": _("照片"), "note": _("说明"), "reason": _("原因"), "hours": _("时长"), "department": _("部门"),
    "inspector": _("监督员"), "master": _("主案卷"), "pending_request": _("待审批申请"), "self_resolved": _("自处理"),
    "idempotency_key": _("请求标识"), "month": _("月份"), "level": _("区域层级"), "from": _("开始日期"),
    "to": _("结束日期"), "q": _("查询"), "page": _("页码"), "sort": _("排序"), "phone": _("电话"),
    "name": _("姓名"), "version": _("版本"), "state": _("状态"), "result": _("结果"), "approve": _("审批"),
    # Open311 (GeoReport v2) parameters
    "address_id": _("地址编号"), "address_string": _("地址"), "bbox": _("范围"), "start_date": _("开始日期"),
    "end_date": _("结束日期"), "media_url": _("照片链接"), "page_size": _("每页条数"), "service_code": _("类别"),
    "service_request_id": _("案卷号"), "status": _("状态"), "body": _("请求内容"),
    "instruction": _("领导批示"), "supervision": _("督办"), "after": _("翻页位置"), "before": _("翻页位置"),
    # a console's batch (dispatch.batch)
    "cases": _("所选案卷"), "params": _("参数"), "action": _("操作"), "key": _("请求标识"),
    # attendance, trails and coverage (field)
    "date": _("日期"), "by": _("汇总方式"), "start": _("开始时间"), "end": _("结束时间"),
    # the maps' "locate case by number" (maps.queries)
    "number": _("案卷编号"),
}  # fmt: skip
PROBLEM_LABELS = {
    "required": _("必填"), "invalid": _("格式不对"), "unknown": _("不认识这个值"), "ambiguous": _("不唯一"),
    "outside_city": _("不在城市网格内"), "out_of_range": _("超出范围"), "in_future": _("晚于当前时间"),
    "too_large": _("太大"), "too_many": _("太多"), "unsupported_type": _("不支持的文件类型"),
    "not_an_image": _("不是图片"), "not_accepted": _("此处不接受"), "reused": _("已用于另一个请求"),
    "not_open": _("案卷已办结"), "none": _("没有"), "too_far": _("超出最后一页"),
    "inspector_only": _("仅限监督员"), "required_without_verification": _("未经核实时必填"),
    "before_from": _("早于开始日期"), "too_long": _("时间段太长"), "after_end": _("晚于结束日期"),
    "too_old": _("时间太早"), "html": _("不能含 HTML"), "not_found": _("找不到"), "span": _("时间段太长"),
    "unsupported": _("不支持"), "too_many_postpones": _("延期次数已达上限"), "already_recorded": _("已记录"),
    "duplicate": _("重复"), "invalid_number": _("案卷号不对"), "invalid_version": _("版本号不对"),
    "no_suggestion": _("无推荐部门"), "nul": _("含空字符"),
    "already_on_duty": _("已上班打卡"), "not_on_duty": _("尚未上班打卡"),
    # leave requests (field.leave)
    "before_start": _("早于开始时间"), "overlaps": _("与已有请假重叠"), "too_many_chars": _("字数太多"),
    "too_far_ahead": _("太远的将来"),
}  # fmt: skip


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name.replace("_", " ")))


def problem_label(problem) -> str:
    return str(PROBLEM_LABELS.get(problem, problem)) if isinstance(problem, str) else str(problem)


def readable(fields: dict | None) -> list[tuple[str, str]]:
    """[(label, problem in words)] for an error's fields, in a stable order."""
    return [(field_label(str(k)), problem_label(v)) for k, v in (fields or {}).items()]
