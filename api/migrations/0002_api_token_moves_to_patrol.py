"""ApiToken moves to patrol (a credential of patrol.User; the domain and the pages no longer import api). State
only: patrol's 0005 takes the table over and renames it."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_api_tokens'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name='ApiToken')]),
    ]
