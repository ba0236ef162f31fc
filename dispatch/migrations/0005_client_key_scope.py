"""Idempotency keys belong to their sender (issue 13 point 4): scope = reporting user or channel."""

from django.db import migrations, models


def fill_scope(apps, schema_editor):
    Case = apps.get_model("dispatch", "Case")
    for case in Case.objects.filter(client_key__isnull=False).only("pk", "reporter_id", "source").iterator():
        scope = f"user:{case.reporter_id}" if case.reporter_id else f"channel:{case.source}"
        Case.objects.filter(pk=case.pk).update(client_key_scope=scope)


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0004_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="client_key_scope",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RunPython(fill_scope, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="case",
            name="unique_client_key_per_source",
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                condition=models.Q(("client_key__isnull", False)),
                fields=("client_key_scope", "client_key"),
                name="unique_client_key_per_sender",
            ),
        ),
    ]
