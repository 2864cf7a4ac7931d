"""Drop the foreign key's own index on ``jurisdiction_id`` (``disclosure_public_list`` starts with it; issue #20).
PostgreSQL only, like patrol's migration 0026."""
import django.db.models.deletion
from django.db import migrations, models

NAME, TARGET = "disclosure_publisheddecision_jurisdiction_id_78487032", "disclosure_publisheddecision (jurisdiction_id)"


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{NAME}"')


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{NAME}" ON {TARGET}')


class Migration(migrations.Migration):

    dependencies = [
        ("disclosure", "0002_public_list_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name="publisheddecision", name="jurisdiction",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="published_decisions", to="geo.jurisdiction",
                                            verbose_name="执法单位"),
                ),
            ],
        ),
    ]
