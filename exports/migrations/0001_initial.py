"""worker.ExportJob moves here: its table is taken over (state first), then renamed to exports_exportjob. The
format loses its database choices: exports.formats.FORMATS is the one list, so a new format needs no migration."""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import exports.models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('geo', '0001_initial'),
        ('worker', '0005_models_move_to_their_apps'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='ExportJob',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('format', models.CharField(max_length=10, verbose_name='格式')),
                    ('query', models.TextField(blank=True, verbose_name='筛选条件')),
                    ('language', models.CharField(default='zh-hans', max_length=10, verbose_name='语言')),
                    ('status', models.CharField(choices=[('queued', '排队中'), ('running', '生成中'), ('done', '已完成'), ('failed', '失败')], default='queued', max_length=10, verbose_name='状态')),
                    ('progress', models.PositiveSmallIntegerField(default=0, verbose_name='进度')),
                    ('row_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='行数')),
                    ('file', models.FileField(blank=True, max_length=200, upload_to=exports.models.export_upload_to, verbose_name='文件')),
                    ('error', models.TextField(blank=True, verbose_name='错误')),
                    ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间')),
                    ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='开始时间')),
                    ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='更新时间')),
                    ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                    ('jurisdiction', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='geo.jurisdiction', verbose_name='执法单位')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='export_jobs', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
                ],
                options={
                    'verbose_name': '台账导出任务',
                    'verbose_name_plural': '台账导出任务',
                    'ordering': ['-created_at'],
                    'db_table': 'worker_exportjob',
                    'indexes': [models.Index(fields=['status', 'updated_at'], name='export_status_updated')],
                    'constraints': [models.CheckConstraint(condition=models.Q(('progress__lte', 100)), name='export_progress_max_100')],
                },
            ),
        ]),
        migrations.AlterModelTable(name='exportjob', table=None),
    ]
