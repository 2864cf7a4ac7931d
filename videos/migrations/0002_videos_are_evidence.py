"""A video kept as evidence is never deleted and its evidence columns never change, as for photos (patrol
migration 0002): the database itself refuses, whatever the application does. Uploads on their way are not
evidence and stay ordinary rows.
"""
from django.db import migrations

EVIDENCE = ("client_uuid", "case_id", "file", "sha256", "content_type", "size_bytes", "filename", "recorded_from",
            "recorded_to", "uploaded_by_id", "uploaded_at")

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION xuncha_video_evidence_unchanged() RETURNS trigger AS $$
BEGIN
    IF {changed} THEN
        RAISE EXCEPTION 'xuncha: the evidence columns of a video cannot be changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER video_evidence_unchanged BEFORE UPDATE ON videos_video
    FOR EACH ROW EXECUTE FUNCTION xuncha_video_evidence_unchanged();

-- xuncha_refuse_change() comes from patrol's migration 0002.
CREATE TRIGGER video_no_delete BEFORE DELETE ON videos_video
    FOR EACH ROW EXECUTE FUNCTION xuncha_refuse_change();
""".format(changed="\n       OR ".join(f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in EVIDENCE))

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS video_no_delete ON videos_video;
DROP TRIGGER IF EXISTS video_evidence_unchanged ON videos_video;
DROP FUNCTION IF EXISTS xuncha_video_evidence_unchanged();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER video_no_delete BEFORE DELETE ON videos_video
       BEGIN SELECT RAISE(ABORT, 'xuncha: DELETE on videos_video is not allowed: the record is append-only'); END""",
    """CREATE TRIGGER video_evidence_unchanged BEFORE UPDATE ON videos_video
       WHEN {changed}
       BEGIN SELECT RAISE(ABORT, 'xuncha: the evidence columns of a video cannot be changed'); END""".format(
        changed=" OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in EVIDENCE)),
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS video_no_delete",
    "DROP TRIGGER IF EXISTS video_evidence_unchanged",
]


def forward(apps, schema_editor):
    _run(schema_editor, POSTGRES_FORWARD, SQLITE_FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, POSTGRES_BACKWARD, SQLITE_BACKWARD)


def _run(schema_editor, postgres_sql, sqlite_statements):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres_sql, params=None)
    elif vendor == "sqlite":
        for statement in sqlite_statements:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"evidence triggers are not written for {vendor}")


class Migration(migrations.Migration):
    dependencies = [("videos", "0001_initial"), ("patrol", "0002_append_only_evidence")]
    operations = [migrations.RunPython(forward, backward)]
