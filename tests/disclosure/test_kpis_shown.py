"""公示及时率 where leaders read it: a summary's KPI table and the map's KPI strip (API), and the hold flag."""
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from disclosure import services
from disclosure.models import PublishedDecision
from patrol import kpis
from patrol.models import Campaign
from summaries import services as summaries
from summaries.models import Summary
from tests.disclosure.conftest import at, decide

pytestmark = pytest.mark.django_db


MARCH = kpis.Period(date(2026, 3, 1), date(2026, 3, 31))
IN_MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def this_month(users, media):
    """Two decisions of Mon 2 Mar 2026, due by Wed 11 Mar: one published the next morning, one held back since."""
    on_time = decide(users, when=at(2026, 3, 2))
    held = decide(users, when=at(2026, 3, 2), party="李四")
    services.register_decisions(at(2026, 3, 2, 18))
    services.hold_back(entry_id=PublishedDecision.objects.get(document=held).pk, actor=users["supervisor"],
                       reason="当事人已申请复议，待核实")
    services.publish_pending(at(2026, 3, 3, 6))
    return on_time, held


def test_the_map_strip_has_the_rate_and_the_late_holds_and_its_etag_follows_the_entries(users, this_month):
    client = APIClient()
    client.force_authenticate(users["supervisor"])
    strip = client.get("/api/v1/map/kpis/", IN_MARCH)
    data = strip.json()
    assert (data["disclosure_due"], data["disclosure_on_time"], data["disclosure_rate"]) == (2, 1, 50.0)
    assert data["disclosure_held_overdue"] == 1
    assert client.get("/api/v1/map/kpis/", IN_MARCH, HTTP_IF_NONE_MATCH=strip["ETag"]).status_code == 304
    _on_time, held = this_month
    services.release(entry_id=PublishedDecision.objects.get(document=held).pk, actor=users["supervisor"])
    again = client.get("/api/v1/map/kpis/", IN_MARCH, HTTP_IF_NONE_MATCH=strip["ETag"])
    assert again.status_code == 200 and again.json()["disclosure_held_overdue"] == 0
    # Another jurisdiction's strip counts none of these.
    other = APIClient()
    other.force_authenticate(users["other_supervisor"])
    assert other.get("/api/v1/map/kpis/", IN_MARCH).json()["disclosure_due"] == 0


def test_a_summary_shows_the_rate_and_the_late_holds(client, users, settings, tmp_path, this_month):
    settings.MEDIA_ROOT = tmp_path
    period = MARCH
    summary, _ = summaries.request_summary(scope=kpis.Scope(users["supervisor"].jurisdiction),
                                           kind=Summary.Kind.ON_DEMAND, period=period)
    summaries.produce_summary(summary.pk)
    summary.refresh_from_db()
    current = summary.numbers["overall"]["current"]
    assert current["disclosure_rate"] == 50.0 and current["disclosure_held_overdue"] == 1
    client.force_login(users["supervisor"])
    html = client.get(reverse("summary", args=[summary.pk])).content.decode()
    assert re.search(r'data-kpi="disclosure_rate"><td>公示及时率</td><td><strong>50.0%</strong>', html)
    assert re.search(r'data-kpi="disclosure_held_overdue"><td>暂缓公示超期</td><td><strong>1</strong>', html)


def test_a_campaigns_rate_counts_its_own_decisions_on_the_map_in_its_summary_and_on_demand(users, settings,
                                                                                          tmp_path, this_month):
    """The same scope gives the same 公示及时率 wherever it is read: the map strip filtered by the campaign, the
    campaign's built summary and its summary computed on demand by the API (summaries.summary_numbers)."""
    settings.MEDIA_ROOT = tmp_path
    jurisdiction = users["supervisor"].jurisdiction
    campaign = Campaign.objects.create(jurisdiction=jurisdiction, name="春季整治", starts_on=date(2026, 3, 1),
                                       ends_on=date(2026, 3, 31))
    decide(users, when=at(2026, 3, 4), party="王五", campaign=campaign)
    services.run_daily(at(2026, 3, 5, 6))
    client = APIClient()
    client.force_authenticate(users["supervisor"])
    everything = client.get("/api/v1/map/kpis/", IN_MARCH).json()
    assert (everything["disclosure_due"], everything["disclosure_rate"]) == (3, 66.7)
    strip = client.get("/api/v1/map/kpis/", {**IN_MARCH, "campaign": campaign.pk}).json()
    assert (strip["disclosure_due"], strip["disclosure_on_time"], strip["disclosure_rate"]) == (1, 1, 100.0)
    assert strip["disclosure_held_overdue"] == 0  # the held entry is not the campaign's

    summary, _ = summaries.request_summary(scope=kpis.Scope.for_campaign(campaign), kind=Summary.Kind.ON_DEMAND,
                                           period=MARCH)
    summaries.produce_summary(summary.pk)
    built = Summary.objects.get(pk=summary.pk).numbers["overall"]
    on_demand = client.get(f"/api/v1/campaigns/{campaign.pk}/summary/", IN_MARCH).json()["overall"]
    for numbers in (built, on_demand):
        assert numbers["current"]["disclosure_rate"] == strip["disclosure_rate"]
        assert numbers["current"]["disclosure_held_overdue"] == strip["disclosure_held_overdue"]
    assert on_demand == built


def test_the_entries_api_lists_the_jurisdictions_entries_with_late_ones_flagged(users, this_month):
    client = APIClient()
    client.force_authenticate(users["leader"])
    rows = client.get("/api/v1/disclosure/entries/").json()["results"]
    assert len(rows) == 2
    by_party = {row["party"]: row for row in rows}
    assert by_party["李某某"]["late"] and by_party["李某某"]["held_back_reason"] == "当事人已申请复议，待核实"
    assert not by_party["张某某"]["late"] and by_party["张某某"]["public_url"].startswith("/gongshi/TST/decisions/")
    assert date.fromisoformat(by_party["张某某"]["due_on"]) < timezone.localdate()
