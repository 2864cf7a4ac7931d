"""Summaries, their schedules, export jobs and email deliveries move to their own apps (summaries, exports,
notifications). State only: the tables stay; each new app's first migration takes its table over and renames it."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('worker', '0004_summaries'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.DeleteModel(name='Summary'),
            migrations.DeleteModel(name='JurisdictionSummarySchedule'),
            migrations.DeleteModel(name='ExportJob'),
            migrations.DeleteModel(name='EmailDelivery'),
        ]),
    ]
