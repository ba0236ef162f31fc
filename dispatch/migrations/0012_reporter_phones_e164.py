"""Residents' numbers already stored, in one form (E.164, as city.phones stores new ones): one
resident's reports made as 13812345678 and +86 138 1234 5678 become one history. Idempotent (an
E.164 number stays as it is); numbers that are not valid are left as they are. One UPDATE per
distinct number, by the reporter_phone index."""

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


def forwards(apps, schema_editor):
    Case = apps.get_model("dispatch", "Case")
    stored = Case.objects.exclude(reporter_phone="").values_list("reporter_phone", flat=True).distinct()
    for raw in list(stored.iterator()):
        normal = e164(raw)
        if normal is not None and normal != raw:
            Case.objects.filter(reporter_phone=raw).update(reporter_phone=normal)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0011_case_recording_listening")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
