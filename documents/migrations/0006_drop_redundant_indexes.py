"""Drop indexes of the issued documents that every insert writes and no query needs (issue #20): the foreign
key's own index on ``case_id`` (``document_case_issued`` starts with it) and the varchar_pattern_ops ('_like') index
beside the unique ``number`` (numbers are looked up by equality, through the unique index; nothing asks for a prefix);
and the dossier jobs' index on ``case_id`` (``dossier_job_one_per_case_version`` starts with it).

PostgreSQL only (see patrol's migration 0026): on SQLite a field change rebuilds the table and would drop the
triggers that keep issued documents unchanged.
"""
import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "documents_document_case_id_52612f13": "documents_document (case_id)",
    "documents_document_number_158f0d92_like": "documents_document (number varchar_pattern_ops)",
    "documents_dossierjob_case_id_cf482257": "documents_dossierjob (case_id)",
}


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, target in INDEXES.items():
            schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON {target}')


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0005_signatures_are_evidence"),
        ("patrol", "0026_drop_redundant_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name="document", name="case",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="documents", to="patrol.case", verbose_name="案件"),
                ),
                migrations.AlterField(
                    model_name="dossierjob", name="case",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="dossier_jobs", to="patrol.case", verbose_name="案件"),
                ),
            ],
        ),
    ]
