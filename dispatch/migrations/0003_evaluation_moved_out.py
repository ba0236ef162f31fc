# The evaluation models now belong to the evaluation app (state only; the tables stay).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0002_evaluation'),
        ('evaluation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='EvaluationSettings'),
                migrations.DeleteModel(name='PublishedReport'),
            ],
            database_operations=[],
        ),
    ]
