# The evaluation models moved here from dispatch (0002_evaluation created their tables):
# state only, the tables keep their names.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import evaluation.models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('dispatch', '0002_evaluation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EvaluationSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('department_weights', models.JSONField(default=evaluation.models.default_weights, verbose_name='部门评价权重 (%)')),
                        ('volume_bands', models.JSONField(default=evaluation.models.default_volume_bands, verbose_name='案件量得分档 [上限, 得分]')),
                        ('grade_bands', models.JSONField(default=evaluation.models.default_grade_bands, verbose_name='等级档 [最低分, 等级]')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                    ],
                    options={
                        'verbose_name': '考核参数',
                        'verbose_name_plural': '考核参数',
                        'db_table': 'dispatch_evaluationsettings',
                    },
                ),
                migrations.CreateModel(
                    name='PublishedReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(unique=True, verbose_name='月份')),
                        ('settings_used', models.JSONField(verbose_name='发布时的考核参数')),
                        ('figures', models.JSONField(verbose_name='数据')),
                        ('published_at', models.DateTimeField(auto_now_add=True, verbose_name='发布时间')),
                        ('published_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL, verbose_name='发布人')),
                    ],
                    options={
                        'verbose_name': '月度考核报告',
                        'verbose_name_plural': '月度考核报告',
                        'ordering': ['-month'],
                        'db_table': 'dispatch_publishedreport',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
