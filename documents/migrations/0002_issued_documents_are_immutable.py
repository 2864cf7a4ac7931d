"""The database keeps issued documents as they were issued: no column of a Document changes and no Document is
deleted; a ServiceRecord is never deleted and its facts never change, except that a posted document's receipt
date (and so its effective date) may be filled in once (documents.services.record_postal_receipt).

The refusing function ``xuncha_refuse_change`` comes from patrol's 0002 (photos and case events are kept alike).
"""
from django.db import migrations

DOCUMENT_COLUMNS = ["case_id", "kind", "year", "seq", "number", "issued_on", "issued_at", "content", "pdf", "sha256",
                    "deadline", "period_days", "issued_by_id"]
SERVICE_FIXED = ["document_id", "method", "served_on", "place", "recipient_name", "recipient_relation",
                 "signature_photo_id", "refused", "witness_name", "evidence_photo_id", "tracking_number",
                 "consent_photo_id", "channel", "address", "publication_place", "failure_reason", "receipt_id",
                 "served_by_id", "recorded_at", "note"]
SERVICE_ONCE = ["receipt_date", "effective_on"]  # NULL → a date, once


def _pg_changed(columns):
    return "\n       OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)


def _pg_once(columns):
    return "\n       OR ".join(f"(OLD.{c} IS NOT NULL AND NEW.{c} IS DISTINCT FROM OLD.{c})" for c in columns)


POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION xuncha_document_unchanged() RETURNS trigger AS $$
BEGIN
    IF {_pg_changed(DOCUMENT_COLUMNS)} THEN
        RAISE EXCEPTION 'xuncha: an issued document cannot be changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER document_unchanged BEFORE UPDATE ON documents_document
    FOR EACH ROW EXECUTE FUNCTION xuncha_document_unchanged();
CREATE TRIGGER document_no_delete BEFORE DELETE ON documents_document
    FOR EACH ROW EXECUTE FUNCTION xuncha_refuse_change();

CREATE OR REPLACE FUNCTION xuncha_service_unchanged() RETURNS trigger AS $$
BEGIN
    IF {_pg_changed(SERVICE_FIXED)}
       OR {_pg_once(SERVICE_ONCE)} THEN
        RAISE EXCEPTION 'xuncha: a recorded service cannot be changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER service_unchanged BEFORE UPDATE ON documents_servicerecord
    FOR EACH ROW EXECUTE FUNCTION xuncha_service_unchanged();
CREATE TRIGGER service_no_delete BEFORE DELETE ON documents_servicerecord
    FOR EACH ROW EXECUTE FUNCTION xuncha_refuse_change();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS service_no_delete ON documents_servicerecord;
DROP TRIGGER IF EXISTS service_unchanged ON documents_servicerecord;
DROP TRIGGER IF EXISTS document_no_delete ON documents_document;
DROP TRIGGER IF EXISTS document_unchanged ON documents_document;
DROP FUNCTION IF EXISTS xuncha_service_unchanged();
DROP FUNCTION IF EXISTS xuncha_document_unchanged();
"""


def _lite_changed(columns):
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


SQLITE_FORWARD = [
    f"""CREATE TRIGGER document_unchanged BEFORE UPDATE ON documents_document
       WHEN {_lite_changed(DOCUMENT_COLUMNS)}
       BEGIN SELECT RAISE(ABORT, 'xuncha: an issued document cannot be changed'); END""",
    """CREATE TRIGGER document_no_delete BEFORE DELETE ON documents_document
       BEGIN SELECT RAISE(ABORT, 'xuncha: DELETE on documents_document is not allowed: the record is append-only');
       END""",
    f"""CREATE TRIGGER service_unchanged BEFORE UPDATE ON documents_servicerecord
       WHEN {_lite_changed(SERVICE_FIXED)}
            OR {" OR ".join(f"(OLD.{c} IS NOT NULL AND NEW.{c} IS NOT OLD.{c})" for c in SERVICE_ONCE)}
       BEGIN SELECT RAISE(ABORT, 'xuncha: a recorded service cannot be changed'); END""",
    """CREATE TRIGGER service_no_delete BEFORE DELETE ON documents_servicerecord
       BEGIN SELECT RAISE(ABORT, 'xuncha: DELETE on documents_servicerecord is not allowed: the record is append-only');
       END""",
]

SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS {name}" for name in
                   ("document_unchanged", "document_no_delete", "service_unchanged", "service_no_delete")]


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
    dependencies = [("documents", "0001_initial"), ("patrol", "0002_append_only_evidence")]
    operations = [migrations.RunPython(forward, backward)]
