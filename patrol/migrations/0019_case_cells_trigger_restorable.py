"""The rollup trigger's WHEN clause compared geometries with ``IS DISTINCT FROM``, which resolves PostGIS's ``=``
through the search path. pg_dump restores with an empty search path, so ``manage.py restore`` failed on that trigger
("operator is not unique: public.geometry = public.geometry"). Comparing the EWKB bytes (as the evidence triggers
of 0002 do) needs only built-in bytea equality and dumps schema-qualified."""
from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS case_cells_update ON patrol_case;
CREATE TRIGGER case_cells_update AFTER UPDATE OF jurisdiction_id, location, status, deadline ON patrol_case
    FOR EACH ROW
    WHEN (OLD.jurisdiction_id IS DISTINCT FROM NEW.jurisdiction_id
          OR ST_AsEWKB(OLD.location) IS DISTINCT FROM ST_AsEWKB(NEW.location)
          OR OLD.status IS DISTINCT FROM NEW.status OR OLD.deadline IS DISTINCT FROM NEW.deadline)
    EXECUTE FUNCTION xuncha_case_cells();
"""

REVERSE = """
DROP TRIGGER IF EXISTS case_cells_update ON patrol_case;
CREATE TRIGGER case_cells_update AFTER UPDATE OF jurisdiction_id, location, status, deadline ON patrol_case
    FOR EACH ROW
    WHEN (OLD.jurisdiction_id IS DISTINCT FROM NEW.jurisdiction_id OR OLD.location IS DISTINCT FROM NEW.location
          OR OLD.status IS DISTINCT FROM NEW.status OR OLD.deadline IS DISTINCT FROM NEW.deadline)
    EXECUTE FUNCTION xuncha_case_cells();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):

    dependencies = [
        ("patrol", "0018_resolution_withdrawn"),
    ]

    operations = [
        migrations.RunPython(forward, reverse),
    ]
