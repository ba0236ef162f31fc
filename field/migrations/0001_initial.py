# PositionSample moved here from mobile_api (0002_position_samples created its table):
# state only, the table keeps its name.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('mobile_api', '0002_position_samples'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PositionSample',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('lng', models.FloatField(verbose_name='经度')),
                        ('lat', models.FloatField(verbose_name='纬度')),
                        ('accuracy', models.FloatField(blank=True, null=True, verbose_name='精度 (米)')),
                        ('recorded_at', models.DateTimeField(verbose_name='定位时间')),
                        ('received_at', models.DateTimeField(auto_now_add=True, verbose_name='接收时间')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='position_samples', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': '巡查轨迹点',
                        'verbose_name_plural': '巡查轨迹点',
                        'db_table': 'mobile_api_positionsample',
                        'indexes': [models.Index(fields=['user', 'recorded_at'], name='mobile_api__user_id_85d489_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
