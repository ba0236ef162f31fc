"""API clients (the key shown once, kept hashed) and the webhook delivery log."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from citymgmt.readonly_admin import ReadOnlyAdmin

from .models import ApiClient, WebhookDelivery


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "source_label", "key_prefix", "can_post", "can_read", "rate_limit_per_minute", "active")
    list_filter = ("active",)
    search_fields = ("name", "source_label")
    readonly_fields = ("key_prefix", "created_at")
    fields = (
        "name",
        "source_label",
        "key_prefix",
        "can_post",
        "can_read",
        "rate_limit_per_minute",
        "active",
        "callback_url",
        "callback_secret",
        "created_at",
    )
    actions = ["rotate_key"]

    def save_model(self, request, obj, form, change):
        key = obj.new_key() if not change else None
        super().save_model(request, obj, form, change)
        if key:
            self._show_key(request, obj, key)

    def _show_key(self, request, obj, key):
        messages.warning(
            request, _("%(name)s 的 API 密钥（只显示这一次，请立即保存）：%(key)s") % {"name": obj.name, "key": key}
        )

    @admin.action(description=_l("重新生成 API 密钥"))
    def rotate_key(self, request, queryset):
        for obj in queryset:
            key = obj.new_key()
            obj.save(update_fields=["key_prefix", "key_hash"])
            self._show_key(request, obj, key)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "client",
        "case",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "client")
    search_fields = ("case__number",)
    list_select_related = ("client", "case")
