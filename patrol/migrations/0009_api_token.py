"""api.ApiToken moves here: its table is taken over (state first), then renamed to patrol_apitoken."""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_api_token_moves_to_patrol'),
        ('patrol', '0008_procedure_states'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='ApiToken',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=100, verbose_name='名称')),
                    ('key_hash', models.CharField(editable=False, max_length=64, unique=True, verbose_name='令牌哈希')),
                    ('prefix', models.CharField(editable=False, max_length=12, verbose_name='令牌开头')),
                    ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='创建时间')),
                    ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='最近使用')),
                    ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
                ],
                options={
                    'verbose_name': 'API 令牌',
                    'verbose_name_plural': 'API 令牌',
                    'ordering': ['-created_at'],
                    'db_table': 'api_apitoken',
                },
            ),
        ]),
        migrations.AlterModelTable(name='apitoken', table=None),
    ]
