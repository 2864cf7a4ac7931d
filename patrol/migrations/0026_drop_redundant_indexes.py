"""Drop the indexes every insert writes and no query needs (issue #20, "drop what costs and serves nothing").

- The single-column indexes Django puts on a foreign key, where a composite index already starts with that column
  and serves the same look-ups (PostgreSQL reads a btree by its leading column alone): Case.jurisdiction
  (``case_jur_status`` and four others), Case.village (``case_village_status``), Case.campaign
  (``case_campaign_status``), Case.responsible (``case_responsible_status``), Case.reported_by
  (``case_reporter_created``), CaseEvent.case (``event_unique_seq_per_case``), Notice.case
  (``notice_unique_number_parts``), Patrol.jurisdiction (``patrol_jur_started``), DocumentSequence.jurisdiction (``sequence_unique_scope_year``) and PatrolTrackBatch.patrol
  (``track_batch_unique_seq_per_patrol``).
- The unique constraint on CaseEvent.hash: nothing looks an event up by its hash, and it guards nothing that
  ``event_unique_seq_per_case`` and the chain itself do not (an event's hash covers its case's reference, its seq and
  the hash before it, so two equal hashes would be one event twice, which (case, seq) already refuses). At a million
  cases it was a 6.3-million-entry btree of random 64-character keys: each new event touched a leaf page of its own.

PostgreSQL only, through ``SeparateDatabaseAndState``: on SQLite, Django alters such a field by rebuilding the table,
which would drop the append-only triggers with it; the small SpatiaLite databases keep their indexes.
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (index or constraint, how to put it back)
DROPPED = [
    ("INDEX", "patrol_case_jurisdiction_id_c92540ed", "patrol_case (jurisdiction_id)"),
    ("INDEX", "patrol_case_village_id_861d3711", "patrol_case (village_id)"),
    ("INDEX", "patrol_case_campaign_id_09e1944f", "patrol_case (campaign_id)"),
    ("INDEX", "patrol_case_responsible_id_41db9f25", "patrol_case (responsible_id)"),
    ("INDEX", "patrol_case_reported_by_id_7be60c17", "patrol_case (reported_by_id)"),
    ("INDEX", "patrol_caseevent_case_id_000de0e5", "patrol_caseevent (case_id)"),
    ("INDEX", "patrol_notice_case_id_70ea309b", "patrol_notice (case_id)"),
    ("INDEX", "patrol_documentsequence_jurisdiction_id_93fc7442", "patrol_documentsequence (jurisdiction_id)"),
    ("INDEX", "patrol_patrol_jurisdiction_id_df8d767f", "patrol_patrol (jurisdiction_id)"),
    ("INDEX", "patrol_patroltrackbatch_patrol_id_49c0803c", "patrol_patroltrackbatch (patrol_id)"),
    ("CONSTRAINT", "patrol_caseevent_hash_key", "patrol_caseevent UNIQUE (hash)"),
]


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for kind, name, _target in DROPPED:
        if kind == "INDEX":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
        else:
            schema_editor.execute(f'ALTER TABLE patrol_caseevent DROP CONSTRAINT IF EXISTS "{name}"')


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for kind, name, target in DROPPED:
        if kind == "INDEX":
            schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON {target}')
        else:
            table, rest = target.split(" ", 1)
            schema_editor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {rest}')


def _fk(to, related_name, verbose_name, **kwargs):
    return models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name=related_name,
                             to=to, verbose_name=verbose_name, **kwargs)


class Migration(migrations.Migration):

    dependencies = [
        ("patrol", "0025_case_filing_rollup"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(model_name="case", name="campaign", field=_fk(
                    "patrol.campaign", "cases", "专项整治行动", blank=True, null=True)),
                migrations.AlterField(model_name="case", name="jurisdiction", field=_fk(
                    "geo.jurisdiction", "cases", "执法单位")),
                migrations.AlterField(model_name="case", name="reported_by", field=_fk(
                    settings.AUTH_USER_MODEL, "reported_cases", "发现人")),
                migrations.AlterField(model_name="case", name="responsible", field=_fk(
                    settings.AUTH_USER_MODEL, "responsible_cases", "责任人", blank=True, null=True)),
                migrations.AlterField(model_name="case", name="village", field=_fk(
                    "geo.village", "cases", "行政村", blank=True, null=True)),
                migrations.AlterField(model_name="caseevent", name="case", field=_fk(
                    "patrol.case", "events", "案件")),
                migrations.AlterField(model_name="notice", name="case", field=_fk(
                    "patrol.case", "notices", "案件")),
                migrations.AlterField(model_name="documentsequence", name="jurisdiction", field=models.ForeignKey(
                    db_index=False, on_delete=django.db.models.deletion.PROTECT, to="geo.jurisdiction")),
                migrations.AlterField(model_name="patrol", name="jurisdiction", field=_fk(
                    "geo.jurisdiction", "patrols", "执法单位")),
                migrations.AlterField(model_name="patroltrackbatch", name="patrol", field=models.ForeignKey(
                    db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="track_batches",
                    to="patrol.patrol", verbose_name="巡查")),
                migrations.AlterField(model_name="caseevent", name="hash", field=models.CharField(
                    max_length=64, verbose_name="本记录哈希")),
            ],
        ),
    ]
