"""Database triggers that keep an evidence table as it was written: no row is deleted, and the listed columns of a
row never change (DOMAIN.md "Evidence rules"), whatever the application does.

Photos and case events (patrol 0002), videos (videos 0002) and issued documents (documents 0002) each wrote this
SQL out in their own migration; a new evidence table takes it from here instead. ``xuncha_refuse_change()``, the
function a refused DELETE raises through on PostgreSQL, comes from patrol's 0002, so a migration using this
depends on it. Migrations run this code as it is when they run: change it only in ways that keep the SQL it
writes for an existing table the same.
"""
from django.db import migrations


def _postgres(table, columns, what):
    changed = "\n       OR ".join(f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in columns)
    forward = f"""
CREATE OR REPLACE FUNCTION xuncha_{table}_unchanged() RETURNS trigger AS $$
BEGIN
    IF {changed} THEN
        RAISE EXCEPTION 'xuncha: {what} cannot be changed' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {table}_unchanged BEFORE UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION xuncha_{table}_unchanged();
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION xuncha_refuse_change();
"""
    backward = f"""
DROP TRIGGER IF EXISTS {table}_no_delete ON {table};
DROP TRIGGER IF EXISTS {table}_unchanged ON {table};
DROP FUNCTION IF EXISTS xuncha_{table}_unchanged();
"""
    return [forward], [backward]


def _sqlite(table, columns, what):
    changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in columns)
    forward = [
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
       BEGIN SELECT RAISE(ABORT, 'xuncha: DELETE on {table} is not allowed: the record is append-only'); END""",
        f"""CREATE TRIGGER {table}_unchanged BEFORE UPDATE ON {table}
       WHEN {changed}
       BEGIN SELECT RAISE(ABORT, 'xuncha: {what} cannot be changed'); END""",
    ]
    return forward, [f"DROP TRIGGER IF EXISTS {table}_no_delete", f"DROP TRIGGER IF EXISTS {table}_unchanged"]


def evidence_triggers(table, columns, *, what):
    """The migration operation that makes ``table`` evidence: ``columns`` (database column names) never change and
    no row is deleted; ``what`` names a row in the error (``"a signature"``)."""
    writers = {"postgresql": _postgres, "sqlite": _sqlite}

    def run(schema_editor, index):
        vendor = schema_editor.connection.vendor
        if vendor not in writers:
            raise NotImplementedError(f"evidence triggers are not written for {vendor}")
        for statement in writers[vendor](table, columns, what)[index]:
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(lambda apps, schema_editor: run(schema_editor, 0),
                                lambda apps, schema_editor: run(schema_editor, 1))
