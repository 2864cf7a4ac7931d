"""Drop the varchar_pattern_ops ('_like') indexes Django adds beside a unique CharField on PostgreSQL, where no query
uses them: Case.reference (the ledger's text search is icontains, UPPER(...) LIKE '%…%', which no btree serves; the
reference itself is looked up by equality through the unique index) and CaseEvent.hash (equality only, for the
unique constraint). About 170 MB at a million cases (issue #20); measured at 100k: 3.1 MB and 12 MB.
"""
from django.db import migrations

INDEXES = {
    "patrol_case_reference_1144f0a0_like": "patrol_case (reference varchar_pattern_ops)",
    "patrol_caseevent_hash_08fc3bdf_like": "patrol_caseevent (hash varchar_pattern_ops)",
}


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, target in INDEXES.items():
            schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON {target}')


class Migration(migrations.Migration):

    dependencies = [
        ("patrol", "0015_case_kpi_and_list_indexes"),
    ]

    operations = [migrations.RunPython(drop, create)]
