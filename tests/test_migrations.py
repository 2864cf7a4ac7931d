"""Moving models between apps keeps every row: from the schema before the move, with rows in it, forward to
today's models, and back again (summaries, exports, notifications and the API token left worker and api)."""
from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_THE_MOVE = [("summaries", None), ("exports", None), ("notifications", None), ("worker", "0004_summaries"),
                   ("api", "0001_api_tokens")]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def migrate(targets):
    executor = MigrationExecutor(connection)
    return executor.migrate(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_the_move():
    old = migrate(BEFORE_THE_MOVE)
    yield old
    migrate(latest())  # whatever happened, the next test finds today's schema


def test_the_rows_of_moved_models_survive_the_move_forward_and_back(before_the_move):
    old = before_the_move
    jurisdiction = old.get_model("geo", "Jurisdiction").objects.create(name="迁移执法队", code="MIG")
    user = old.get_model("patrol", "User").objects.create(username="mig", role="supervisor", jurisdiction=jurisdiction,
                                                          email="mig@example.org")
    campaign = old.get_model("patrol", "Campaign").objects.create(
        jurisdiction=jurisdiction, name="迁移行动", starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 30))
    attachments = [{"name": "台账.xlsx", "path": "summaries/MIG/1/ledger.xlsx", "mimetype": "application/xlsx"}]
    email = old.get_model("worker", "EmailDelivery").objects.create(
        key="summary:campaign-1:weekly", recipient="mig@example.org", subject="周报", body_text="正文",
        body_html="<p>正文</p>", attachments=attachments, status="sent", attempts=2)
    summary = old.get_model("worker", "Summary").objects.create(
        jurisdiction=jurisdiction, campaign=campaign, kind="weekly", period_start=date(2026, 11, 2),
        period_end=date(2026, 11, 8), status="ready", numbers={"version": 1})
    summary.deliveries.add(email)
    schedule = old.get_model("worker", "JurisdictionSummarySchedule").objects.create(jurisdiction=jurisdiction,
                                                                                     schedule="monthly")
    schedule.recipients.add(user)
    job = old.get_model("worker", "ExportJob").objects.create(user=user, jurisdiction=jurisdiction, format="kml",
                                                              query="status=closed", status="done", row_count=3)
    token = old.get_model("api", "ApiToken").objects.create(user=user, name="手机", key_hash="a" * 64, prefix="xc_abc")

    new = migrate(latest())
    delivery = new.get_model("notifications", "Delivery").objects.get(pk=email.pk)
    assert (delivery.channel, delivery.key, delivery.recipient, delivery.status, delivery.attempts) == (
        "email", "summary:campaign-1:weekly", "mig@example.org", "sent", 2)
    assert delivery.payload == {"subject": "周报", "body_text": "正文", "body_html": "<p>正文</p>",
                                "attachments": attachments}
    moved = new.get_model("summaries", "Summary").objects.get(pk=summary.pk)
    assert (moved.kind, moved.campaign_id, moved.numbers) == ("weekly", campaign.pk, {"version": 1})
    assert list(moved.deliveries.values_list("pk", flat=True)) == [email.pk]
    moved_schedule = new.get_model("summaries", "JurisdictionSummarySchedule").objects.get(pk=schedule.pk)
    assert (moved_schedule.schedule, list(moved_schedule.recipients.values_list("pk", flat=True))) == (
        "monthly", [user.pk])
    moved_job = new.get_model("exports", "ExportJob").objects.get(pk=job.pk)
    assert (moved_job.format, moved_job.query, moved_job.row_count) == ("kml", "status=closed", 3)
    assert new.get_model("patrol", "ApiToken").objects.get(pk=token.pk).key_hash == "a" * 64
    tables = set(connection.introspection.table_names())
    assert {"notifications_delivery", "summaries_summary", "summaries_summary_deliveries", "exports_exportjob",
            "patrol_apitoken"} <= tables
    assert not {"worker_emaildelivery", "worker_summary", "worker_exportjob", "api_apitoken"} & tables

    # And back: the email's columns are filled from the payload again.
    old = migrate(BEFORE_THE_MOVE)
    restored = old.get_model("worker", "EmailDelivery").objects.get(pk=email.pk)
    assert (restored.subject, restored.body_text, restored.body_html, restored.attachments) == (
        "周报", "正文", "<p>正文</p>", attachments)
    assert list(old.get_model("worker", "Summary").objects.get(pk=summary.pk).deliveries.values_list(
        "pk", flat=True)) == [email.pk]
