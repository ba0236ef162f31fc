"""The hotline's stored numbers in one form (E.164, as city.phones stores new ones), so opt-outs,
回访 answers and a caller's messages match however the number was first written. Idempotent;
numbers that are not valid are left as they are (flagged on received messages and calls). Two
opt-out rows of one number become one: the latest word decides, as it does for new ones."""

import phonenumbers
from django.conf import settings
from django.db import migrations


def e164(raw: str) -> str | None:
    text = "".join(ch for ch in (raw or "") if ch not in " -().\t")
    if not text or len(text) > 64:
        return None
    try:
        number = phonenumbers.parse(text, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalise(model, field, flag=None):
    stored = model.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct()
    for raw in list(stored.iterator()):
        normal = e164(raw)
        if normal is None:
            if flag:
                model.objects.filter(**{field: raw}).update(**{flag: False})
        elif normal != raw:
            model.objects.filter(**{field: raw}).update(**{field: normal})


def _merge_opt_outs(OptOut):
    groups = {}
    for row in OptOut.objects.order_by("updated_at", "id"):
        groups.setdefault(e164(row.phone) or row.phone, []).append(row)
    for normal, rows in groups.items():
        latest = rows[-1]
        OptOut.objects.filter(pk__in=[r.pk for r in rows[:-1]]).delete()
        if latest.phone != normal:
            # update(), not save(): the row's updated_at (when the resident said it) stays.
            OptOut.objects.filter(pk=latest.pk).update(phone=normal)


def forwards(apps, schema_editor):
    _normalise(apps.get_model("hotline", "InboundMessage"), "phone", flag="phone_valid")
    _normalise(apps.get_model("hotline", "VoiceCall"), "phone", flag="phone_valid")
    _normalise(apps.get_model("hotline", "OutboundMessage"), "to")
    _normalise(apps.get_model("hotline", "Satisfaction"), "phone")
    _merge_opt_outs(apps.get_model("hotline", "OptOut"))


class Migration(migrations.Migration):
    dependencies = [("hotline", "0004_voice_language_speech_phone_valid")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
