"""Appending a batch to a patrol's track costs the same at the 200th batch as at the first (issue #16).

Each batch is appended to the track in the database (ST_MakeLine), and two things still grew with the track:
finding its last point (ST_EndPoint fetched the whole value, 1.6 MB at 100,000 points), now kept beside it as
``track_end``; and PostgreSQL compressing the whole new value again on every write (pglz), although coordinates
hardly compress: the column is now stored out of line uncompressed (STORAGE EXTERNAL). bench/tracks.py measures the
1st and the 200th batch. A track recorded before this migration has no ``track_end`` and is rebuilt once by its next
batch. SpatiaLite has no storage setting: nothing to do there.
"""
import django.contrib.gis.db.models.fields
from django.db import migrations


def uncompressed(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE patrol_patrol ALTER COLUMN track SET STORAGE EXTERNAL")


def compressed(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE patrol_patrol ALTER COLUMN track SET STORAGE MAIN")  # geometry's default


class Migration(migrations.Migration):

    dependencies = [
        ('patrol', '0021_photo_evidence_triggers_on_sqlite'),
    ]

    operations = [
        migrations.AddField(
            model_name='patrol',
            name='track_end',
            field=django.contrib.gis.db.models.fields.PointField(blank=True, editable=False, null=True, srid=4326, verbose_name='轨迹终点'),
        ),
        migrations.RunPython(uncompressed, compressed),
    ]
