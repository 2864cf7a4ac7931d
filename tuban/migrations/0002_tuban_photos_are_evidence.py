"""A 图斑's 举证 photo is evidence like a case photo (patrol 0002), a video or a signature: no row is deleted and its
evidence columns never change, the database itself refuses (core.evidence_triggers writes the triggers).

EXIF, width and height are read from the file, as for case photos, and may be read again; a column added later for
what is derived from the file (a thumbnail, a display copy) stays out of the list and can be filled in. A migration
that rebuilds tuban_tubanphoto on SQLite (adding a column with a default does) must put these triggers back, as
patrol 0021 does for photos. PostGIS (2.4 and later) compares ``location`` exactly, SRID included.
"""
from django.db import migrations

from core.evidence_triggers import evidence_triggers

COLUMNS = ["client_uuid", "tuban_id", "kind", "file", "sha256", "content_type", "size_bytes", "taken_at", "location",
           "accuracy_m", "heading", "uploaded_by_id", "uploaded_at"]


class Migration(migrations.Migration):
    dependencies = [("tuban", "0001_initial"), ("patrol", "0002_append_only_evidence")]
    operations = [evidence_triggers("tuban_tubanphoto", COLUMNS, what="a tuban evidence photo")]
