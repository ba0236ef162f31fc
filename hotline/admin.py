"""The hotline's records for admins and supervisors: residents' numbers masked, never edited here."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from city.privacy import mask_phone, phone_for
from citymgmt.readonly_admin import ReadOnlyAdmin

from . import satisfaction
from .models import CallbackSettings, InboundMessage, OptOut, OutboundMessage, Satisfaction, VoiceCall


class MaskedPhoneAdmin(ReadOnlyAdmin):
    """Read-only lists; the number in full only for call-takers and supervisors."""

    phone_field = "phone"

    @admin.display(description=_("号码"))
    def masked_phone(self, obj):
        """Masked; get_list_display puts the requesting user's view of the number in its place."""
        return mask_phone(getattr(obj, self.phone_field))

    def get_list_display(self, request):
        # One ModelAdmin instance serves every request at once: who is asking is bound into a
        # callable for this request, never stored on self (another request would see it).
        user, field = request.user, self.phone_field

        @admin.display(description=_("号码"))
        def phone(obj):
            return phone_for(user, getattr(obj, field))

        return [phone if name == "masked_phone" else name for name in super().get_list_display(request)]


@admin.register(InboundMessage)
class InboundMessageAdmin(MaskedPhoneAdmin):
    list_display = ["sid", "masked_phone", "phone_valid", "kind", "case", "received_at"]
    list_filter = ["kind", "phone_valid"]
    exclude = ["phone"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(MaskedPhoneAdmin):
    phone_field = "to"
    list_display = ["id", "masked_phone", "purpose", "status", "attempts", "case", "created_at"]
    list_filter = ["status", "purpose"]
    exclude = ["to"]


@admin.register(VoiceCall)
class VoiceCallAdmin(MaskedPhoneAdmin):
    list_display = ["call_sid", "masked_phone", "phone_valid", "language", "confidence", "case", "created_at"]
    list_filter = ["language", "phone_valid"]
    # Twilio's URL is for the worker; the audio plays on the case page, to the roles that may hear it.
    exclude = ["phone", "recording_url", "recording_file"]


@admin.register(OptOut)
class OptOutAdmin(MaskedPhoneAdmin):
    list_display = ["masked_phone", "opted_out", "updated_at"]
    exclude = ["phone"]


@admin.register(Satisfaction)
class SatisfactionAdmin(MaskedPhoneAdmin):
    """不满意 answers for the supervisor: the action opens a new case linked to the old one."""

    list_display = ["case", "masked_phone", "satisfied", "answered_at", "followup"]
    list_filter = ["satisfied"]
    exclude = ["phone"]
    actions = ["open_new_case"]

    @admin.action(description=_("为不满意的回访开新案卷"))
    def open_new_case(self, request, queryset):
        for rating in queryset.filter(satisfied=False):
            case = satisfaction.reopen(rating)
            messages.success(request, _("已开新案卷 %(n)s") % {"n": case.number})


@admin.register(CallbackSettings)
class CallbackSettingsAdmin(admin.ModelAdmin):
    """回访抽样 (one row)."""

    list_display = ["__str__", "rates", "window_days", "updated_at"]

    def has_add_permission(self, request):
        return not CallbackSettings.objects.exists()
