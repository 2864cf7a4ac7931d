"""worker.Summary and worker.JurisdictionSummarySchedule move here: their tables (and the tables of their
many-to-many fields) are taken over (state first), then renamed to summaries_*. The deliveries' column follows
the model it points to (notifications.Delivery, once worker.EmailDelivery)."""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('geo', '0001_initial'),
        ('notifications', '0001_initial'),
        ('patrol', '0003_patrol_track_batches'),
        ('worker', '0005_models_move_to_their_apps'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='JurisdictionSummarySchedule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('schedule', models.CharField(choices=[('none', '不发送'), ('daily', '每天 08:00'), ('weekly', '每周一 08:00'), ('monthly', '每月1日 08:00')], default='weekly', max_length=10, verbose_name='汇总发送')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('jurisdiction', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='summary_schedule', to='geo.jurisdiction', verbose_name='执法单位')),
                        ('recipients', models.ManyToManyField(blank=True, related_name='jurisdiction_summaries', to=settings.AUTH_USER_MODEL, verbose_name='汇总接收人')),
                    ],
                    options={
                        'verbose_name': '辖区汇总发送设置',
                        'verbose_name_plural': '辖区汇总发送设置',
                        'db_table': 'worker_jurisdictionsummaryschedule',
                    },
                ),
                migrations.CreateModel(
                    name='Summary',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('daily', '日报'), ('weekly', '周报'), ('monthly', '月报'), ('closeout', '总结报告'), ('on_demand', '即时汇总')], max_length=10, verbose_name='类型')),
                        ('period_start', models.DateField(verbose_name='开始日期')),
                        ('period_end', models.DateField(verbose_name='结束日期')),
                        ('status', models.CharField(choices=[('requested', '待生成'), ('ready', '已生成')], default='requested', max_length=10, verbose_name='状态')),
                        ('numbers', models.JSONField(blank=True, default=dict, verbose_name='指标')),
                        ('files', models.JSONField(blank=True, default=dict, verbose_name='文件')),
                        ('last_error', models.TextField(blank=True, verbose_name='最后错误')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间')),
                        ('built_at', models.DateTimeField(blank=True, null=True, verbose_name='生成时间')),
                        ('campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='summaries', to='patrol.campaign', verbose_name='专项整治行动')),
                        ('deliveries', models.ManyToManyField(blank=True, related_name='summaries', to='notifications.delivery', verbose_name='邮件')),
                        ('jurisdiction', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='summaries', to='geo.jurisdiction', verbose_name='执法单位')),
                        ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='发起人')),
                    ],
                    options={
                        'verbose_name': '汇总报告',
                        'verbose_name_plural': '汇总报告',
                        'ordering': ['-period_end', '-created_at'],
                        'db_table': 'worker_summary',
                        'indexes': [models.Index(fields=['jurisdiction', 'period_end'], name='summary_jur_period'), models.Index(fields=['status', 'created_at'], name='summary_status_created')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('campaign__isnull', False)), fields=('campaign', 'kind', 'period_start', 'period_end'), name='summary_unique_campaign_period'), models.UniqueConstraint(condition=models.Q(('campaign__isnull', True)), fields=('jurisdiction', 'kind', 'period_start', 'period_end'), name='summary_unique_jurisdiction_period'), models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='summary_period_ends_after_start')],
                    },
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE worker_summary_deliveries RENAME COLUMN emaildelivery_id TO delivery_id",
                    reverse_sql="ALTER TABLE worker_summary_deliveries RENAME COLUMN delivery_id TO emaildelivery_id",
                ),
            ],
        ),
        migrations.AlterModelTable(name='jurisdictionsummaryschedule', table=None),
        migrations.AlterModelTable(name='summary', table=None),
    ]
