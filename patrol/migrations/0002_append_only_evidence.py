"""The database itself keeps the record: CaseEvent rows can be neither changed nor deleted, and a
Photo's evidence (file, SHA-256, capture time and position) can be neither changed nor deleted. A
thumbnail and other derived columns of a photo may still be filled in later.

PostgreSQL: TRUNCATE is left to the table owner (Django's test flush uses it); the application's
database role in production should not own the tables (see README, "Deploy").
"""
from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION xuncha_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'xuncha: % on % is not allowed: the record is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER caseevent_append_only BEFORE UPDATE OR DELETE ON patrol_caseevent
    FOR EACH ROW EXECUTE FUNCTION xuncha_refuse_change();

CREATE TRIGGER photo_no_delete BEFORE DELETE ON patrol_photo
    FOR EACH ROW EXECUTE FUNCTION xuncha_refuse_change();

CREATE OR REPLACE FUNCTION xuncha_photo_evidence_unchanged() RETURNS trigger AS $$
BEGIN
    IF NEW.file IS DISTINCT FROM OLD.file
       OR NEW.sha256 IS DISTINCT FROM OLD.sha256
       OR NEW.taken_at IS DISTINCT FROM OLD.taken_at
       OR NEW.accuracy_m IS DISTINCT FROM OLD.accuracy_m
       OR NEW.case_id IS DISTINCT FROM OLD.case_id
       OR ST_AsEWKB(NEW.location) IS DISTINCT FROM ST_AsEWKB(OLD.location) THEN
        RAISE EXCEPTION 'xuncha: the evidence columns of a photo cannot be changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER photo_evidence_unchanged BEFORE UPDATE ON patrol_photo
    FOR EACH ROW EXECUTE FUNCTION xuncha_photo_evidence_unchanged();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS photo_evidence_unchanged ON patrol_photo;
DROP TRIGGER IF EXISTS photo_no_delete ON patrol_photo;
DROP TRIGGER IF EXISTS caseevent_append_only ON patrol_caseevent;
DROP FUNCTION IF EXISTS xuncha_photo_evidence_unchanged();
DROP FUNCTION IF EXISTS xuncha_refuse_change();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER caseevent_no_update BEFORE UPDATE ON patrol_caseevent
       BEGIN SELECT RAISE(ABORT, 'xuncha: UPDATE on patrol_caseevent is not allowed: the record is append-only'); END""",
    """CREATE TRIGGER caseevent_no_delete BEFORE DELETE ON patrol_caseevent
       BEGIN SELECT RAISE(ABORT, 'xuncha: DELETE on patrol_caseevent is not allowed: the record is append-only'); END""",
    """CREATE TRIGGER photo_no_delete BEFORE DELETE ON patrol_photo
       BEGIN SELECT RAISE(ABORT, 'xuncha: DELETE on patrol_photo is not allowed: the record is append-only'); END""",
    """CREATE TRIGGER photo_evidence_unchanged BEFORE UPDATE ON patrol_photo
       WHEN NEW.file IS NOT OLD.file OR NEW.sha256 IS NOT OLD.sha256 OR NEW.taken_at IS NOT OLD.taken_at
            OR NEW.accuracy_m IS NOT OLD.accuracy_m OR NEW.case_id IS NOT OLD.case_id
            OR NEW.location IS NOT OLD.location
       BEGIN SELECT RAISE(ABORT, 'xuncha: the evidence columns of a photo cannot be changed'); END""",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS caseevent_no_update",
    "DROP TRIGGER IF EXISTS caseevent_no_delete",
    "DROP TRIGGER IF EXISTS photo_no_delete",
    "DROP TRIGGER IF EXISTS photo_evidence_unchanged",
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
        raise NotImplementedError(f"append-only triggers are not written for {vendor}")


class Migration(migrations.Migration):
    dependencies = [("patrol", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
