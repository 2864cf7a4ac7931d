"""Let autovacuum visit the case tables after 1 % of new or changed rows instead of PostgreSQL's 20 % (issue #20).

The KPI strip, the summaries and the map's counts are index-only scans: they read the table's pages only for rows on
pages the visibility map does not mark all-visible, and only VACUUM marks them. With the defaults a million-case
table is vacuumed after 200,000 new or changed rows, so this month's cases, the very ones the strip counts, sit on
unmarked pages (measured: the strip at 242 ms with the rows' pages read, 45 ms with them marked). At 1 % the
unmarked part stays a few thousand rows, and each vacuum is small: it skips the marked pages, and skips the indexes
when few pages hold dead rows.
"""
from django.db import migrations

SETTINGS = {
    "patrol_case": "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, "
                   "autovacuum_analyze_scale_factor = 0.02",
    "patrol_caseevent": "autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02",
}
NAMES = ["autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_scale_factor", "autovacuum_analyze_scale_factor"]


def tune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, options in SETTINGS.items():
            schema_editor.execute(f"ALTER TABLE {table} SET ({options})")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in SETTINGS:
            schema_editor.execute(f"ALTER TABLE {table} RESET ({', '.join(NAMES)})")


class Migration(migrations.Migration):

    dependencies = [
        ("patrol", "0026_drop_redundant_indexes"),
    ]

    operations = [migrations.RunPython(tune, untune)]
