"""worker.EmailDelivery becomes notifications.Delivery: its table is taken over (state first, then renamed), a
channel is added, and the email's subject, bodies and attachments move into the payload of the row they were in.
Reversible: migrating back to worker 0004 puts every row back in its email columns."""
from django.db import migrations, models

EMAIL_COLUMNS = ("subject", "body_text", "body_html", "attachments")


def email_columns_to_payload(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    for delivery in Delivery.objects.all().iterator():
        delivery.payload = {column: getattr(delivery, column) for column in EMAIL_COLUMNS}
        delivery.save(update_fields=["payload"])


def payload_to_email_columns(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    for delivery in Delivery.objects.all().iterator():
        payload = delivery.payload or {}
        delivery.subject = payload.get("subject", "")[:300]
        delivery.body_text = payload.get("body_text", "")
        delivery.body_html = payload.get("body_html", "")
        delivery.attachments = payload.get("attachments", [])
        delivery.save(update_fields=list(EMAIL_COLUMNS))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('worker', '0005_models_move_to_their_apps'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='EmailDelivery',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('key', models.CharField(max_length=200, unique=True, verbose_name='去重键')),
                    ('recipient', models.EmailField(max_length=254, verbose_name='收件人')),
                    ('subject', models.CharField(max_length=300, verbose_name='主题')),
                    ('body_text', models.TextField(verbose_name='正文')),
                    ('body_html', models.TextField(blank=True, verbose_name='HTML 正文')),
                    ('attachments', models.JSONField(blank=True, default=list, help_text='[{name, path, mimetype}]，路径相对于 MEDIA_ROOT', verbose_name='附件')),
                    ('status', models.CharField(choices=[('pending', '待发送'), ('sent', '已发送'), ('failed', '发送失败')], default='pending', max_length=10, verbose_name='状态')),
                    ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='尝试次数')),
                    ('last_error', models.TextField(blank=True, verbose_name='最后错误')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                    ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发送时间')),
                ],
                options={
                    'verbose_name': '邮件发送记录',
                    'verbose_name_plural': '邮件发送记录',
                    'db_table': 'worker_emaildelivery',
                    'indexes': [models.Index(fields=['status', 'created_at'], name='email_status_created')],
                },
            ),
        ]),
        migrations.AlterModelTable(name='emaildelivery', table=None),
        migrations.RenameModel(old_name='EmailDelivery', new_name='Delivery'),
        migrations.AddField(
            model_name='delivery',
            name='channel',
            field=models.CharField(default='email', max_length=20, verbose_name='渠道'),
        ),
        migrations.AlterField(
            model_name='delivery',
            name='recipient',
            field=models.CharField(max_length=254, verbose_name='收件人'),
        ),
        migrations.AddField(
            model_name='delivery',
            name='payload',
            field=models.JSONField(blank=True, default=dict, verbose_name='内容'),
        ),
        migrations.RunPython(email_columns_to_payload, payload_to_email_columns),
        # Defaults for the way back only: re-adding these columns to a table with rows needs a value to fill in.
        migrations.AlterField(model_name='delivery', name='subject',
                              field=models.CharField(default='', max_length=300, verbose_name='主题')),
        migrations.AlterField(model_name='delivery', name='body_text',
                              field=models.TextField(default='', verbose_name='正文')),
        migrations.RemoveField(model_name='delivery', name='subject'),
        migrations.RemoveField(model_name='delivery', name='body_text'),
        migrations.RemoveField(model_name='delivery', name='body_html'),
        migrations.RemoveField(model_name='delivery', name='attachments'),
        migrations.AlterModelOptions(
            name='delivery',
            options={'verbose_name': '通知发送记录', 'verbose_name_plural': '通知发送记录'},
        ),
    ]
