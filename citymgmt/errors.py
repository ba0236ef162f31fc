"""Domain errors: one type per kind of failure, each with its HTTP status.

Business code raises these; interfaces (API, consoles, webhooks, websockets) turn them into the
same JSON body with `error_body()`, so a refusal reads the same whichever door it came through.
"""

from django.utils.translation import gettext_lazy as _

from .field_labels import readable


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message = _("请求无效。")

    def __init__(self, message=None, *, fields: dict | None = None, **context):
        self.message = str(message or self.default_message)
        self.fields = fields or {}
        self.context = context
        super().__init__(self.message)


class InvalidData(DomainError):
    status = 400
    code = "invalid"
    default_message = _("提交的数据有误。")


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_message = _("需要登录。")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("您的角色不能执行此操作。")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("未找到。")


class WrongState(DomainError):
    status = 409
    code = "wrong_state"
    default_message = _("案件当前状态不允许此操作。")


class Conflict(DomainError):
    """Someone else changed the same thing first, or a retried request does not match the first one."""

    status = 409
    code = "conflict"
    default_message = _("数据已被他人修改，请刷新后重试。")


class TooLarge(DomainError):
    status = 413
    code = "too_large"
    default_message = _("文件过大。")


class UnsupportedMedia(DomainError):
    status = 415
    code = "unsupported_media"
    default_message = _("文件不是支持的图片格式。")


class Throttled(DomainError):
    status = 429
    code = "throttled"
    default_message = _("请求过于频繁，请稍后再试。")


class Unavailable(DomainError):
    """The database (or another service every request needs) does not answer: try again shortly."""

    status = 503
    code = "unavailable"
    default_message = _("服务暂时不可用，请稍后重试。")


def error_body(exc: DomainError) -> dict:
    """`fields` for programs (codes), `problems` for people: [[field, problem], …] in words of the
    request's language, which a page shows as it comes."""
    body = {"code": exc.code, "message": exc.message, "fields": exc.fields, "problems": readable(exc.fields)}
    if exc.context:
        body.update({k: v for k, v in exc.context.items() if isinstance(v, str | int | float | bool)})
    return {"error": body}
