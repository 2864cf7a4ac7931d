"""One definition of every KPI (DOMAIN.md, "What leaders measure"): the map's strip and a summary of the same
scope and period give the same numbers (patrol.kpis)."""
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from disclosure import kpis as disclosure_kpis
from patrol import kpis
from patrol.models import Campaign, User
from summaries import services as summaries
from summaries.models import Summary

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

DISCLOSURE_KPIS = ("disclosure_rate", "disclosure_held_overdue")


@pytest.fixture
def demo(settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path / "media"  # the summary's charts and ledger
    call_command("seed_demo", "--demo-cases", "60", verbosity=0, stdout=io.StringIO())
    return Campaign.objects.select_related("jurisdiction").get(jurisdiction__code="LWG")


@pytest.mark.parametrize("scope_kind", ["campaign", "jurisdiction"])
def test_the_map_strip_and_a_summary_count_the_same_kpis_for_the_same_scope_and_period(demo, scope_kind):
    today = timezone.localdate()
    if scope_kind == "campaign":
        scope, period, params = kpis.Scope.for_campaign(demo), kpis.current_period(demo, today), {"campaign": demo.pk}
    else:
        scope, period, params = kpis.Scope(demo.jurisdiction), kpis.Period(today - timedelta(days=27), today), {}
    summary, _ = summaries.request_summary(scope=scope, kind=Summary.Kind.ON_DEMAND, period=period)
    summaries.produce_summary(summary.pk)
    emailed = Summary.objects.get(pk=summary.pk).numbers["overall"]["current"]

    client = APIClient()
    client.force_authenticate(User.objects.get(username="supervisor"))
    strip = client.get("/api/v1/map/kpis/", {**params, "start": period.start, "end": period.end}).json()

    assert strip["period"] == {"start": period.start.isoformat(), "end": period.end.isoformat(), "days": period.days}
    assert {key: strip[key] for key in kpis.CASE_PERIOD_KPIS} == {key: emailed[key] for key in kpis.CASE_PERIOD_KPIS}
    assert strip["overdue"] == emailed["overdue_now"]
    # 公示及时率 (disclosure.kpis) and the late holds, of the same scope: a campaign's decisions or the jurisdiction's.
    assert {key: strip[key] for key in DISCLOSURE_KPIS} == {key: emailed[key] for key in DISCLOSURE_KPIS}
    assert strip["disclosure_due"] > 0 and emailed["disclosure_rate"] is not None
    # Not equal by being empty: the demo files, closes and lets cases run over their deadline in the period.
    assert emailed["filed"] > 0 and emailed["closed"] > 0 and emailed["rectification_rate"] is not None
    assert emailed["overdue_now"] > 0


def test_the_map_strip_counts_this_month_unless_asked_for_another_period(demo):
    today = timezone.localdate()
    client = APIClient()
    client.force_authenticate(User.objects.get(username="supervisor"))
    strip = client.get("/api/v1/map/kpis/").json()
    assert strip["period"]["start"] == today.replace(day=1).isoformat() and strip["period"]["end"] == today.isoformat()
    month = kpis.build_summary(kpis.Scope(demo.jurisdiction), kpis.this_month(today))["overall"]["current"]
    assert strip["closed"] == month["closed"] and strip["rectification_rate"] == month["rectification_rate"]
    assert client.get("/api/v1/map/kpis/", {"start": "2026-02-30", "end": "2026-03-01"}).status_code == 400


@pytest.mark.parametrize("period_kind", ["campaign's own", "asked for"])
def test_the_summary_api_on_demand_and_a_built_summary_give_the_same_numbers(demo, period_kind):
    """GET /api/v1/campaigns/{id}/summary/ builds on the spot what the worker stores (summaries.summary_numbers):
    the case KPIs and 公示及时率 alike, for the period and the previous one."""
    today = timezone.localdate()
    scope = kpis.Scope.for_campaign(demo)
    if period_kind == "asked for":
        period = kpis.Period(today - timedelta(days=27), today)
        params = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    else:
        period, params = kpis.current_period(demo, today), {}
    summary, _ = summaries.request_summary(scope=scope, kind=Summary.Kind.ON_DEMAND, period=period)
    summaries.produce_summary(summary.pk)
    built = Summary.objects.get(pk=summary.pk).numbers

    client = APIClient()
    client.force_authenticate(User.objects.get(username="leader"))
    response = client.get(f"/api/v1/campaigns/{demo.pk}/summary/", params)
    assert response.status_code == 200
    on_demand = response.json()

    assert on_demand["period"] == built["period"] and on_demand["previous_period"] == built["previous_period"]
    for part in ("current", "previous", "change"):
        assert on_demand["overall"][part] == built["overall"][part], part
    for breakdown in ("by_village", "by_category", "by_inspector", "overdue_cases", "weekly"):
        assert on_demand[breakdown] == built[breakdown], breakdown
    current = on_demand["overall"]["current"]
    assert set(DISCLOSURE_KPIS) <= set(current) and current["disclosure_rate"] is not None
    assert current["disclosure_rate"] == disclosure_kpis.timeliness(demo.jurisdiction, period, today,
                                                                    demo)["disclosure_rate"]
