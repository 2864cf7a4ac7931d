"""A signature kept as evidence is never deleted and none of its columns change, as for photos and videos: the
database itself refuses (core.evidence_triggers writes the triggers)."""
from django.db import migrations

from core.evidence_triggers import evidence_triggers

COLUMNS = ["client_uuid", "case_id", "role", "signer_name", "officer_id", "refused", "witness_name", "file", "sha256",
           "drawn_at", "uploaded_by_id", "uploaded_at"]


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_signature"), ("patrol", "0002_append_only_evidence")]
    operations = [evidence_triggers("documents_signature", COLUMNS, what="a signature")]
