"""The jurisdiction's summary carries the same batch numbers as the batch page and the report."""
from datetime import date, timedelta

import pytest
from django.utils import timezone

from patrol import kpis
from summaries import services as summaries
from summaries.models import Summary
from tests.tuban.conftest import client_for
from tuban.models import Tuban

pytestmark = pytest.mark.django_db


def test_a_jurisdiction_summary_lists_the_batches_progress(client, users, jurisdiction, batch):
    Tuban.objects.filter(number="T003").update(status="legal")
    batch.due_date = date(2020, 1, 31)  # past: the two unchecked are overdue
    batch.save()
    today = timezone.localdate()
    summary, _ = summaries.request_summary(scope=kpis.Scope(jurisdiction, None), kind=Summary.Kind.WEEKLY,
                                           period=kpis.Period(today - timedelta(days=6), today))
    summaries.produce_summary(summary.pk)
    summary.refresh_from_db()
    [row] = summary.numbers["tuban"]
    api = client_for(users["leader"]).get("/api/v1/tuban/batches/").json()["results"][0]["progress"]
    assert {key: row[key] for key in api} == api
    assert (row["name"], row["total"], row["legal"], row["overdue"], row["past_due"]) == ("2026年10月", 3, 1, 2, True)
    client.force_login(users["leader"])
    page = client.get(f"/summaries/{summary.pk}/").content.decode()
    assert 'id="tuban-progress"' in page and "2026年10月" in page
