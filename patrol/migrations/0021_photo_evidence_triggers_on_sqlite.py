"""SQLite (the embedded default) cannot add a column with a default in place: Django rebuilds ``patrol_photo`` for
0020's ``display`` and a rebuilt table loses its triggers, so photos were no longer append-only there. Put 0002's
triggers back (PostgreSQL adds columns in place and keeps them; nothing to do there). A migration that rebuilds an
evidence table on SQLite must do the same (tests/patrol/test_record_is_append_only.py runs on SpatiaLite)."""
import importlib

from django.db import migrations

EVIDENCE = importlib.import_module("patrol.migrations.0002_append_only_evidence")
PHOTO_TRIGGERS = [statement for statement in EVIDENCE.SQLITE_FORWARD if "ON patrol_photo" in statement]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS photo_no_delete", params=None)
    schema_editor.execute("DROP TRIGGER IF EXISTS photo_evidence_unchanged", params=None)
    for statement in PHOTO_TRIGGERS:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("patrol", "0020_photo_display"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
