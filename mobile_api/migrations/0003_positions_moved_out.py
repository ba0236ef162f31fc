# PositionSample now belongs to the field app (state only; the table stays).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('mobile_api', '0002_position_samples'),
        ('field', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='PositionSample')],
            database_operations=[],
        ),
    ]
